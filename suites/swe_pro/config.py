"""The suite's settings from `config.toml`: dataset pin, image repository, sandbox resources, eval timeout, rules."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from harness import toml_config

CONFIG_FILE = Path(__file__).parent / "config.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatasetSection(_Section):
    hf_id: str
    """Hugging Face dataset id of SWE-bench Pro."""
    revision: str
    """The pinned dataset revision (commit) on the hub."""
    split: str
    """The split holding the public instances."""


class ImagesSection(_Section):
    repository: str
    """Docker Hub repository of the instance images; the tag is the row's dockerhub_tag."""


class SandboxSection(_Section):
    workdir: str
    """The repository inside every instance image."""
    cpus: float
    """CPUs per container."""
    memory_mb: int
    """Memory per container."""
    pids: int
    """Processes per container."""


class EvaluationSection(_Section):
    timeout: int
    """Seconds for the entry script."""
    network: bool
    """Whether the evaluation container has a network."""


class PatchSection(_Section):
    junk: list[str]
    """Globs of new files never taken into the model patch."""


class HardeningSection(_Section):
    hook_files: list[str]
    """File-name globs a patch must not add or change under the strict verdict."""
    plugin_patterns: list[str]
    """Regular expressions an added patch line must not match under the strict verdict."""
    fail_line_patterns: list[str]
    """Log lines that report a test failing (`{name}`: the test); one beside a PASSED verdict is a forged status."""


class SuiteConfig(_Section):
    dataset: DatasetSection
    images: ImagesSection
    sandbox: SandboxSection
    evaluation: EvaluationSection
    patch: PatchSection
    hardening: HardeningSection


@cache
def settings() -> SuiteConfig:
    """The parsed `config.toml`; a malformed file is a one-line error naming the field."""
    return toml_config.load(CONFIG_FILE, SuiteConfig)
