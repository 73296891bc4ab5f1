"""The SWE-bench oracle: apply the row's gold patch in the agent's container, as an agent would edit the files.

The patch then travels the same path as a model's work: `git diff <base_commit>`, a fresh evaluation container,
the official apply chain and grading. `harness validate swe_verified --solver gold` must resolve every instance.
"""

from __future__ import annotations

from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import sandbox

from suites.swe_verified.config import settings
from suites.swe_verified.dataset import Instance

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
def oracle() -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        instance = Instance.model_validate(state.metadata["instance"])
        result = await sandbox().exec(
            ["bash", "-c", APPLY_GOLD, "apply", GOLD_FILE],
            input=instance.patch,
            cwd=settings().sandbox.workdir,
            timeout=600,
        )
        state.metadata["oracle_applied"] = result.success
        state.metadata["oracle_output"] = (result.stdout + result.stderr)[-2000:]
        return state

    return solve
