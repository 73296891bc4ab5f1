"""The suite contract: what a benchmark adapter in `suites/<name>/` provides, and the registry that finds them.

A suite module named in `harness/data/suites.toml` exposes `SUITE`, a `SuiteDef`. The harness validates the
user's options against `SuiteDef.options`, builds or pulls `SuiteDef.images(options)` before any sample starts,
and asks `SuiteDef.build_task(request)` for the inspect `Task`.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from inspect_ai import Task
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from harness.agent_registry import DEFAULT_AGENT
from harness.errors import HarnessError, choose
from harness.images import ImageSpec
from harness.paths import PACKAGE_DATA
from harness.scaffold import scaffold_hash

SUITES_FILE = PACKAGE_DATA / "suites.toml"


def _split_names(value: Any) -> Any:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [name.strip() for item in value for name in str(item).split(",") if name.strip()]
    return value


NameList = Annotated[list[str], BeforeValidator(_split_names)]
"""An option naming several things (`--task-ids a,b`, repeated, or both)."""


class SuiteOptions(BaseModel):
    """Options every suite accepts. Suites subclass this with their own fields (`--repo`, `--release`, ...)."""

    model_config = ConfigDict(extra="forbid")

    data: Literal["sample", "full"] = "sample"
    """`sample`: the bundled offline tasks. `full`: the official dataset."""
    limit: int | None = Field(default=None, ge=1)
    """Keep the first N samples (applied before any image is built or pulled)."""
    shard: str | None = None
    """K/N: run only the samples whose id hashes to shard K of N (`harness.shard`), after every other filter;
    the harness applies it to every suite's samples, and suites with per-sample images apply it before pulling."""

    @field_validator("shard")
    @classmethod
    def _shard_format(cls, value: str | None) -> str | None:
        from harness.shard import parse

        try:
            return str(parse(value)) if value is not None else None
        except HarnessError as ex:
            raise ValueError(str(ex).removeprefix(f"--shard {value}: ")) from None


class AgentKind(StrEnum):
    """Who acts in the sandbox: the scaffold driving a model, the reference solution, or nobody."""

    MODEL = "model"
    ORACLE = "oracle"
    NOOP = "noop"


@dataclass(frozen=True)
class TaskRequest:
    """What the harness asks a suite to build."""

    options: SuiteOptions
    agent: AgentKind
    agent_name: str = DEFAULT_AGENT
    """The agent that drives the model (`harness.agent_registry`; `harness` is the fixed scaffold)."""


@dataclass(frozen=True)
class SuiteDef:
    """One benchmark adapter."""

    name: str
    description: str
    options: type[SuiteOptions]
    build_task: Callable[[TaskRequest], Task]
    images: Callable[[Any], list[ImageSpec]]
    protocol: str = "shell"
    """The scaffold protocol: shell, mcp or single_turn."""
    system_prompt: str | None = None
    """The suite's own system message when the official protocol fixes one (replaces the scaffold's)."""
    dataset_info: Callable[[Any], dict[str, Any]] = lambda options: {}
    """Dataset id, revision and digest for the manifest."""
    after_run: Callable[[Path, Any], None] | None = None
    """Called with the run directory and the options after the results tables are written (suite exports)."""
    attempt_columns: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """Extra columns of the results table (harness.results) from one attempt's score metadata, e.g.
    Terminal-Bench's Harbor error class; `harness report` lists every attempt with a `trial_error`."""
    build_failures: Literal["stop", "record"] = "stop"
    """A failed image build: `stop` the run (one-line error), or `record` it (harness.build_failures) and go on,
    the suite scoring the samples that need the image as infrastructure errors (Harbor's per-trial environment
    error)."""

    def scaffold_hash(self) -> str:
        """The hash of the scaffold as this suite's model experiences it (its own system prompt included)."""
        return scaffold_hash(self.name, self.protocol, self.system_prompt)


@cache
def _registry() -> dict[str, dict[str, Any]]:
    with SUITES_FILE.open("rb") as f:
        return tomllib.load(f)


def suite_names() -> list[str]:
    return list(_registry())


def default_suites() -> list[str]:
    """What `--suite all` runs: every suite but the opt-in variants (`all = false` in suites.toml)."""
    return [name for name, entry in _registry().items() if entry.get("all", True)]


def describe_suites() -> dict[str, str]:
    return {name: entry.get("description", "") for name, entry in _registry().items()}


def get_suite(name: str) -> SuiteDef:
    entries = _registry()
    if name not in entries:
        raise choose("suite", name, [*entries, "all"])
    module = importlib.import_module(entries[name]["module"])
    suite = getattr(module, "SUITE", None)
    if not isinstance(suite, SuiteDef):
        raise HarnessError(f"{entries[name]['module']}: defines no SUITE (a harness.suite.SuiteDef)")
    return suite


def parse_options(suite: SuiteDef, values: dict[str, Any]) -> SuiteOptions:
    """Validate CLI/user options against the suite's options model; unknown ones list what is valid."""
    fields = suite.options.model_fields
    for key in values:
        if key not in fields:
            valid = ", ".join("--" + k.replace("_", "-") for k in fields)
            raise HarnessError(f"suite {suite.name}: unknown option --{key.replace('_', '-')}; valid: {valid}")
    try:
        return suite.options.model_validate(values)
    except ValidationError as ex:
        err = ex.errors()[0]
        where = "--" + str(err["loc"][0]).replace("_", "-") if err["loc"] else "options"
        raise HarnessError(f"suite {suite.name}: {where}: {err['msg']}") from ex
