"""The agent phase of the repository suites: prune the repository's future, then run the agent under its budget.

The scaffold's wall-clock budget (`time_limit` in harness/data/scaffold.toml) bounds the agent phase only; the
evaluation phase has its own timeout. (A task-level time limit would also cap scoring at half the budget, cutting
the evaluation timeout short.)
"""

from __future__ import annotations

from dataclasses import asdict

from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import sandbox, time_limit

from harness.repo import prune_history

REPO_STATE = "harness:repo"
"""Key of the prune step's RepoState (as a dict) in the sample store."""


@solver
def prepare_repo(workdir: str) -> Solver:
    """Remove git refs, reflogs and objects newer than the checkout before the agent sees the repository."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        base_commit = str(state.metadata["instance"]["base_commit"])
        repo = await prune_history(sandbox(), workdir, base_commit)
        state.store.set(REPO_STATE, asdict(repo))
        return state

    return solve


@solver
def within_budget(agent: Solver, seconds: int | None) -> Solver:
    """Run `agent` under a wall-clock limit; when it is exceeded the sample ends and goes to scoring."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        with time_limit(seconds or None):
            return await agent(state, generate)

    return solve
