"""The Terminal-Bench oracle, as Harbor's OracleAgent: copy solution/ to /solution and run solve.sh.

solve.sh runs from the task container's workdir with DEBIAN_FRONTEND=noninteractive plus the task's
[solution].env, its output going to /logs/agent/oracle.txt. A non-zero exit is recorded, not an error: the
verifier decides. TB1 tasks: solution.sh (or solution.yaml's commands) becomes /solution/solve.sh.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import sandbox

from harness.errors import HarnessError
from harness.sandbox_files import upload
from suites.terminal_bench.dataset import TbTask, load_task
from suites.terminal_bench.files import MAKE_LOG_DIRS

SOLUTION_DIR = "/solution"
LOG = "/logs/agent/oracle.txt"
TEMPLATE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", re.IGNORECASE)


def solution_env(task: TbTask) -> dict[str, str]:
    """[solution].env with Harbor's ${VAR} / ${VAR:-default} resolved from the host, refusing secrets."""

    def resolve(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if SECRET.search(name):
            raise HarnessError(
                f"task {task.name}: task.toml [solution].env asks for the host's ${{{name}}}; "
                "credentials never enter a sandbox"
            )
        value = os.environ.get(name, default)
        if value is None:
            raise HarnessError(f"task {task.name}: task.toml [solution].env needs ${{{name}}}; set it on the host")
        return value

    return {
        "DEBIAN_FRONTEND": "noninteractive",
        **{key: TEMPLATE.sub(resolve, value) for key, value in task.config.solution.env.items()},
    }


@solver
def oracle() -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        task = load_task(Path(state.metadata["task_dir"]))
        box = sandbox()
        env = solution_env(task)
        if task.solution_dir is not None:
            name, files, extra = task.solution_script, task.solution_dir, None
        else:
            name, files, extra = "solve.sh", None, {"solve.sh": (task.solution_text() or "").encode()}
        script = f"{SOLUTION_DIR}/{name}"
        # one root exec: files, log dirs, and the chmod Harbor does as the agent (root works for any USER)
        await upload(box, SOLUTION_DIR, files, extra, after=f"{MAKE_LOG_DIRS} && chmod +x {script}", user="root")
        result = await box.exec(["bash", "-c", f"{script} > {LOG} 2>&1"], env=env)
        state.metadata["oracle_exit_code"] = result.returncode
        return state

    return solve
