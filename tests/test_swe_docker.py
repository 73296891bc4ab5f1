"""SWE-bench Verified end to end on the offline fixtures, in real Docker sandboxes: `harness validate` (gold patch
resolves all, empty patch none), and a scripted model driving the real scaffold: one honest fix (resolved under
both verdicts). The patches that game the official grading are in tests/exploits/."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from harness.cli import main
from harness.fixture_repo import BUILD_REPO
from harness.results import load
from harness.run import EvalRequest, run_eval
from suites.swe_verified.dataset import FIXTURES_DIR

pytestmark = pytest.mark.docker

FIXTURES = [
    "harness-fixtures__calc-1",
    "harness-fixtures__dates-3",
    "harness-fixtures__inventory-4",
    "harness-fixtures__textkit-2",
]


def samples(run_dir: Path) -> list:
    from inspect_ai.log import read_eval_log_samples

    (log,) = sorted((run_dir / "logs").glob("*.eval"))
    return list(read_eval_log_samples(str(log)))


def score_meta(sample) -> dict:
    return next(iter(sample.scores.values())).metadata


def predictions(run_dir: Path) -> dict[str, dict]:
    lines = (run_dir / "swe_verified" / "predictions.jsonl").read_text().splitlines()
    return {row["instance_id"]: row for row in map(json.loads, lines)}


def test_validate_gold_resolves_all_and_empty_none(docker_engine, results_dir, capsys) -> None:
    assert main(["validate", "swe_verified", "--display", "none"]) == 0
    out = capsys.readouterr().out
    assert "oracle: 4/4 passed, 0 infrastructure errors, 0 skipped; expected 4/4: OK" in out
    assert "noop: 0/4 passed, 0 infrastructure errors, 0 skipped; expected 0/4: OK" in out
    for fixture in FIXTURES:
        assert fixture in out

    gold_dir, empty_dir = sorted((results_dir / "runs").iterdir(), key=lambda p: "noop" in p.name)
    gold = {s.id: score_meta(s) for s in samples(gold_dir)}
    assert all(m["resolved"] and m["resolved_strict"] and m["base_found"] for m in gold.values())
    assert all(m["patch_applied_with"] == "git apply --verbose" for m in gold.values())
    preds = predictions(gold_dir)
    assert set(preds) == set(FIXTURES) and all(p["model_name_or_path"] == "oracle" for p in preds.values())
    assert "-    return a // b\n+    return a / b" in preds["harness-fixtures__calc-1"]["model_patch"]
    report = json.loads((gold_dir / "swe_verified" / "report.json").read_text())
    assert report["resolved_instances"] == 4 and report["harness"]["resolved_rate"] == 1.0

    # an empty patch is unresolved without grading (official); its unpatched run shows FAIL_TO_PASS failing
    for sample in samples(empty_dir):
        meta = score_meta(sample)
        assert meta["empty_patch"] and not meta["resolved"] and meta["infra_error"] is None
        f2p = json.loads(sample.metadata["instance"]["FAIL_TO_PASS"])
        assert meta["unpatched_tests_status"]["FAIL_TO_PASS"]["failure"] == f2p
        assert meta["unpatched_tests_status"]["PASS_TO_PASS"]["failure"] == []
    report = json.loads((empty_dir / "swe_verified" / "report.json").read_text())
    assert report["empty_patch_instances"] == 4 and report["resolved_instances"] == 0
    assert all(p["model_patch"] == "" for p in predictions(empty_dir).values())


def future_commit() -> str:
    """The upstream-fix commit that a fixture image's history holds before the agent phase prunes it."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["bash", str(BUILD_REPO), str(FIXTURES_DIR / "src" / FIXTURES[0]), f"{tmp}/repo"],
            check=True,
            capture_output=True,
        )
        return subprocess.run(
            ["git", "rev-parse", "upstream-fix"], cwd=f"{tmp}/repo", check=True, capture_output=True, text=True
        ).stdout.strip()


def bash(command: str) -> dict:
    return {"tool_calls": [{"function": "bash_session", "arguments": {"action": "type_submit", "input": command}}]}


def edit(**arguments: str) -> dict:
    return {"tool_calls": [{"function": "text_editor", "arguments": arguments}]}


SUBMIT = {"tool_calls": [{"function": "submit", "arguments": {"answer": "done"}}]}


def test_scripted_model_fixes_one_resolved_under_both_verdicts(docker_engine, results_dir, tmp_path) -> None:
    future = future_commit()
    script = {
        "harness-fixtures__calc-1": [  # honest fix, through both tools; leaves junk and a binary file behind
            bash(
                f"printf 'x\\000y' > data.bin; python -m pytest -q tests 2>&1 | tail -1; "
                f"git --no-pager log --all --oneline; git cat-file -t {future} 2>&1 || echo FUTURE-GONE"
            ),
            edit(
                command="str_replace",
                path="/testbed/calc/ops.py",
                old_str="    return a // b",
                new_str="    return a / b",
            ),
            # the session tool returns once output pauses; this runs after the first command, so its output
            # (and the first command's, whenever it ends) has arrived before the patch is collected
            bash("echo SESSION-DONE"),
            SUBMIT,
        ],
    }
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script))
    run = run_eval(
        EvalRequest(
            model="scripted",
            suites=["swe_verified"],
            script=path,
            options={"instance_ids": "harness-fixtures__calc-1"},
        )
    )

    table = load([run.run_dir / "logs"]).set_index("task")
    assert table["passed"].to_dict() == table["strict"].to_dict() == {"harness-fixtures__calc-1": True}
    by_id = {s.id: s for s in samples(run.run_dir)}
    assert score_meta(by_id["harness-fixtures__calc-1"])["strict_violations"] == []
    assert score_meta(by_id["harness-fixtures__calc-1"])["canary_status"] == "FAILED"  # the runner is honest

    calc = by_id["harness-fixtures__calc-1"]
    tool_output = "\n".join(m.text for m in calc.messages if m.role == "tool")
    assert "SESSION-DONE" in tool_output and "5 passed" in tool_output  # the agent's own test run
    assert "FUTURE-GONE" in tool_output and "upstream fix" not in tool_output  # history was pruned
    meta = score_meta(calc)
    assert meta["fail_to_pass"] == "1/1" and meta["pass_to_pass"] == "5/5"
    excluded = {e["path"]: e["reason"] for e in meta["excluded_from_patch"]}
    assert excluded["data.bin"] == "binary" and excluded["calc/__pycache__/ops.cpython-311.pyc"] == "junk"
    preds = predictions(run.run_dir)
    assert preds["harness-fixtures__calc-1"]["model_name_or_path"] == "scripted"
    assert preds["harness-fixtures__calc-1"]["model_patch"].count("diff --git") == 1
