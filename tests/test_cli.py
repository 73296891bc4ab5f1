"""The CLI's contract: listings work, and bad input gives a one-line error naming what is valid, no traceback."""

from __future__ import annotations

import json
import os
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
        (["eval", "--agent", "nope"], "unknown agent 'nope'; valid: claude-code, codex-cli, harness, mini-swe-agent"),
        (["eval", "--agent", "mini-swe-agent", "--suite", "mcp_atlas"], "cannot run suite mcp_atlas: mini-swe-agent"),
        (["eval", "--agent", "codex-cli", "--suite", "livecodebench"], "keeps its official single-turn protocol"),
        (
            ["eval", "--agent", "claude-code", "--suite", "terminal_bench", "--resume", "r1"],
            "the run is of agent harness",
        ),
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


def test_an_agent_package_other_than_the_pin_stops_before_any_work(results_dir, monkeypatch, capsys) -> None:
    import importlib.metadata

    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "2.5.0" if name == "mini-swe-agent" else real(name))
    monkeypatch.setenv("PATH", "/nonexistent")  # no docker CLI: any image or sandbox work would fail differently
    assert main(["eval", "--agent", "mini-swe-agent", "--suite", "terminal_bench"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "error: --agent mini-swe-agent: mini-swe-agent 2.5.0 is installed but agents.toml pins 2.4.6; "
        "pip install 'mini-swe-agent==2.4.6'"
    )
    assert not (results_dir / "runs").exists() or not any((results_dir / "runs").iterdir())


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


def test_resume_continues_with_every_recorded_option(results_dir, monkeypatch) -> None:
    """`data` equal to a default and `--base-url` come back too; flags given again override."""
    from harness import run

    run_dir = results_dir / "runs" / "r2"
    run_dir.mkdir(parents=True)
    options = run.suite_options(run.resolve("noop"), ["livecodebench"], {"limit": 2, "timeout": 9}).popitem()[1]
    manifest = {
        "model": {"alias": "noop"},
        "suites": {"livecodebench": {"options": options.model_dump(mode="json")}},
        "run": {"epochs": 3, "base_url": "http://localhost:9/v1", "seed": 7, "max_samples": 4},
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    requests = []

    def capture(req: run.EvalRequest) -> None:
        requests.append(req)
        raise SystemExit

    monkeypatch.setattr(run, "run_eval", capture)
    with pytest.raises(SystemExit):
        main(["eval", "--resume", "r2", "--max-samples", "2"])
    [req] = requests
    assert (req.model, req.suites, req.options) == ("noop", ["livecodebench"], {})
    assert req.resume and (req.epochs, req.base_url, req.seed, req.max_samples) == (3, "http://localhost:9/v1", 7, 2)
    recorded = run.recorded_run("r2")
    parsed = run.suite_options(run.resolve("deepseek-v4-pro"), ["livecodebench"], {}, recorded.options)
    assert parsed["livecodebench"].data == "sample"  # the recorded data, not the model's default (full)
    assert (parsed["livecodebench"].limit, parsed["livecodebench"].timeout) == (2, 9)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "manifest.json is missing; this run cannot be resumed"),
        ("{not json", "run manifest {path}: not valid JSON"),
        ("[1, 2]", "run manifest {path}: expected a JSON object, found list"),
    ],
)
def test_resume_needs_a_readable_manifest(content, expected, results_dir, monkeypatch, capsys) -> None:
    run_dir = results_dir / "runs" / "r3"
    run_dir.mkdir(parents=True)
    path = run_dir / "manifest.json"
    if content is not None:
        path.write_text(content)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["eval", "--resume", "r3"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and expected.format(path=path) in err and len(err.splitlines()) == 1, err


@pytest.mark.parametrize("cap", ["nan", "inf", "-1"])
def test_cost_cap_must_be_finite_and_positive(cap, results_dir, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["eval", "--suite", "terminal_bench", "--cost-cap", cap]) == 2
    err = capsys.readouterr().err.strip()
    assert "--cost-cap" in err and "positive, finite" in err and len(err.splitlines()) == 1, err


def test_unusable_results_dir_is_one_line_before_any_work(tmp_path, monkeypatch, capsys) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    monkeypatch.setenv("PATH", "/nonexistent")  # image checks would fail differently
    for root, expected in ((not_a_dir / "results", "is not a directory"), (not_a_dir, "is not a directory")):
        monkeypatch.setenv("HARNESS_RESULTS_DIR", str(root))
        assert main(["eval", "--suite", "terminal_bench"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"error: HARNESS_RESULTS_DIR {root}") and expected in err, err
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.access(locked, os.W_OK):  # root ignores permissions
        return
    monkeypatch.setenv("HARNESS_RESULTS_DIR", str(locked / "results"))
    assert main(["eval", "--suite", "terminal_bench"]) == 2
    assert "is not writable" in capsys.readouterr().err


def test_exit_codes_order() -> None:
    from harness.exit_codes import eval_exit_code

    assert eval_exit_code(interrupted=False, stopped=False, planned=4, scored=4) == 0
    assert eval_exit_code(interrupted=False, stopped=False, planned=4, scored=3) == 3
    assert eval_exit_code(interrupted=False, stopped=True, planned=4, scored=3) == 4
    assert eval_exit_code(interrupted=True, stopped=True, planned=4, scored=3) == 130
