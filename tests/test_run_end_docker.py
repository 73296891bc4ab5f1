"""Runs end honestly, in real Docker sandboxes: SIGINT exits 130 and `--resume` finishes the run to the table of an
uninterrupted run with no container left; after a SIGKILL, `harness clean RUN_ID` removes what the run left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from harness import leftovers

pytestmark = pytest.mark.docker
TASKS = "hello-file,sum-numbers"
ARGS = ["--model", "oracle", "--suite", "terminal_bench", "--task-names", TASKS, "--max-samples", "1"]


def harness(*args: str, results: Path) -> subprocess.Popen[str]:
    """`harness ...` in its own process group (as a shell runs it), so SIGINT reaches it as Ctrl-C would."""
    env = {**os.environ, "HARNESS_RESULTS_DIR": str(results), "INSPECT_DISPLAY": "plain"}
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def wait_for_containers(run_id: str, process: subprocess.Popen[str], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if leftovers.find(run_id)["containers"]:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.5)
    raise AssertionError(f"no container of run {run_id} appeared")


def table(run_dir: Path) -> list[tuple[str, float, bool]]:
    df = pd.read_csv(run_dir / "samples.csv")
    return sorted(zip(df["task"], df["score"], df["errored"], strict=True))


def test_sigint_exits_130_and_resume_matches_an_uninterrupted_run(docker_engine, tmp_path) -> None:
    results = tmp_path / "results"
    whole = harness("eval", *ARGS, "--resume", "x", results=results)  # refused: no such run, nothing made
    assert whole.wait(120) == 2 and "no such run" in whole.communicate()[1]

    reference = harness("eval", *ARGS, results=results)
    out, err = reference.communicate(timeout=900)
    assert reference.returncode == 0, err[-3000:]
    reference_dir = Path(out.strip().splitlines()[-1].removeprefix("run directory: "))

    run_id = "interrupted-run"
    process = harness_with_id(run_id, results, ARGS)
    wait_for_containers(run_id, process)
    time.sleep(2)
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 130, err[-3000:]
    assert f"harness eval --resume {run_id}" in err
    record = json.loads((results / "runs" / run_id / "manifest.json").read_text())
    assert record["status"] == "interrupted" and record["success"] is False and record["exit_code"] == 130
    assert record["samples"]["planned"] == 2 and record["samples"]["scored"] < 2

    resumed = harness("eval", "--resume", run_id, results=results)
    out, err = resumed.communicate(timeout=900)
    assert resumed.returncode == 0, err[-3000:]
    run_dir = results / "runs" / run_id
    assert table(run_dir) == table(reference_dir)
    record = json.loads((run_dir / "manifest.json").read_text())
    assert record["status"] == "complete" and record["samples"]["scored"] == 2
    assert not any(leftovers.find(run_id).values())


def harness_with_id(run_id: str, results: Path, args: list[str]) -> subprocess.Popen[str]:
    """`harness eval ARGS` as a new run named `run_id` (the command line has no flag naming a new run)."""
    env = {**os.environ, "HARNESS_RESULTS_DIR": str(results), "INSPECT_DISPLAY": "plain"}
    code = (
        "import sys; from harness.cli import main; from harness import run; "
        f"run.new_run_id = lambda model, suites: {run_id!r}; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, "eval", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def test_sigkill_leaves_containers_that_clean_removes(docker_engine, tmp_path) -> None:
    results = tmp_path / "results"
    run_id = "killed-run"
    process = harness_with_id(run_id, results, [*ARGS[:4], "--task-names", "kv-sidecar"])  # a sidecar and a network
    deadline = time.monotonic() + 300
    while not (leftovers.find(run_id)["networks"] and len(leftovers.find(run_id)["containers"]) >= 2):
        assert time.monotonic() < deadline and process.poll() is None, "the sandbox never came up"
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    left = leftovers.find(run_id)
    assert left["containers"] and left["networks"], "a SIGKILLed run leaves its sandbox up"
    clean = harness("clean", run_id, results=results)
    _out, err = clean.communicate(timeout=300)
    assert clean.returncode == 0, err
    assert not any(leftovers.find(run_id).values())
