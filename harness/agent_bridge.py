"""Bridge agents: Claude Code and Codex CLI running in the sandbox, their model calls through inspect's bridge.

inspect-swe's `claude_code` and `codex_cli` start the CLI found in the sandbox (`version="sandbox"`: the one
harness.agent_images installed at build time; a run never downloads one) and serve its API calls (Anthropic
messages, OpenAI responses) through inspect's sandbox agent bridge with the task's model, `harness/<alias>`: the
retry policy, the run guard, tokens, cache reads and cost are the fixed scaffold's. The bridge's proxy in the
sandbox is the sandbox's only way out, and no API key enters it (the CLI holds a dummy one).

Budgets: the suite's inspect sample limits (time, tokens, turns = model calls, including the CLI's own side calls)
bind the agent phase; the CLIs run without a turn limit of their own. Web search is off: inspect's bridge
would run it on the host, a way around the sandbox's network setting.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from inspect_ai.agent import as_solver
from inspect_ai.solver import Solver
from inspect_ai.tool import Tool, ToolSource

from harness.agent_registry import AgentDef
from harness.errors import HarnessError


def solver(
    agent: AgentDef,
    *,
    suite: str,
    protocol: str,
    extra_tools: Sequence[Tool | ToolSource] = (),
    system_prompt: str | None = None,
) -> Solver:
    """`agent` (claude-code or codex-cli) as an inspect solver for `suite`: the sample's input is its task, the
    sandbox's working directory its cwd, the suite's tools (MCP-Atlas's) bridged to it as an MCP server."""
    if protocol == "single_turn":
        raise HarnessError(f"--agent {agent.name}: suite {suite} is single-turn; agents run multi-turn suites")
    if any(not isinstance(tool, Tool) for tool in extra_tools):
        raise HarnessError(f"--agent {agent.name}: suite {suite} gives tool sources the bridge cannot serve")
    options: dict[str, Any] = {
        "version": "sandbox",
        "system_prompt": system_prompt,
        "bridged_tools": list(extra_tools) or None,
        **agent.config,
    }
    if agent.name == "claude-code":
        from inspect_swe import claude_code

        return as_solver(claude_code(**options))
    if agent.name == "codex-cli":
        from inspect_swe import codex_cli

        _pin_codex_catalog(agent.version)
        return as_solver(codex_cli(**options))
    raise HarnessError(f"--agent {agent.name}: harness.agent_bridge runs claude-code and codex-cli only")


def _pin_codex_catalog(version: str) -> None:
    """inspect-swe aligns Codex's prompt and tools with a model catalog it fetches from GitHub at run time for the
    CLI's version, falling back to its bundled snapshot. A run downloads nothing: the snapshot is written where
    the fetched catalog would be cached, so every run uses the catalog of the pinned inspect-swe.
    """
    from inspect_swe._codex_cli._bundled_catalog import BUNDLED_CODEX_CATALOG  # no public hook for the catalog
    from inspect_swe._codex_cli.agentbinary import _cached_catalog_path

    _cached_catalog_path(version).write_text(json.dumps(BUNDLED_CODEX_CATALOG))
