"""The agent phase's wall-clock budget ends the agent, not the sample: the scorer still runs, without a time cap
inherited from the agent's budget (the official eval timeout is 1800 s)."""

from __future__ import annotations

import anyio
from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.scorer import Score, Target, mean, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver

from harness.repo_agent import within_budget


@solver
def slow_agent() -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        state.metadata["agent_started"] = True
        await anyio.sleep(30)
        state.metadata["agent_finished"] = True
        return state

    return solve


@scorer(metrics=[mean()])
def records_what_the_agent_did():
    async def score(state: TaskState, target: Target) -> Score:
        await anyio.sleep(2)  # longer than the agent's budget: scoring is not capped by it
        return Score(
            value=1.0,
            metadata={
                "started": state.metadata.get("agent_started", False),
                "finished": state.metadata.get("agent_finished", False),
            },
        )

    return score


def test_agent_budget_stops_the_agent_and_scoring_still_runs(tmp_path) -> None:
    task = Task(
        dataset=[Sample(input="x", id="s")], solver=within_budget(slow_agent(), 1), scorer=records_what_the_agent_did()
    )
    (log,) = eval(task, model="mockllm/model", log_dir=str(tmp_path), display="none")
    (sample,) = log.samples or []
    assert sample.limit is not None and sample.limit.type == "time"
    score = next(iter(sample.scores.values()))
    assert score.value == 1.0 and score.metadata == {"started": True, "finished": False}
