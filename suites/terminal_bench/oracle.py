"""The Terminal-Bench oracle: copy solution/ to /solution and run solve.sh with the task's [solution] env."""

from __future__ import annotations

from pathlib import Path

from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import sandbox

from harness.sandbox_files import upload_dir
from suites.terminal_bench.dataset import load_task


@solver
def oracle() -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        task = load_task(Path(state.metadata["task_dir"]))
        await upload_dir(sandbox(), task.path / "solution", "/solution")
        result = await sandbox().exec(["bash", "/solution/solve.sh"], env=task.config.solution.env,
                                      timeout=int(task.config.agent.timeout_sec))
        state.metadata["oracle_exit_code"] = result.returncode
        return state

    return solve
