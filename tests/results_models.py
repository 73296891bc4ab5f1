"""Pseudo-models with known per-task outcomes and costs, for the results tests.

Four `scripted` models drive the real scaffold on the Terminal-Bench samples (hello-file, sum-numbers). For the
tests only, they are registered under real model aliases so the price table prices their scripted usage (the
logs still say `mockllm/scripted` as the provider model). Outcomes (gpt-5.4 replaces /logs/verifier with a file,
so preparing the verifier fails and records an infrastructure error, `AddTestsDirError`):

| alias             | hello-file          | sum-numbers                               |
|-------------------|---------------------|-------------------------------------------|
| deepseek-v4-flash | passes (2 turns)    | fails: one turn blows the 8M token budget |
| deepseek-v4-pro   | passes (2 turns)    | passes (2 turns)                          |
| gpt-5.4           | breaks the verifier | fails (submits)                           |
| claude-opus-4-6   | passes (2 turns)    | passes (2 turns)                          |

A fifth, `deepseek-v4-pro@anthropic` (`ROUTE_SCRIPTS`, priced as deepseek-v4-pro), is the same model family on
another route for the scaffold-sensitivity table: it passes hello-file as deepseek-v4-pro does and gives up on
sum-numbers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

TASKS = ("hello-file", "sum-numbers")
HELLO = "echo 'Hello, world!' > /app/hello.txt"
SUM = "awk '{s+=$1} END {print s}' /app/numbers.txt > /app/sum.txt"
BREAK_VERIFIER = "rm -rf /logs/verifier && mkdir -p /logs && touch /logs/verifier"


def _bash(command: str, usage: dict[str, int]) -> dict[str, Any]:
    return {
        "tool_calls": [{"function": "bash_session", "arguments": {"action": "type_submit", "input": command}}],
        "usage": usage,
    }


def _submit(usage: dict[str, int], answer: str = "done") -> dict[str, Any]:
    return {"tool_calls": [{"function": "submit", "arguments": {"answer": answer}}], "usage": usage}


FLASH_HELLO = [
    {"input_tokens": 1000, "input_tokens_cache_read": 4000, "output_tokens": 300, "reasoning_tokens": 200},
    {"input_tokens": 500, "input_tokens_cache_read": 5000, "output_tokens": 100, "reasoning_tokens": 50},
]
FLASH_SUM = {
    "input_tokens": 10_000,
    "input_tokens_cache_read": 8_000_000,
    "output_tokens": 1000,
    "reasoning_tokens": 900,
}
PRO_TURNS = [
    {"input_tokens": 30_000, "input_tokens_cache_read": 60_000, "output_tokens": 6000, "reasoning_tokens": 5000},
    {"input_tokens": 10_000, "input_tokens_cache_read": 40_000, "output_tokens": 2000, "reasoning_tokens": 1000},
]
GPT_TURN = {"input_tokens": 100_000, "input_tokens_cache_read": 20_000, "output_tokens": 5000, "reasoning_tokens": 4000}
GPT_SUBMIT = {"input_tokens": 1000, "output_tokens": 100}
OPUS_TURNS = [
    {
        "input_tokens": 50_000,
        "input_tokens_cache_write": 10_000,
        "input_tokens_cache_read": 20_000,
        "output_tokens": 8000,
        "reasoning_tokens": 6000,
    },
    {"input_tokens": 10_000, "input_tokens_cache_read": 60_000, "output_tokens": 2000},
]

SCRIPTS: dict[str, dict[str, list[dict[str, Any]]]] = {
    "deepseek-v4-flash": {
        "hello-file": [_bash(HELLO, FLASH_HELLO[0]), _submit(FLASH_HELLO[1])],
        "sum-numbers": [{"content": "Let me think about this at length.", "usage": FLASH_SUM}],
    },
    "deepseek-v4-pro": {
        "hello-file": [_bash(HELLO, PRO_TURNS[0]), _submit(PRO_TURNS[1])],
        "sum-numbers": [_bash(SUM, PRO_TURNS[0]), _submit(PRO_TURNS[1])],
    },
    "gpt-5.4": {
        "hello-file": [_bash(BREAK_VERIFIER, GPT_TURN), _submit(GPT_SUBMIT)],
        "sum-numbers": [_submit(GPT_TURN, "I could not do it")],
    },
    "claude-opus-4-6": {
        "hello-file": [_bash(HELLO, OPUS_TURNS[0]), _submit(OPUS_TURNS[1])],
        "sum-numbers": [_bash(SUM, OPUS_TURNS[0]), _submit(OPUS_TURNS[1])],
    },
}
PASSES = {
    "deepseek-v4-flash": {"hello-file": 1.0, "sum-numbers": 0.0},
    "deepseek-v4-pro": {"hello-file": 1.0, "sum-numbers": 1.0},
    "gpt-5.4": {"hello-file": 0.0, "sum-numbers": 0.0},
    "claude-opus-4-6": {"hello-file": 1.0, "sum-numbers": 1.0},
}
INFRA_ERRORS = {("gpt-5.4", "hello-file"): "AddTestsDirError"}
ROUTE = "deepseek-v4-pro@anthropic"
ROUTE_SCRIPTS: dict[str, dict[str, list[dict[str, Any]]]] = {
    ROUTE: {
        "hello-file": [_bash(HELLO, PRO_TURNS[0]), _submit(PRO_TURNS[1])],
        "sum-numbers": [_submit(PRO_TURNS[1], "I could not do it")],
    }
}


def expected_costs(at: datetime) -> dict[str, dict[str, float]]:
    """USD per (model, task), by hand from the turns above and the rates in force at `at` (USD per 1M tokens;
    DeepSeek's depend on the time: plan window, peak or off-peak)."""
    from harness.cost import quote

    fq, pq = quote("deepseek-flash", at), quote("deepseek-v4-pro", at)
    assert fq is not None and pq is not None
    f_hit, p_hit = (fq.cache_hit if fq.cache_hit is not None else fq.input), (pq.cache_hit or pq.input)
    flash_hello = (1500 * fq.input + 9000 * f_hit + 400 * fq.output) / 1e6
    flash_sum = (10_000 * fq.input + 8_000_000 * f_hit + 1000 * fq.output) / 1e6
    pro = (40_000 * pq.input + 100_000 * p_hit + 8000 * pq.output) / 1e6
    gpt = (100_000 * 2.5 + 20_000 * 0.25 + 5000 * 15) / 1e6  # 0.33
    gpt_hello = gpt + (1000 * 2.5 + 100 * 15) / 1e6  # 0.334
    opus = (60_000 * 5 + 10_000 * 6.25 + 80_000 * 0.5 + 10_000 * 25) / 1e6  # 0.6525
    return {
        "deepseek-v4-flash": {"hello-file": flash_hello, "sum-numbers": flash_sum},
        "deepseek-v4-pro": {"hello-file": pro, "sum-numbers": pro},
        "gpt-5.4": {"hello-file": gpt_hello, "sum-numbers": gpt},
        "claude-opus-4-6": {"hello-file": opus, "sum-numbers": opus},
    }


def register_pseudo_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the four aliases resolve to the scripted pseudo-model in this process."""
    from harness import models

    entries = dict(models.registry())
    for alias in {**SCRIPTS, **ROUTE_SCRIPTS}:
        prices = models.price_key(alias)
        entries[alias] = {"kind": "scripted", "description": f"test pseudo-model priced as {prices}", "prices": prices}
    monkeypatch.setattr(models, "registry", lambda: entries)


def write_script(alias: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_with_fallback({**SCRIPTS, **ROUTE_SCRIPTS}[alias]), indent=1))
    return path


def _with_fallback(script: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Any other sample submits at once (a script never leaves the agent looping to its step budget)."""
    return {"*": [_submit({"input_tokens": 1, "output_tokens": 1}, "not scripted")], **script}


def task_copy(directory: Path) -> Path:
    """The two Terminal-Bench samples the scripts are written for, apart from any sample added later."""
    from suites.terminal_bench.dataset import SAMPLES_DIR

    tasks = directory / "tasks"
    for name in TASKS:
        if not (tasks / name).exists():
            shutil.copytree(SAMPLES_DIR / name, tasks / name)
    return tasks


def run_one(alias: str, directory: Path) -> Path:
    """`harness.run.run_eval` for one pseudo-model on the two samples; returns its run directory."""
    from harness.run import EvalRequest, run_eval

    script = write_script(alias, directory / alias / "script.json")
    outcome = run_eval(
        EvalRequest(
            model=alias,
            suites=["terminal_bench"],
            script=script,
            run_id=f"fixture-{alias}",
            options={"tasks_dir": str(task_copy(directory / alias))},
        )
    )
    from harness import exit_codes

    # a model with an infrastructure error among its samples ends as SAMPLE_ERRORS (exit 3); any other code fails
    expected = exit_codes.SAMPLE_ERRORS if any(a == alias for a, _ in INFRA_ERRORS) else exit_codes.OK
    if outcome.exit_code != expected:
        raise RuntimeError(f"{alias}: the fixture run ended with exit {outcome.exit_code} ({outcome.run_dir})")
    return outcome.run_dir


def start(alias: str, directory: Path) -> subprocess.Popen[str]:
    """Run one pseudo-model in a child process (the runs of several models then overlap)."""
    env = {**os.environ, "HARNESS_RESULTS_DIR": str(directory / "results"), "INSPECT_DISPLAY": "none"}
    return subprocess.Popen(
        [sys.executable, __file__, str(directory), alias],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def finish(process: subprocess.Popen[str]) -> Path:
    output, _ = process.communicate()
    lines = [line for line in output.splitlines() if line.startswith("run directory: ")]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"fixture run failed (exit {process.returncode}):\n{output[-3000:]}")
    return Path(lines[-1].removeprefix("run directory: "))


if __name__ == "__main__":  # python tests/results_models.py DIR [ALIAS ...]: build fixture runs by hand
    out = Path(sys.argv[1]).resolve()
    os.environ.setdefault("HARNESS_RESULTS_DIR", str(out / "results"))
    mp = pytest.MonkeyPatch()
    register_pseudo_models(mp)
    for name in sys.argv[2:] or list(SCRIPTS):
        print(f"run directory: {run_one(name, out)}", flush=True)
