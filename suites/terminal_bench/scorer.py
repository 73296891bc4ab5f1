"""The Terminal-Bench verifier: fresh /tests, run tests/test.sh, read /logs/verifier/reward.{json,txt}."""

from __future__ import annotations

import json
import math
from pathlib import Path

from inspect_ai.scorer import Score, Target, mean, scorer, stderr
from inspect_ai.solver import TaskState
from inspect_ai.util import sandbox

from harness.sandbox_files import upload_dir
from harness.scoring import infra_errors, mean_valid, verdict
from suites.terminal_bench.dataset import load_task

REWARD_DIR = "/logs/verifier"


def parse_reward(reward_json: str | None, reward_txt: str | None) -> float:
    """The reward from reward.json (a dict of finite numbers; key `reward` or the mean) or reward.txt."""
    if reward_json is not None and reward_json.strip():
        data = json.loads(reward_json)
        if not isinstance(data, dict) or not data:
            raise ValueError("reward.json is not a non-empty object")
        values = {k: float(v) for k, v in data.items()}
        if not all(math.isfinite(v) for v in values.values()):
            raise ValueError("reward.json holds a non-finite number")
        return values.get("reward", sum(values.values()) / len(values))
    if reward_txt is not None and reward_txt.strip():
        value = float(reward_txt.strip())
        if not math.isfinite(value):
            raise ValueError("reward.txt is not finite")
        return value
    raise ValueError("no reward file (missing or empty)")


@scorer(metrics=[mean(), stderr(), mean_valid(), infra_errors()])
def verifier():
    async def score(state: TaskState, target: Target) -> Score:
        task = load_task(Path(state.metadata["task_dir"]))
        box = sandbox()
        await box.exec(["sh", "-c", f"rm -rf /tests {REWARD_DIR}/reward.* && mkdir -p {REWARD_DIR}"])
        await upload_dir(box, task.path / "tests", "/tests")
        try:
            run = await box.exec(["bash", "/tests/test.sh"], timeout=int(task.config.verifier.timeout_sec))
        except TimeoutError:
            return verdict(0, infra_error="verifier_timeout")
        files = {}
        for name in ("reward.json", "reward.txt"):
            read = await box.exec(["sh", "-c", f"cat {REWARD_DIR}/{name} 2>/dev/null || true"])
            files[name] = read.stdout if read.stdout else None
        try:
            reward = parse_reward(files["reward.json"], files["reward.txt"])
        except (ValueError, json.JSONDecodeError) as ex:
            return verdict(0, infra_error="verifier_error", explanation=f"{ex}; test.sh exit {run.returncode}")
        return verdict(reward, explanation=f"test.sh exit {run.returncode}", test_exit_code=run.returncode)

    return score
