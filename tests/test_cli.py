"""The CLI's contract: listings work, and bad input gives a one-line error naming what is valid, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harness.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True)


def test_suites_lists_one_line_each() -> None:
    out = run_cli("suites")
    assert out.returncode == 0
    names = [line.split()[0] for line in out.stdout.splitlines()]
    assert names == [
        "swe_verified",
        "terminal_bench",
        "mcp_atlas",
        "livecodebench",
        "swe_pro",
        "livecodebench_agentic",
    ]


def test_suite_all_leaves_out_the_opt_in_variants() -> None:
    from harness.run import expand_suites

    assert expand_suites(["all"]) == ["swe_verified", "terminal_bench", "mcp_atlas", "livecodebench", "swe_pro"]
    assert expand_suites(["livecodebench_agentic"]) == ["livecodebench_agentic"]


def test_models_lists_aliases() -> None:
    out = run_cli("models")
    assert out.returncode == 0
    assert {"oracle", "noop", "scripted", "deepseek-v4-pro", "gpt-5.4"} <= {
        line.split()[0] for line in out.stdout.splitlines()
    }


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["eval", "--suite", "nope"], "unknown suite 'nope'; valid: "),
        (["eval", "--model", "nope"], "unknown model 'nope'; valid: "),
        (["eval", "--suite", "terminal_bench", "--frobnicate", "3"], "unknown option --frobnicate; valid: "),
        (["eval", "--suite", "terminal_bench", "--tasks-dir", "/does/not/exist"], "--tasks-dir /does/not/exist"),
        (["eval", "--model", "scripted", "--suite", "terminal_bench"], "needs --script"),
        (["eval", "--model", "scripted", "--script", "/no/such.json", "--suite", "terminal_bench"], "no such file"),
        (["eval", "--limit", "zero"], "invalid int value"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_error(args: list[str], expected: str, results_dir) -> None:
    out = run_cli(*args)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: ") and expected in lines[0]


def test_missing_api_key_fails_before_sandbox_work(monkeypatch, results_dir, capsys) -> None:
    monkeypatch.delenv("DEEPSEEK_API_KEY", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")  # no docker CLI: any image work would fail differently
    assert main(["eval", "--model", "deepseek-v4-pro", "--suite", "terminal_bench"]) == 2
    assert "set DEEPSEEK_API_KEY" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["eval", "--epochs", "0"], "--epochs/--trials: 0 is not 1 or more"),
        (["eval", "--max-samples", "0"], "--max-samples: 0 is not 1 or more"),
        (["eval", "--suite", "all,livecodebench"], "`all` cannot be combined"),
        (["eval", "--model", "scripted", "--script", "."], "--script .: is a directory"),
        (["eval", "--model", "oracle", "--script", "x.json"], "--script is only for --model scripted"),
        (["eval", "--model", "openai-compatible/m", "--base-url", "localhost"], "expected an http:// or https://"),
        (["eval", "--resume", ".."], "--resume '..': expected a run id"),
        (["eval", "--suite", "mcp_atlas", "--judge-model", "nope"], "--judge-model nope: not a model alias"),
        (["eval", "--suite", "mcp_atlas", "--judge-model", "noop"], "a pseudo-model cannot judge"),
        (["eval", "--model", "noop", "--suite", "terminal_bench", "--resume", "r1"], "the run is of model oracle"),
        (["eval", "--suite", "livecodebench", "--resume", "r1"], "the run is of suite(s) terminal_bench"),
    ],
)
def test_bad_input_is_caught_before_any_work(args: list[str], expected: str, results_dir, monkeypatch, capsys) -> None:
    run = results_dir / "runs" / "r1"
    run.mkdir(parents=True)
    (run / "manifest.json").write_text('{"model": {"alias": "oracle"}, "suites": {"terminal_bench": {}}}')
    monkeypatch.setenv("PATH", "/nonexistent")  # no docker CLI: any image or sandbox work would fail differently
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and expected in err and len(err.splitlines()) == 1, err
    assert [p.name for p in (results_dir / "runs").iterdir()] == ["r1"]  # a run that cannot start leaves nothing


def test_scripted_turns_are_checked_when_the_script_is_read(tmp_path) -> None:
    from harness.errors import HarnessError
    from harness.scripted import load_script

    bad = {
        '{"*": [1]}': r"\*\[0\]: a turn must be an object",
        '{"a": [{"content": "x"}, {"tool_calls": [{"arguments": {}}]}]}': r"a\[1\]: tool_calls must be a list",
        '{"*": [{"text": "x"}]}': "unknown field",
        '{"*": [{"content": 3}]}': "content must be a string",
    }
    for text, message in bad.items():
        path = tmp_path / "script.json"
        path.write_text(text)
        with pytest.raises(HarnessError, match=message):
            load_script(path)


def test_resume_continues_with_the_recorded_model_suites_and_options(results_dir, monkeypatch) -> None:
    from harness import run

    run_dir = results_dir / "runs" / "r2"
    run_dir.mkdir(parents=True)
    options = run.suite_options(run.resolve("noop"), ["livecodebench"], {"limit": 2, "timeout": 9}).popitem()[1]
    manifest = {"model": {"alias": "noop"}, "suites": {"livecodebench": {"options": options.model_dump(mode="json")}}}
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    assert run.resume_defaults("r2") == ("noop", ["livecodebench"], {"limit": 2, "timeout": 9})
    requests = []

    def capture(req: run.EvalRequest) -> None:
        requests.append(req)
        raise SystemExit

    monkeypatch.setattr(run, "run_eval", capture)
    with pytest.raises(SystemExit):
        main(["eval", "--resume", "r2", "--epochs", "2"])
    [req] = requests
    assert (req.model, req.suites, req.options) == ("noop", ["livecodebench"], {"limit": 2, "timeout": 9})
    assert req.resume and req.epochs == 2
