"""The CLI's contract: listings work, and bad input gives a one-line error naming what is valid, no traceback."""

from __future__ import annotations

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
    assert names == ["swe_verified", "terminal_bench", "mcp_atlas", "livecodebench", "livecodebench_agentic"]


def test_suite_all_leaves_out_the_opt_in_variants() -> None:
    from harness.run import expand_suites

    assert expand_suites(["all"]) == ["swe_verified", "terminal_bench", "mcp_atlas", "livecodebench"]
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
