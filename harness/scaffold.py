"""The one agent scaffold: inspect's ReAct loop with fixed prompt, tools and budgets from `data/scaffold.toml`.

History is append-only (no truncation or compaction), so provider prompt caching sees stable prefixes. Long tool
output keeps its head and tail around a marker that says how much was cut. Where the agent's work is collected
(diff, files, answer) is the suite's job, not the scaffold's.
"""

from __future__ import annotations

import functools
import shlex
import tomllib
from collections.abc import Sequence
from functools import cache
from typing import Any

from inspect_ai.agent import AgentPrompt, AgentSubmit, as_solver, react
from inspect_ai.model import GenerateConfig
from inspect_ai.solver import Solver, chain, generate, system_message
from inspect_ai.tool import Tool, ToolDef, ToolSource, bash_session, text_editor
from inspect_ai.util import store
from pydantic import BaseModel, ConfigDict

from harness.digest import digest
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


class Shell(BaseModel):
    """The agent shell's environment: variables and shell code run before the model's first command."""

    model_config = ConfigDict(extra="forbid")

    env: dict[str, str]
    init: str = ""

    def command(self) -> str:
        """One line that prepares a bash session (quiet: its output is not shown to the model)."""
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(self.env.items()))
        return f"export {exports}; {self.init}".strip().rstrip(";")


class ScaffoldConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    system_prompt: str
    shell: Shell
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


def scaffold_hash(suite: str, protocol: str, system_prompt: str | None = None) -> str:
    """Content hash of everything the model experiences for this suite: prompt, tools, budgets.

    `system_prompt` is a suite's own system message (e.g. LiveCodeBench's official one), which replaces the
    scaffold's and so must be part of the hash.
    """
    cfg = config()
    payload = {
        "version": cfg.version,
        "system_prompt": (system_prompt or cfg.system_prompt).strip(),
        "protocol": protocol,
        **cfg.protocols[protocol].model_dump(),
        "budgets": budgets(suite).model_dump(),
        "shell": cfg.shell.model_dump() if "bash_session" in cfg.protocols[protocol].tools else None,
    }
    return digest(payload)


def task_limits(suite: str) -> dict[str, Any]:
    """Keyword arguments for `inspect_ai.Task` that enforce the suite's budgets."""
    b = budgets(suite)
    limits: dict[str, Any] = {"turn_limit": b.max_steps, "config": GenerateConfig(max_tool_output=b.max_tool_output)}
    if b.max_tokens:
        limits["token_limit"] = b.max_tokens
    if b.time_limit:
        limits["time_limit"] = b.time_limit
    return limits


OMITTED = "\n\n[... {omitted} bytes of output omitted here: the first and last parts are shown ...]\n\n"


def truncate_middle(text: str, max_bytes: int) -> str:
    """`text` if it fits in `max_bytes` (UTF-8), else its head and tail around a marker, within `max_bytes`."""
    data = text.encode("utf-8", errors="replace")
    if len(data) <= max_bytes:
        return text
    marker_size = len(OMITTED.format(omitted=len(data)).encode())
    keep = max(0, max_bytes - marker_size)
    head, tail = data[: keep // 2], data[len(data) - (keep - keep // 2) :]
    marker = OMITTED.format(omitted=len(data) - len(head) - len(tail))
    return head.decode("utf-8", errors="ignore") + marker + tail.decode("utf-8", errors="ignore")


def bounded(tool: Tool, max_bytes: int) -> Tool:
    """`tool` with string output longer than `max_bytes` cut to head + marker + tail (inspect's own cut is off)."""
    tdef = ToolDef(tool)
    inner = tdef.tool

    @functools.wraps(inner)
    async def execute(*args: Any, **kwargs: Any) -> Any:
        result = await inner(*args, **kwargs)
        return truncate_middle(result, max_bytes) if isinstance(result, str) else result

    return ToolDef(
        execute,
        name=tdef.name,
        description=tdef.description,
        parameters=tdef.parameters,
        parallel=tdef.parallel,
        viewer=tdef.viewer,
        model_input=tdef.model_input,
        max_output=0,
        options=tdef.options,
    ).as_tool()


def prepared_shell(tool: Tool, shell: Shell) -> Tool:
    """`bash_session` that runs `shell.command()` in a session before the model's first command there, and again
    after the model restarts it; that setup's own output is not shown to the model."""
    tdef = ToolDef(tool)
    inner = tdef.tool
    setup = shell.command()

    @functools.wraps(inner)
    async def execute(action: str, input: str | None = None) -> Any:
        state = store()
        if action != "restart" and not state.get(SHELL_READY):
            await inner(action="type_submit", input=setup)
            state.set(SHELL_READY, True)
        result = await inner(action=action, input=input)
        if action == "restart":
            await inner(action="type_submit", input=setup)
        return result

    return ToolDef(
        execute,
        name=tdef.name,
        description=tdef.description,
        parameters=tdef.parameters,
        parallel=tdef.parallel,
        viewer=tdef.viewer,
        model_input=tdef.model_input,
        max_output=tdef.max_output,
        options=tdef.options,
    ).as_tool()


SHELL_READY = "harness:shell_ready"
"""Sample store key: the agent's bash session has the scaffold's shell environment."""


def _tool(name: str, b: Budgets) -> Tool:
    if name == "bash_session":
        # the session keeps running a command past wait_for_output; the model can read or interrupt it
        shell = prepared_shell(bash_session(wait_for_output=b.command_timeout), config().shell)
        return bounded(shell, b.max_tool_output)
    if name == "text_editor":
        return bounded(text_editor(timeout=b.command_timeout), b.max_tool_output)
    raise HarnessError(f"{SCAFFOLD_FILE}: unknown tool {name!r}; valid: bash_session, text_editor")


def scaffold_solver(
    suite: str, protocol: str, extra_tools: Sequence[Tool | ToolSource] = (), system_prompt: str | None = None
) -> Solver:
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
    # a suite's own tools get the same cut; tool sources (MCP servers) get inspect's (head + tail, no marker)
    tools.extend(t if isinstance(t, ToolSource) else bounded(t, b.max_tool_output) for t in extra_tools)
    agent = react(
        prompt=AgentPrompt(instructions=prompt, assistant_prompt=None, handoff_prompt=None),
        tools=tools,
        submit=AgentSubmit() if proto.submit else False,
        truncation="disabled",
    )
    return as_solver(agent)
