"""Infrastructure faults are never a model's failure: a container killed in each phase (Terminal-Bench agent and
verifier, the SWE-bench evaluation, the LiveCodeBench grader) is retried in a fresh sandbox and ends scored as the
gold answer deserves, never as a 0; a fault on every attempt ends as an error (exit 3), never as a score."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from harness import exit_codes, leftovers
from harness.paths import SUITES
from harness.run import EvalRequest, run_eval

pytestmark = pytest.mark.docker
TB_SAMPLES = SUITES / "terminal_bench" / "samples"


class Killer(threading.Thread):
    """Kills (SIGKILL) a container of `run_id` whose `probe` command succeeds, `times` times, then stops."""

    def __init__(
        self, run_id: str, probe: list[str] | None, times: int = 1, graders: bool = False, service: str | None = None
    ) -> None:
        super().__init__(daemon=True)
        self.run_id, self.probe, self.times, self.graders, self.service = run_id, probe, times, graders, service
        self.killed: list[str] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set() and len(self.killed) < self.times:
            try:
                self.kill_one()
            except Exception as ex:  # a container removed while it was listed: look again
                print(f"killer: {type(ex).__name__}: {ex}")
            time.sleep(0.2)

    def kill_one(self) -> None:
        for container in leftovers.find(self.run_id)["containers"]:
            grader = "org.harness.livecodebench-grader" in container.labels
            if container.status != "running" or container.name in self.killed or grader != self.graders:
                continue
            if self.service and container.labels.get("com.docker.compose.service") != self.service:
                continue
            if self.probe and subprocess.run(["docker", "exec", container.name, *self.probe]).returncode:
                continue
            subprocess.run(["docker", "kill", container.name], capture_output=True)
            self.killed.append(container.name)
            return

    def __enter__(self) -> Killer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.join(10)


def tb_task(tmp_path: Path, *, solve_prefix: str = "", test_prefix: str = "") -> Path:
    """A copy of the hello-file sample whose solution or tests first mark their phase and wait for the killer."""
    tasks = tmp_path / "tasks"
    task = tasks / "hello-file"
    shutil.copytree(TB_SAMPLES / "hello-file", task)
    for path, prefix in ((task / "solution" / "solve.sh", solve_prefix), (task / "tests" / "test.sh", test_prefix)):
        if prefix:
            lines = path.read_text().splitlines(keepends=True)
            path.write_text(lines[0] + prefix + "\n" + "".join(lines[1:]))
    return tasks


def samples(run_dir: Path) -> pd.DataFrame:
    return pd.read_csv(run_dir / "samples.csv")


@pytest.mark.parametrize(
    ("phase", "solve_prefix", "test_prefix", "probe"),
    [
        ("agent", "touch /tmp/phase-agent; sleep 8", "", ["test", "-f", "/tmp/phase-agent"]),
        ("verifier", "", "touch /tmp/phase-verifier; sleep 8", ["test", "-f", "/tmp/phase-verifier"]),
    ],
)
def test_terminal_bench_container_killed_is_retried_not_scored(
    phase, solve_prefix, test_prefix, probe, docker_engine, results_dir, tmp_path
) -> None:
    run_id = f"tb-killed-in-{phase}"
    tasks = tb_task(tmp_path, solve_prefix=solve_prefix, test_prefix=test_prefix)
    with Killer(run_id, probe) as killer:
        outcome = run_eval(
            EvalRequest(model="oracle", suites=["terminal_bench"], run_id=run_id, options={"tasks_dir": str(tasks)})
        )
    assert len(killer.killed) == 1, "the killer never found the phase"
    df = samples(outcome.run_dir)
    assert outcome.exit_code == exit_codes.OK, df.to_dict("records")
    assert df["score"].tolist() == [1.0] and df["retries"].tolist() == [1] and not df["errored"].any()


def test_a_fault_on_every_attempt_ends_as_an_error_not_a_score(docker_engine, results_dir, tmp_path) -> None:
    run_id = "tb-killed-always"
    tasks = tb_task(tmp_path, test_prefix="touch /tmp/phase-verifier; sleep 8")
    with Killer(run_id, ["test", "-f", "/tmp/phase-verifier"], times=3) as killer:
        outcome = run_eval(
            EvalRequest(model="oracle", suites=["terminal_bench"], run_id=run_id, options={"tasks_dir": str(tasks)})
        )
    assert len(killer.killed) == 3  # the first attempt and both retries of the policy
    df = samples(outcome.run_dir)
    assert outcome.exit_code == exit_codes.SAMPLE_ERRORS and outcome.samples["scored"] == 0
    assert df["errored"].tolist() == [True] and df["retries"].tolist() == [2]
    assert df["error"].notna().all() and df["infra_error"].isna().all()  # an error, not a score of 0


@pytest.mark.parametrize(
    ("phase", "service", "probe"),
    [("agent", "default", ["true"]), ("evaluation", "eval", ["test", "-f", "/eval.sh"])],
)
def test_swe_container_killed_is_retried_not_scored(phase, service, probe, docker_engine, results_dir) -> None:
    run_id = f"swe-{phase}-killed"
    with Killer(run_id, probe, service=service) as killer:
        outcome = run_eval(
            EvalRequest(
                model="oracle",
                suites=["swe_verified"],
                run_id=run_id,
                options={"instance_ids": "harness-fixtures__calc-1"},
            )
        )
    df = samples(outcome.run_dir)
    if not killer.killed:
        pytest.skip(f"the {phase} phase ended before the killer saw it (nothing was tested)")
    assert outcome.exit_code == exit_codes.OK, df.to_dict("records")
    assert df["score"].tolist() == [1.0] and df["retries"].tolist() == [1]


def test_livecodebench_grader_killed_is_graded_again_in_a_fresh_grader(docker_engine, results_dir) -> None:
    run_id = "lcb-grader-killed"
    with Killer(run_id, None, graders=True) as killer:
        outcome = run_eval(EvalRequest(model="oracle", suites=["livecodebench"], run_id=run_id, options={"limit": 1}))
    assert len(killer.killed) == 1
    df = samples(outcome.run_dir)
    assert outcome.exit_code == exit_codes.OK, df.to_dict("records")
    assert df["score"].tolist() == [1.0] and not df["errored"].any()
