"""The MCP-Atlas oracle: replay the reference trajectory's tool calls against the live servers, then answer.

The answer is the trajectory's final assistant message where one is recorded (the bundled offline set), else the
task's claims one per line (MCP-Atlas rows record no final answer; a correct judge finds every claim covered).
"""

from __future__ import annotations

from dataclasses import dataclass

from inspect_ai.model import ChatMessageAssistant, ModelOutput
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import ContentText, Tool, ToolError

from harness.scaffold import budgets
from suites.mcp_atlas.dataset import McpTask, ToolCall
from suites.mcp_atlas.tools import connected_tools

SUITE = "mcp_atlas"


@dataclass
class CallResult:
    call: ToolCall
    output: str
    error: bool


def result_text(result: object) -> str:
    """A tool result as text: text parts joined, other parts described (as MCP-Atlas's harness does)."""
    if isinstance(result, str):
        return result
    if isinstance(result, list):
        return "".join(p.text if isinstance(p, ContentText) else f"[{getattr(p, 'type', 'non-text')} content omitted]"
                       for p in result)
    return "" if result is None else str(result)


async def run_calls(calls: list[ToolCall], tools: dict[str, Tool]) -> list[CallResult]:
    """Call each tool in order; tool errors are results (the model would see them too), not exceptions."""
    results = []
    for call in calls:
        try:
            output = result_text(await tools[call.name](**call.arguments))
            results.append(CallResult(call, output, error=False))
        except ToolError as ex:
            results.append(CallResult(call, f"Error: {ex.message}", error=True))
    return results


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
        answer = reference_answer(task)
        state.messages.append(ChatMessageAssistant(content=answer, model="oracle"))
        state.output = ModelOutput.from_content(model="oracle", content=answer)
        return state

    return solve
