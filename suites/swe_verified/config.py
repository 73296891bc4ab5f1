"""The suite's settings from `config.toml`: dataset pin, sandbox resources, eval timeout, patch and strict rules."""

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
    """Hugging Face dataset id of SWE-bench Verified."""
    revision: str
    """The pinned dataset revision (commit) on the hub."""
    split: str
    """The split holding the 500 instances."""


class SandboxSection(_Section):
    workdir: str
    """The repository inside every official instance image."""
    cpus: float
    """CPUs per container."""
    memory_mb: int
    """Memory per container."""
    pids: int
    """Processes per container."""


class EvaluationSection(_Section):
    timeout: int
    """Seconds for the row's eval_script."""
    network: bool
    """Whether the evaluation container has a network."""


class PatchSection(_Section):
    junk: list[str]
    """Globs of new files never taken into the model patch."""


class CanaryTemplate(_Section):
    parsers: list[str]
    """The log parsers (swebench PARSER_REGISTRY names) whose rows use this template."""
    files: dict[str, str]
    """Paths (relative to the repository) -> contents; `{token}` is a random hex token, `{dir}` the directory of the
    first test file in the test command."""
    target: str
    """What is appended to the test command to run the canary."""
    remove_dir: bool = False
    """Remove each file's directory afterwards (a test package) rather than the files."""


class HardeningSection(_Section):
    hook_files: list[str]
    """File-name globs a patch must not add or change under the strict verdict."""
    plugin_patterns: list[str]
    """Regular expressions an added patch line must not match under the strict verdict."""
    canary: list[CanaryTemplate]
    """The always-failing test run beside the real ones, per log parser (canary.py)."""


class SuiteConfig(_Section):
    dataset: DatasetSection
    sandbox: SandboxSection
    evaluation: EvaluationSection
    patch: PatchSection
    hardening: HardeningSection


@cache
def settings() -> SuiteConfig:
    """The parsed `config.toml`; a malformed file is a one-line error naming the field."""
    return toml_config.load(CONFIG_FILE, SuiteConfig)
