"""LiveCodeBench in real Docker sandboxes: every fixture variant's verdict from the grading containers, their
isolation, and whole runs (oracle 1, no-op 0, a scripted model through the single-turn scaffold)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import images
from harness.results import load
from harness.run import EvalRequest, run_eval
from suites.livecodebench import dataset
from suites.livecodebench.oracle import fenced, program
from suites.livecodebench.prompts import SYSTEM_MESSAGE
from suites.livecodebench.samples import make_fixtures
from suites.livecodebench.sandbox import GRADER_IMAGE, GraderSettings, pool_for
from suites.livecodebench.scorer import classify

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def pool(docker_engine):
    images.ensure_built([GRADER_IMAGE])
    grader_pool = pool_for(GraderSettings(image=GRADER_IMAGE.tag, workers=2))
    yield grader_pool
    grader_pool.close()


def test_fixture_variants_get_their_verdicts_in_the_sandbox(pool) -> None:
    from concurrent.futures import ThreadPoolExecutor

    problems = {p.question_id: p for p in dataset.load_problems(data="sample", release="release_v6")}
    jobs = [
        (qid, variant, expected)
        for qid, variants in make_fixtures.variants().items()
        for variant, expected in variants.items()
    ]

    def run(job):
        qid, variant, _ = job
        return pool.grade({"code": program(qid, variant), **dataset.read_tests(problems[qid]), "timeout": 6})

    with ThreadPoolExecutor(max_workers=2) as executor:
        responses = list(executor.map(run, jobs))
    got = {(qid, variant): classify(r) for (qid, variant, _), r in zip(jobs, responses, strict=True)}
    assert got == {(qid, variant): expected for qid, variant, expected in jobs}
    tle = responses[jobs.index(("fxc001_a", "tle", "time_limit"))]
    assert tle["results"] == [-3] and 6 <= tle["elapsed"] < 9  # lcb_runner's 6 s per test


def test_programs_cannot_touch_the_grader_or_the_network(pool) -> None:
    hostile = (
        "import os, socket, posix, time\n"
        "try:\n    open('/opt/lcb/lcb_grader.py', 'a').write('# owned')\n    print('wrote')\nexcept OSError:\n"
        "    print('denied')\n"
        "try:\n    socket.create_connection(('1.1.1.1', 80), timeout=2)\n    print('online')\nexcept OSError:\n"
        "    print('offline')\n"
        "if posix.fork() == 0:\n    time.sleep(600)\n"  # a leftover process, killed after grading
        "print(posix.getuid() != 0)\n"
    )
    response = pool.grade(
        {"code": hostile, "inputs": ["\n"], "outputs": ["denied\noffline\nTrue\n"], "fn_name": None, "timeout": 6}
    )
    assert response["results"] == [True], response
    for container in pool.containers():
        uids = container.exec_run(["sh", "-c", "stat -c %u /proc/[0-9]*"]).output.decode().split()
        assert uids and not [uid for uid in uids if uid.isdigit() and int(uid) >= 100000], uids
    follow_up = pool.grade({"code": program("fxc001_a"), "inputs": ["1 2\n"], "outputs": ["3\n"], "fn_name": None})
    assert follow_up["results"] == [True]
    numpy = pool.grade(
        {
            "code": "import numpy as np\nprint(int(np.arange(int(input())).sum()))",
            "inputs": ["5\n"],
            "outputs": ["10\n"],
            "fn_name": None,
        }
    )
    assert numpy["results"] == [True]  # numpy is installed, as in lcb_runner's environment


def scores(run_dir: Path) -> dict[str, float]:
    df = load([run_dir / "logs"])
    return dict(zip(df["task"], df["score"], strict=True))


def test_oracle_scores_one_and_noop_zero(docker_engine, results_dir) -> None:
    oracle = run_eval(EvalRequest(model="oracle", suites=["livecodebench"]))
    assert oracle.success
    assert len(scores(oracle.run_dir)) == 10 and set(scores(oracle.run_dir).values()) == {1.0}
    manifest = json.loads((oracle.run_dir / "manifest.json").read_text())
    assert manifest["suites"]["livecodebench"]["dataset"]["problems"] == 10
    noop = run_eval(EvalRequest(model="noop", suites=["livecodebench"], options={"limit": 3}))
    assert set(scores(noop.run_dir).values()) == {0.0}


def test_scripted_model_answers_through_the_single_turn_scaffold(docker_engine, results_dir, tmp_path) -> None:
    from inspect_ai.log import read_eval_log

    wrong = {
        "fxc001_a": "wrong",
        "fxc001_b": "float_rounded",
        "9001_A": "lowercase",
        "9001_B": "commas",
        "fxc002_c": "wrong",
        "90001": "wrong",
        "90002": "string_bool",
        "90003": "float_noise",
    }
    script = {
        qid: [{"content": f"Here is my program.\n{fenced(program(qid, variant))}"}] for qid, variant in wrong.items()
    }
    # two fenced blocks: the last one is the answer
    script["90004"] = [{"content": f"A sketch:\n```python\nprint('draft')\n```\nFinal:\n{fenced(program('90004'))}"}]
    script["fxc003_a"] = [{"content": "I cannot solve this."}]
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script))
    run = run_eval(EvalRequest(model="scripted", suites=["livecodebench"], script=path, epochs=2))
    got = scores(run.run_dir)
    assert got == {qid: (1.0 if qid == "90004" else 0.0) for qid in [*wrong, "90004", "fxc003_a"]}
    log = read_eval_log(str(next((run.run_dir / "logs").glob("*.eval"))))
    sample = next(s for s in log.samples if s.id == "90004")
    assert sample.messages[0].role == "system" and sample.messages[0].text == SYSTEM_MESSAGE
    assert sample.messages[1].text.startswith("### Question:\n")
    assert sample.scores["lcb_scorer"].metadata["verdict"] == "passed"
    verdicts = {s.id: s.scores["lcb_scorer"].metadata["verdict"] for s in log.samples}
    assert verdicts["fxc003_a"] == "no_code" and verdicts["90001"] == "wrong_answer"
    public = {s.id: s.scores["lcb_scorer"].metadata["public_tests_passed"] for s in log.samples}
    assert public["90004"] is True and public["fxc003_a"] is False and public["90001"] is False  # routing signal
    metrics = log.results.scores[0].metrics
    assert metrics["pass@1"].value == pytest.approx(0.1) and "pass@5" not in metrics
    assert metrics["difficulty_hard"].value == pytest.approx(0.5)  # 90004 passes, fxc002_c fails
    assert metrics["platform_leetcode"].value == pytest.approx(0.25)


def _shell(command: str) -> dict:
    return {"tool_calls": [{"function": "bash_session", "arguments": {"action": "type_submit", "input": command}}]}


def _write(path: str, text: str) -> dict:
    arguments = {"command": "create", "path": path, "file_text": text}
    return {"tool_calls": [{"function": "text_editor", "arguments": arguments}]}


def _edit(path: str, old: str, new: str) -> dict:
    arguments = {"command": "str_replace", "path": path, "old_str": old, "new_str": new}
    return {"tool_calls": [{"function": "text_editor", "arguments": arguments}]}


def _submit(answer: str) -> dict:
    return {"tool_calls": [{"function": "submit", "arguments": {"answer": answer}}]}


def test_agentic_variant_runs_code_in_its_sandbox_before_answering(docker_engine, results_dir, tmp_path) -> None:
    from inspect_ai.log import read_eval_log

    from suites.livecodebench.agentic import INSTRUCTIONS

    check = (
        "python3 -c 'import builtins, typing; builtins.List = typing.List; from solution import Solution; "
        'print("got", Solution().twoSum([2, 7, 11, 15], 9))\''
    )
    offline = "python3 -c 'import socket; socket.create_connection((\"1.1.1.1\", 80), timeout=3)' || echo NO-NETWORK"
    script = {
        "90001": [  # a wrong program, caught by running it; the fixed one is submitted
            _write("/tmp/solution.py", program("90001", "wrong")),
            _shell(check),
            _edit("/tmp/solution.py", "return [j, seen[target - x]]", "return [seen[target - x], j]"),
            _shell(f"{check}; {offline}"),
            _submit(f"Checked on the example.\n{fenced(program('90001'))}"),
        ],
        "90002": [_submit(f"Untested.\n{fenced(program('90002', 'string_bool'))}")],
    }
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script))
    run = run_eval(EvalRequest(model="scripted", suites=["livecodebench_agentic"], script=path, options={"limit": 2}))
    assert scores(run.run_dir) == {"90001": 1.0, "90002": 0.0}
    log = read_eval_log(str(next((run.run_dir / "logs").glob("*.eval"))))
    sample = next(s for s in log.samples if s.id == "90001")
    assert sample.messages[1].text.endswith(INSTRUCTIONS)
    tool_outputs = [m.text for m in sample.messages if m.role == "tool"]
    assert any("got [1, 0]" in text for text in tool_outputs), tool_outputs  # the wrong program, run in the sandbox
    assert any("got [0, 1]" in text and "NO-NETWORK" in text for text in tool_outputs), tool_outputs
    manifest = json.loads((run.run_dir / "manifest.json").read_text())
    assert manifest["suites"]["livecodebench_agentic"]["protocol"] == "shell"
    oracle = run_eval(EvalRequest(model="oracle", suites=["livecodebench_agentic"], options={"limit": 3}))
    assert set(scores(oracle.run_dir).values()) == {1.0}
    noop = run_eval(EvalRequest(model="noop", suites=["livecodebench_agentic"], options={"limit": 3}))
    assert set(scores(noop.run_dir).values()) == {0.0}
