"""The one agent scaffold: inspect's ReAct loop with fixed prompt, tools and budgets from `data/scaffold.toml`.

History is append-only (no truncation or compaction), so provider prompt caching sees stable prefixes. Where the
agent's work is collected (diff, files, answer) is the suite's job, not the scaffold's.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Sequence
from functools import cache
from typing import Any

from inspect_ai.agent import AgentPrompt, AgentSubmit, as_solver, react
from inspect_ai.model import GenerateConfig
from inspect_ai.solver import Solver, chain, generate, system_message
from inspect_ai.tool import Tool, ToolSource, bash_session, text_editor
from pydantic import BaseModel, ConfigDict

from harness.errors import HarnessError, choose
from harness.paths import PACKAGE_DATA

SCAFFOLD_FILE = PACKAGE_DATA / "scaffold.toml"


class Budgets(BaseModel):
    """Fixed per-suite limits, identical across models."""

    model_config = ConfigDict(extra="forbid")

    max_steps: int
    """Model turns per sample."""
    max_tokens: int
    """Total tokens per sample; 0 means no budget."""
    time_limit: int
    """Wall-clock seconds per sample; 0 means the task sets it."""
    command_timeout: int
    """Seconds per tool call."""
    max_tool_output: int
    """Bytes of tool output shown to the model; longer output keeps head and tail."""


class Protocol(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tools: list[str]
    submit: bool


class ScaffoldConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    system_prompt: str
    protocols: dict[str, Protocol]
    budgets: dict[str, Budgets]


@cache
def config() -> ScaffoldConfig:
    with SCAFFOLD_FILE.open("rb") as f:
        return ScaffoldConfig.model_validate(tomllib.load(f))


def budgets(suite: str) -> Budgets:
    cfg = config()
    if suite not in cfg.budgets:
        raise choose("scaffold budget", suite, list(cfg.budgets))
    return cfg.budgets[suite]


def scaffold_hash(suite: str, protocol: str) -> str:
    """Content hash of everything the model experiences for this suite: prompt, tools, budgets."""
    cfg = config()
    payload = {"version": cfg.version, "system_prompt": cfg.system_prompt.strip(),
               "protocol": protocol, **cfg.protocols[protocol].model_dump(),
               "budgets": budgets(suite).model_dump()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def task_limits(suite: str) -> dict[str, Any]:
    """Keyword arguments for `inspect_ai.Task` that enforce the suite's budgets."""
    b = budgets(suite)
    limits: dict[str, Any] = {"turn_limit": b.max_steps,
                              "config": GenerateConfig(max_tool_output=b.max_tool_output)}
    if b.max_tokens:
        limits["token_limit"] = b.max_tokens
    if b.time_limit:
        limits["time_limit"] = b.time_limit
    return limits


def _tool(name: str, b: Budgets) -> Tool:
    if name == "bash_session":
        # the session keeps running a command past wait_for_output; the model can read or interrupt it
        return bash_session(wait_for_output=b.command_timeout)
    if name == "text_editor":
        return text_editor(timeout=b.command_timeout)
    raise HarnessError(f"{SCAFFOLD_FILE}: unknown tool {name!r}; valid: bash_session, text_editor")


def scaffold_solver(suite: str, protocol: str,
                    extra_tools: Sequence[Tool | ToolSource] = (),
                    system_prompt: str | None = None) -> Solver:
    """The scaffold as an inspect solver for `suite` under `protocol` (shell, mcp or single_turn)."""
    cfg = config()
    if protocol not in cfg.protocols:
        raise choose("scaffold protocol", protocol, list(cfg.protocols))
    proto = cfg.protocols[protocol]
    b = budgets(suite)
    prompt = (system_prompt or cfg.system_prompt).strip()
    if protocol == "single_turn":
        return chain(system_message(prompt), generate(tool_calls="none"))
    tools: list[Tool | ToolSource] = [_tool(name, b) for name in proto.tools]
    tools.extend(extra_tools)
    agent = react(
        prompt=AgentPrompt(instructions=prompt, assistant_prompt=None, handoff_prompt=None),
        tools=tools,
        submit=AgentSubmit() if proto.submit else False,
        truncation="disabled",
    )
    return as_solver(agent)
