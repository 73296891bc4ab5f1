"""The agents a run can use (`--agent NAME`, `data/agents.toml`): the fixed scaffold and the others it is compared with.

Each agent is pinned to a version, applies to a list of suites (a suite it cannot run is refused with its reason),
and has a config hash: the hash of everything about the agent a model experiences (name, version, package, its own
config). The scaffold hash of a suite run under an agent adds the suite's protocol and budgets, so rows of different
agents never share one (`agent_scaffold_hash`); results are grouped by agent, never pooled (harness.results).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import tomllib
from collections.abc import Sequence
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from harness import __version__
from harness.digest import digest
from harness.errors import HarnessError, choose
from harness.paths import PACKAGE_DATA

AGENTS_FILE = PACKAGE_DATA / "agents.toml"
DEFAULT_AGENT = "harness"


class Package(BaseModel):
    model_config = ConfigDict(extra="forbid")

    registry: Literal["pypi", "npm"]
    name: str


class Install(BaseModel):
    """How a bridge agent's CLI gets into sandbox images (harness.agent_images): one npm tarball, checked against
    its registry integrity, of which `keep` (paths under `root`) goes to /opt/harness-agents/<agent>/."""

    model_config = ConfigDict(extra="forbid")

    tarball: str
    integrity: str
    root: str
    keep: list[str]
    binary: str
    """The CLI, relative to the install directory; linked as /usr/local/bin/<command>."""
    command: str
    libc: Literal["glibc", "static"]
    """`glibc`: the CLI runs on glibc images only (a musl image is refused at build time); `static`: on any."""


class AgentDef(BaseModel):
    """One agent of `data/agents.toml`."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    kind: Literal["scaffold", "host", "bridge"]
    package: Package | None = None
    version: str = ""
    """Pinned version; the fixed scaffold's is the harness's own."""
    module: str | None = None
    suites: list[str]
    refused: dict[str, str] = {}
    budgets: list[Literal["turn_limit", "token_limit", "time_limit"]]
    config: dict[str, Any] = {}
    install: Install | None = None
    """Bridge agents: the CLI installed into the sandbox images."""
    source: str | None = None
    checked: str | None = None

    @property
    def is_default(self) -> bool:
        return self.kind == "scaffold"

    def config_hash(self) -> str:
        """Hash of the agent as a model experiences it: name, version, package and config."""
        payload = self.model_dump(mode="json", include={"name", "version", "package", "config"})
        if self.is_default:  # the fixed scaffold's config is scaffold.toml
            from harness.scaffold import config as scaffold_config

            payload["config"] = scaffold_config().model_dump(mode="json")
        return digest(payload)

    def provenance(self) -> dict[str, Any]:
        """The agent's manifest and task-metadata record."""
        return {
            "agent_name": self.name,
            "agent_version": self.version,
            "agent_config_hash": self.config_hash(),
            "agent_budgets": list(self.budgets),
        }


@cache
def agents() -> dict[str, AgentDef]:
    try:
        with AGENTS_FILE.open("rb") as f:
            entries = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as ex:
        raise HarnessError(f"{AGENTS_FILE}: {ex}") from ex
    out = {}
    for name, entry in entries.items():
        try:
            out[name] = AgentDef.model_validate({"name": name, **entry})
        except ValidationError as ex:
            err = ex.errors()[0]
            raise HarnessError(f"{AGENTS_FILE}: [{name}] {'.'.join(map(str, err['loc']))}: {err['msg']}") from ex
        if out[name].kind == "scaffold":
            out[name] = out[name].model_copy(update={"version": __version__})
        elif not out[name].version or out[name].module is None or out[name].package is None:
            raise HarnessError(f"{AGENTS_FILE}: [{name}] needs package, version and module")
        elif out[name].kind == "bridge" and out[name].install is None:
            raise HarnessError(f"{AGENTS_FILE}: [{name}] a bridge agent needs [{name}.install]")
    return out


def agent_names() -> list[str]:
    return list(agents())


def get_agent(name: str) -> AgentDef:
    if name not in agents():
        raise choose("agent", name, agent_names())
    return agents()[name]


def check_applies(agent: AgentDef, suite: str) -> None:
    """A suite the agent cannot run is bad input: one line with the reason and what to do."""
    if suite in agent.suites or "*" in agent.suites:
        return
    reason = agent.refused.get(suite) or f"it applies to {', '.join(agent.suites)}"
    raise HarnessError(f"--agent {agent.name}: cannot run suite {suite}: {reason}")


def check_installed(agent: AgentDef) -> None:
    """An agent that runs from a PyPI package needs the pinned version installed: one line with the pip command
    otherwise (npm CLIs are checked when their image is built, harness.agent_images)."""
    if agent.package is None or agent.package.registry != "pypi":
        return
    pin = f"{agent.package.name}=={agent.version}"
    try:
        installed = importlib.metadata.version(agent.package.name)
    except importlib.metadata.PackageNotFoundError:
        raise HarnessError(
            f"--agent {agent.name}: {agent.package.name} is not installed; pip install '{pin}'"
        ) from None
    if installed != agent.version:
        raise HarnessError(
            f"--agent {agent.name}: {agent.package.name} {installed} is installed but {AGENTS_FILE.name} pins "
            f"{agent.version}; pip install '{pin}'"
        )


def check_usable(agent: AgentDef, suites: Sequence[str]) -> None:
    """`agent` can run every one of `suites` and is installed at its pin; called before any image work by
    `harness eval` and the inspect entry points, and again when a task is built."""
    for suite in suites:
        check_applies(agent, suite)
    check_installed(agent)


def agent_scaffold_hash(agent: AgentDef, suite: str, suite_scaffold_hash: str) -> str:
    """The scaffold hash of `suite` run under `agent`: the fixed scaffold's own, or the agent's config hash with
    the suite's budgets (scaffold.toml) that bind it."""
    if agent.is_default:
        return suite_scaffold_hash
    from harness.scaffold import budgets

    payload = {"agent": agent.config_hash(), "suite": suite, "budgets": budgets(suite).model_dump()}
    return digest(payload)


def agent_table() -> list[dict[str, str]]:
    """`harness agents`: one row per agent."""
    rows = []
    for agent in agents().values():
        package = f"{agent.package.registry}:{agent.package.name}" if agent.package else "harness"
        rows.append(
            {
                "agent": agent.name + (" (default)" if agent.is_default else ""),
                "version": agent.version,
                "package": package,
                "suites": "all" if "*" in agent.suites else ",".join(agent.suites),
                "budgets": ",".join(agent.budgets),
            }
        )
    return rows
