"""The MCP-Atlas oracle: replay the reference trajectory's tool calls against the live servers, then answer.

Outputs that differ from the recorded tool messages are listed in the sample metadata (a free replay check).
The answer is the trajectory's final assistant message where one is recorded (the bundled offline set), else the
task's claims one per line (MCP-Atlas rows record no final answer; a correct judge finds every claim covered).
"""

from __future__ import annotations

from inspect_ai.model import ChatMessageAssistant, ModelOutput
from inspect_ai.solver import Generate, Solver, TaskState, solver

from harness.scaffold import budgets
from suites.mcp_atlas.dataset import McpTask
from suites.mcp_atlas.tools import connected_tools, normalise, run_calls

SUITE = "mcp_atlas"


def reference_answer(task: McpTask) -> str:
    return task.final_answer or "\n".join(task.claims)


@solver
def oracle() -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        task = McpTask.model_validate(state.metadata["task"])
        calls = task.tool_calls
        if calls:
            async with connected_tools({c.name for c in calls}, timeout=budgets(SUITE).command_timeout) as tools:
                results = await run_calls(calls, tools)
            state.metadata["oracle_tool_errors"] = [r.call.name for r in results if r.error]
            # outputs that differ from the recorded ones (the bundled set records them; see replay.py)
            state.metadata["oracle_output_mismatches"] = [
                r.call.id for r in results
                if r.call.output is not None and not r.call.volatile
                and normalise(r.call.output) != normalise(r.output)]
        answer = reference_answer(task)
        state.messages.append(ChatMessageAssistant(content=answer, model="oracle"))
        state.output = ModelOutput.from_content(model="oracle", content=answer)
        return state

    return solve
