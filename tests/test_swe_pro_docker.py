"""SWE-bench Pro end to end in Docker: the oracle resolves every fixture and the no-op none, through Scale's entry
script; a `--dataset FILE --scripts-dir DIR` run graded by a real parser of ../shared; exports; compare against a
published per-instance result file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.images import docker, ensure_built
from suites.swe_pro import dataset, sandbox

pytestmark = pytest.mark.docker
FLIPT = "instance_flipt-io__flipt-02e21636c58e86c51119b63e0fb5ca7b813b07b1"


def samples(run_dir: Path) -> list:
    from inspect_ai.log import read_eval_log_samples

    (log,) = sorted((run_dir / "logs").glob("*.eval"))
    return list(read_eval_log_samples(str(log)))


def score_meta(sample) -> dict:
    return next(iter(sample.scores.values())).metadata


def fixture_ids() -> list[str]:
    return [i.instance_id for i in dataset.load(dataset.source("sample", None, None, None))]


def test_validate_oracle_resolves_all_and_noop_none(docker_engine, results_dir, tmp_path, capsys) -> None:
    assert main(["validate", "swe_pro", "--display", "none"]) == 0
    out = capsys.readouterr().out
    assert "oracle: 3/3 passed, 0 infrastructure errors, 0 skipped; expected 3/3: OK" in out
    assert "noop: 0/3 passed, 0 infrastructure errors, 0 skipped; expected 0/3: OK" in out

    gold_dir, empty_dir = sorted((results_dir / "runs").iterdir(), key=lambda p: "noop" in p.name)
    for sample in samples(gold_dir):
        meta = score_meta(sample)
        assert meta["resolved"] and meta["resolved_strict"] and meta["patch_applies"], sample.id
        assert meta["fail_to_pass"].split("/")[0] == meta["fail_to_pass"].split("/")[1] != "0"
    for sample in samples(empty_dir):
        meta = score_meta(sample)
        assert meta["empty_patch"] and not meta["resolved"] and meta["infra_error"] is None
        assert meta["tests_status"]["FAIL_TO_PASS"]["success"] == []  # the unpatched run fails them
        assert meta["tests_status"]["PASS_TO_PASS"]["failure"] == []

    patches = json.loads((gold_dir / "swe_pro" / "patches.json").read_text())
    assert {p["instance_id"] for p in patches} == set(fixture_ids())
    assert all(p["prefix"] == "oracle" and p["patch"].startswith("diff --git") for p in patches)
    results = json.loads((gold_dir / "swe_pro" / "eval_results.json").read_text())
    assert results == dict.fromkeys(fixture_ids(), True)

    # the run against a published per-instance result file, on the instances both hold
    published = tmp_path / "published-model.json"
    published.write_text(json.dumps({**dict.fromkeys(fixture_ids()[:2], False), "instance_other": True}))
    assert main(["compare", str(gold_dir), str(published)]) == 0
    out = capsys.readouterr().out
    assert "2 paired attempts over 2 tasks in common; unpaired and left out: A 1, B 1" in out
    assert "McNemar exact test: discordant 2 vs 0" in out


def test_eval_with_a_dataset_file_and_scales_go_scripts(docker_engine, results_dir, shared_data, tmp_path) -> None:
    """A fixture row in the hub's columns, its image under Scale's image name, graded by flipt's real run script
    and parser (go test -v -run, `--- PASS:` lines)."""
    row = next(json.loads(line) for line in dataset.FIXTURES_FILE.read_text().splitlines() if "gokv" in line)
    instance = dataset.Instance.model_validate(row)
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps(row) + "\n")
    scripts = tmp_path / "run_scripts" / instance.instance_id
    scripts.mkdir(parents=True)
    for name in ("run_script.sh", "parser.py"):
        shutil.copyfile(shared_data / "swe-bench-pro" / "run_scripts" / FLIPT / name, scripts / name)
    built = ensure_built([sandbox.ENV_BUILD, sandbox.fixture_build(instance)])[-1]
    docker("tag", built, sandbox.official_ref(instance))  # a local image under Scale's name is used as it is

    argv = ["eval", "--model", "oracle", "--suite", "swe_pro", "--dataset", str(rows)]
    assert main([*argv, "--scripts-dir", str(tmp_path / "run_scripts"), "--display", "none"]) == 0
    (run_dir,) = sorted((results_dir / "runs").iterdir())
    (sample,) = samples(run_dir)
    meta = score_meta(sample)
    assert meta["resolved"] and meta["infra_error"] is None, meta.get("test_output")
    assert {t["name"] for t in meta["parser_output"]["tests"]} == {*instance.fail_to_pass, *instance.pass_to_pass}
    assert "--- PASS: TestParseLineValueWithEquals" in meta["test_output"]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert "rows.jsonl" in json.dumps(manifest) and "scripts_sha256" in json.dumps(manifest)


def test_a_scripted_model_resolves_through_the_scaffold_and_claims_show_swe_pro(
    docker_engine, results_dir, tmp_path, monkeypatch, capsys
) -> None:
    """deepseek-v4-pro (a scripted pseudo-model under the real alias) fixes pyledger with the shell tool and submits;
    `harness claims` then sets the run beside the V4 card's SWE-Pro claim."""
    import base64

    from harness.run import EvalRequest, run_eval
    from tests.results_models import register_pseudo_models

    register_pseudo_models(monkeypatch)
    (instance,) = [i for i in dataset.load(dataset.source("sample", None, None, None)) if i.repo_language == "python"]
    fixed = (dataset.FIXTURES_DIR / "src" / "pyledger" / "fix" / "ledger" / "__init__.py").read_bytes()
    command = f"echo {base64.b64encode(fixed).decode()} | base64 -d > /app/ledger/__init__.py"
    turn = {"tool_calls": [{"function": "bash_session", "arguments": {"action": "type_submit", "input": command}}]}
    submit = {"tool_calls": [{"function": "submit", "arguments": {"answer": "parse_amount handles decimals"}}]}
    script = tmp_path / "script.json"
    script.write_text(json.dumps({instance.instance_id: [turn, submit]}))
    outcome = run_eval(
        EvalRequest(
            model="deepseek-v4-pro",
            suites=["swe_pro"],
            script=script,
            options={"data": "sample", "instance_ids": [instance.instance_id]},
        )
    )
    (sample,) = samples(outcome.run_dir)
    meta = score_meta(sample)
    assert meta["resolved"] and meta["resolved_strict"], meta.get("test_output")
    assert main(["claims", str(outcome.run_dir)]) == 0
    out = capsys.readouterr().out
    assert "SWE-Pro" in out and "deepseek-v4-pro Max" in out and "55.4" in out
