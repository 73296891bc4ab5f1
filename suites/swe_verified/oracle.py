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


@solver
def oracle() -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        instance = Instance.model_validate(state.metadata["instance"])
        box = sandbox()
        await box.write_file(GOLD_FILE, instance.patch)
        workdir = settings().sandbox.workdir
        result = await box.exec(["git", "apply", "--verbose", GOLD_FILE], cwd=workdir)
        if not result.success:
            result = await box.exec(["patch", "--batch", "--forward", "--fuzz=5", "-p1", "-i", GOLD_FILE], cwd=workdir)
        await box.exec(["rm", "-f", GOLD_FILE])
        state.metadata["oracle_applied"] = result.success
        state.metadata["oracle_output"] = (result.stdout + result.stderr)[-2000:]
        return state

    return solve
