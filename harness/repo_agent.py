"""The agent phase of the repository suites: prune the repository's future, then run the agent under its budget;
after it, the patch that is graded.

The scaffold's wall-clock budget (`time_limit` in harness/data/scaffold.toml) bounds the agent phase only; the
evaluation phase has its own timeout. (A task-level time limit would also cap scoring at half the budget, cutting
the evaluation timeout short.)
"""

from __future__ import annotations

from dataclasses import asdict

from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import SandboxEnvironment, sandbox, time_limit

from harness.repo import PatchResult, collect_patch, prune_history

REPO_STATE = "harness:repo"
"""Key of the prune step's RepoState (as a dict) in the sample store."""
SUBMITTED_PATCH = "harness:submitted_patch"
"""Sample store key: the patch an agent submitted by its own protocol (mini-swe-agent's, as on SWE-bench's bash-only
leaderboard), empty when it submitted none. When set, it is what is graded instead of the working tree's diff."""
GOLD_FILE = "/tmp/harness_gold.patch"
# the gold patch arrives on stdin and is removed once applied
APPLY_GOLD = """
cat > "$1"
git apply --verbose "$1" || patch --batch --forward --fuzz=5 -p1 -i "$1"
status=$?
rm -f "$1"
exit $status
"""


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
def apply_gold(workdir: str) -> Solver:
    """The oracle: apply the row's gold patch (`metadata["instance"]["patch"]`) in the agent's container, as an
    agent would edit the files; the patch then travels the same path as a model's work."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        result = await sandbox().exec(
            ["bash", "-c", APPLY_GOLD, "apply", GOLD_FILE],
            input=str(state.metadata["instance"]["patch"]),
            cwd=workdir,
            timeout=600,
        )
        state.metadata["oracle_applied"] = result.success
        state.metadata["oracle_output"] = (result.stdout + result.stderr)[-2000:]
        return state

    return solve


@solver
def within_budget(agent: Solver, seconds: int | None) -> Solver:
    """Run `agent` under a wall-clock limit; when it is exceeded the sample ends and goes to scoring."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        with time_limit(seconds or None):
            return await agent(state, generate)

    return solve


async def graded_patch(
    state: TaskState, box: SandboxEnvironment, workdir: str, diff_base: str, junk: list[str]
) -> tuple[PatchResult, bool]:
    """The patch to grade and whether the agent submitted it: its submission if it has one (graded as submitted,
    as its leaderboard does), else the working tree's `git diff <diff_base>` (`collect_patch`)."""
    submitted: str | None = state.store.get(SUBMITTED_PATCH)
    if submitted is not None:
        return PatchResult(submitted, []), True
    return await collect_patch(box, workdir, diff_base, junk), False
