"""The MCP-Atlas oracle: replay the reference trajectory's tool calls against the live servers, then answer.

Every replayed output is compared with the recorded one (`replay.py`) and kept in the sample metadata (`replay`).
The answer is the trajectory's final assistant message where one is recorded (the bundled offline set), else the
task's claims one per line (MCP-Atlas rows record no final answer; a correct judge finds every claim covered).
With `replay=True` (`--replay`) the oracle only replays: calls to unavailable servers are skipped, not fatal.
"""

from __future__ import annotations

from inspect_ai.model import ChatMessageAssistant, ModelOutput
from inspect_ai.solver import Generate, Solver, TaskState, solver

from suites.mcp_atlas.dataset import McpTask
from suites.mcp_atlas.replay import as_metadata, replay_calls


def reference_answer(task: McpTask) -> str:
    return task.final_answer or "\n".join(task.claims)


@solver
def oracle(replay: bool = False, online: bool = False) -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        task = McpTask.model_validate(state.metadata["task"])
        checks = await replay_calls(task, online=online, has_data=bool(state.metadata.get("data_dir")))
        state.metadata["replay"] = as_metadata(checks)
        if replay:
            return state
        answer = reference_answer(task)
        state.messages.append(ChatMessageAssistant(content=answer, model="oracle"))
        state.output = ModelOutput.from_content(model="oracle", content=answer)
        return state

    return solve
