"""Who acts in the sandbox: the scaffold or another agent (`--agent`) driving the model, the suite's oracle, or a
no-op."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import Tool, ToolSource

from harness.agent_registry import get_agent
from harness.scaffold import scaffold_solver
from harness.suite import AgentKind, TaskRequest


@solver
def noop() -> Solver:
    """Does nothing: the agent's work is whatever the sandbox already holds. Must score 0."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        return state

    return solve


def agent_solver(
    request: TaskRequest,
    *,
    suite: str,
    protocol: str,
    oracle: Solver,
    extra_tools: Sequence[Tool | ToolSource] = (),
    system_prompt: str | None = None,
) -> Solver:
    """The solver for the requested agent kind; suites wrap it with their own setup and collection steps."""
    if request.agent is AgentKind.ORACLE:
        return oracle
    if request.agent is AgentKind.NOOP:
        return noop()
    agent = get_agent(request.agent_name)
    if not agent.is_default:  # its module's `solver(agent, *, suite, protocol, extra_tools, system_prompt)`
        assert agent.module is not None
        module = importlib.import_module(agent.module)
        return module.solver(
            agent, suite=suite, protocol=protocol, extra_tools=extra_tools, system_prompt=system_prompt
        )
    return scaffold_solver(suite, protocol, extra_tools=extra_tools, system_prompt=system_prompt)
