"""Model registry: aliases from `data/models.toml` resolved to inspect model names, args and generate config."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, choose
from harness.paths import PACKAGE_DATA
from harness.suite import AgentKind

MODELS_FILE = PACKAGE_DATA / "models.toml"


@dataclass(frozen=True)
class ResolvedModel:
    """An alias made concrete: what inspect is asked to run, and with what."""

    alias: str
    kind: str
    inspect_model: str
    description: str = ""
    api_key_env: str | None = None
    base_url: str | None = None
    model_args: dict[str, Any] = field(default_factory=dict)
    generate: dict[str, Any] = field(default_factory=dict)

    @property
    def agent(self) -> AgentKind:
        return {"oracle": AgentKind.ORACLE, "noop": AgentKind.NOOP}.get(self.kind, AgentKind.MODEL)

    @property
    def needs_api(self) -> bool:
        return self.kind == "model"


@cache
def registry() -> dict[str, dict[str, Any]]:
    with MODELS_FILE.open("rb") as f:
        return tomllib.load(f)


def resolve(alias: str, *, script: Path | None = None) -> ResolvedModel:
    """Resolve an alias; unknown aliases list the known ones."""
    entries = registry()
    if alias not in entries:
        raise choose("model", alias, list(entries))
    entry = entries[alias]
    kind = entry["kind"]
    if kind in ("oracle", "noop"):
        return ResolvedModel(alias, kind, f"mockllm/{alias}", entry.get("description", ""))
    if kind == "scripted":
        if script is None:
            raise HarnessError("model scripted needs --script FILE (a JSON script of model turns)")
        args = {} if str(script) == "-" else {"custom_outputs": scripted_outputs(script)}
        return ResolvedModel(alias, kind, "mockllm/scripted", entry.get("description", ""), model_args=args)
    base_url = os.environ.get(entry.get("base_url_env", "")) or entry.get("base_url")
    return ResolvedModel(alias, kind, f"{entry['provider']}/{entry['model']}", entry.get("description", ""),
                         api_key_env=entry.get("api_key_env"), base_url=base_url,
                         generate=dict(entry.get("generate", {})))


def check_credentials(model: ResolvedModel) -> None:
    """Fail before any sandbox work when the model's API key is missing."""
    if model.needs_api and model.api_key_env and not os.environ.get(model.api_key_env):
        raise HarnessError(f"model {model.alias}: set {model.api_key_env} (its API key) before running")


def scripted_outputs(script: Path):
    """A mockllm output function replaying `script`: {sample_id or "*": [turn, ...]}.

    A turn is {"content": str} or {"tool_calls": [{"function": name, "arguments": {...}}], "content": str}.
    The turn played is chosen by how many assistant turns the sample already has, so samples run concurrently.
    """
    from harness.scripted import load_script, output_function

    return output_function(load_script(script))


def list_models() -> list[str]:
    """One line per alias: name, inspect model, whether its key is set, description."""
    lines = []
    for alias in registry():
        model = resolve(alias, script=Path("-")) if registry()[alias]["kind"] == "scripted" else resolve(alias)
        key = ""
        if model.api_key_env:
            key = f"{model.api_key_env} {'set' if os.environ.get(model.api_key_env) else 'NOT SET'}"
        lines.append(f"{alias:<22} {model.inspect_model:<32} {key:<28} {model.description}")
    return lines
