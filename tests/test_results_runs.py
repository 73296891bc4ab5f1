"""Results tables, report, claims, compare, route, the notebook and `make nightly` on REAL `.eval` logs.

Four scripted pseudo-models with known outcomes and usage (tests/results_models.py) drive the real scaffold on
the Terminal-Bench samples in Docker, once per module; every expected number below is computed by hand from
their scripts and the published prices.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient
from results_models import INFRA_ERRORS, PASSES, ROUTE, SCRIPTS, expected_costs, finish, start

from harness.cli import main
from harness.paths import REPO_ROOT
from harness.policy import policy
from harness.results import load
from harness.results.report import usd
from harness.results.route import route
from harness.scaffold import scaffold_hash

pytestmark = pytest.mark.docker

FLASH, PRO, GPT, OPUS = "deepseek-v4-flash", "deepseek-v4-pro", "gpt-5.4", "claude-opus-4-6"
HELLO, SUM = "hello-file", "sum-numbers"


def flat(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


@dataclass
class Cli:
    returncode: int
    stdout: str
    stderr: str


def cli(*args: str | Path) -> Cli:
    """`harness ...` in this process (the results commands only read logs)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in args])
    return Cli(code, out.getvalue(), err.getvalue())


def make_nightly(results: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "HARNESS_RESULTS_DIR": str(results), "INSPECT_DISPLAY": "none"}
    # one epoch of the Terminal-Bench part of the subset: 6 attempts, each paired with the baseline's epoch 1
    # `-o`: the venv running these tests is the one to use; two makes reinstalling it at once would race
    return subprocess.Popen(
        ["make", "-o", ".venv/bin/harness", "nightly", "SUITE=terminal_bench", "EPOCHS=1", *args],
        cwd=REPO_ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture(scope="module")
def processes(docker_engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Every Docker run of this module, started at once: the four pseudo-models, deepseek-v4-pro on its Anthropic
    route, and two `make nightly`."""
    root = tmp_path_factory.mktemp("results-runs")
    started = {alias: start(alias, root) for alias in [*SCRIPTS, ROUTE]}
    started["nightly-oracle"] = make_nightly(root / "nightly", "MODEL=oracle")
    started["nightly-noop"] = make_nightly(
        root / "nightly", "MODEL=noop", f"BASELINE={REPO_ROOT / 'results/baselines/oracle'}"
    )
    try:
        yield started
    finally:
        for process in started.values():
            if process.poll() is None:
                process.kill()


@pytest.fixture(scope="module")
def runs(processes: dict[str, Any]) -> dict[str, Path]:
    return {alias: finish(processes[alias]) for alias in SCRIPTS}


@pytest.fixture(scope="module")
def route_run(processes: dict[str, Any]) -> Path:
    return finish(processes[ROUTE])


@pytest.fixture(scope="module")
def table(runs: dict[str, Path]) -> pd.DataFrame:
    return load(list(runs.values()))


@pytest.fixture(scope="module")
def costs(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    from harness.cost import quote

    starts = [datetime.fromisoformat(s) for s in table["started_at"]]
    windows = {(quote("deepseek-v4-pro", t).label, quote("deepseek-flash", t).label) for t in starts}  # type: ignore[union-attr]
    assert len(windows) == 1, "the fixture runs straddle a DeepSeek price window boundary; run the tests again"
    return expected_costs(min(starts))


def test_tidy_rows_from_real_logs(runs: dict[str, Path], table: pd.DataFrame, costs: dict) -> None:
    assert len(table) == 8 and set(table["model"]) == set(PASSES)
    for _, row in table.iterrows():
        assert row["score"] == PASSES[row["model"]][row["task"]], (row["model"], row["task"])
        assert row["passed"] == (row["score"] == 1.0)
        assert row["cost_usd"] == pytest.approx(costs[row["model"]][row["task"]], rel=1e-9)
        assert row["run_id"] == f"fixture-{row['model']}" and row["epoch"] == 1
    by = table.set_index(["model", "task"])
    flash = by.loc[(FLASH, HELLO)]
    assert (flash["input_tokens"], flash["cache_read_tokens"], flash["output_tokens"], flash["reasoning_tokens"]) == (
        1500,
        9000,
        400,
        250,
    )
    assert by.loc[(OPUS, SUM), "cache_write_tokens"] == 10_000
    assert by.loc[(FLASH, SUM), "limit"] == "token" and pd.isna(by.loc[(FLASH, HELLO), "limit"])
    errored = table[table["errored"]]
    assert {
        (m, t): c for m, t, c in zip(errored["model"], errored["task"], errored["infra_error"], strict=True)
    } == INFRA_ERRORS
    assert list(errored["error_class"]) == ["AddTestsDirError"] and errored["error"].isna().all()
    assert (table["retries"] == 0).all()
    assert set(table["provider_model"]) == {"mockllm/scripted"}
    assert set(table["scaffold_hash"]) == {scaffold_hash("terminal_bench", "shell")}
    assert set(table["policy_hash"]) == {policy().hash}
    assert set(table["dataset"]) == {"terminal-bench"}  # a --tasks-dir copy of the samples
    assert (table["total_time"] > 0).all() and (table["working_time"] > 0).all()
    for run_dir in runs.values():
        parquet = pd.read_parquet(run_dir / "samples.parquet")
        assert len(parquet) == 2 and list(parquet.columns) == list(table.columns)
        for name in ("samples.csv", "summary.csv", "summary.parquet", "runs.csv", "runs.parquet"):
            assert (run_dir / name).is_file(), name


def test_per_call_usage_is_read_from_the_model_events(runs: dict[str, Path]) -> None:
    from results_models import FLASH_HELLO

    from harness.results.calls import read_calls

    log = next((runs[FLASH] / "logs").glob("*.eval"))
    calls = [c.usage for c in read_calls(str(log))[(HELLO, 1)] if c.model == "mockllm/scripted"]
    assert [(u.input_tokens, u.input_tokens_cache_read, u.output_tokens) for u in calls] == [
        (t["input_tokens"], t["input_tokens_cache_read"], t["output_tokens"]) for t in FLASH_HELLO
    ]


def test_report_prints_scores_cis_costs_and_writes_files(runs: dict[str, Path], costs: dict, tmp_path: Path) -> None:
    out = cli("report", *runs.values(), "--out", tmp_path)
    assert out.returncode == 0, out.stderr
    text = flat(out.stdout)
    pro, flash = costs[PRO][HELLO], costs[FLASH][HELLO] + costs[FLASH][SUM]
    # Wilson: 1/2 -> [9.5, 90.5], 2/2 -> [34.2, 100], 0/2 -> [0, 65.8]
    assert (
        f"| deepseek-v4-flash | harness | 50.0 [9.5, 90.5] | 50.0 (n=2) | 2 (2 tasks x 1) | 0 | {usd(flash)} "
        f"| {usd(flash)} |" in text
    )
    assert (
        f"| deepseek-v4-pro | harness | 100.0 [34.2, 100.0] | 100.0 (n=2) | 2 (2 tasks x 1) | 0 | {usd(2 * pro)} | "
        f"{usd(pro)} |" in text
    )
    assert "| gpt-5.4 | harness | 0.0 [0.0, 65.8] | 0.0 (n=1) | 2 (2 tasks x 1) | 1 | $0.664 | n/a |" in text
    assert (
        "- terminal_bench / gpt-5.4: 1 attempt(s) failed for reasons other than the model (AddTestsDirError x1); "
        "compare both denominators."
    ) in text
    assert (
        "| claude-opus-4-6 | harness | 100.0 [34.2, 100.0] | 100.0 (n=2) | 2 (2 tasks x 1) | 0 | $1.30 | $0.6525 |"
        in text
    )
    assert (tmp_path / "report.md").read_text().startswith("# Results")
    assert (tmp_path / "pareto.png").read_bytes()[:4] == b"\x89PNG"


def test_report_on_two_routes_of_one_model_prints_the_sensitivity_table(
    runs: dict[str, Path], route_run: Path, tmp_path: Path
) -> None:
    out = cli("report", runs[PRO], route_run, "--out", tmp_path)
    assert out.returncode == 0, out.stderr
    text = flat(out.stdout)
    assert "| deepseek-v4-pro@anthropic | harness | 50.0 [9.5, 90.5] |" in text
    assert "### terminal_bench / deepseek-v4-pro" in text
    assert "| harness | native | 2 (2 tasks x 1) | 100.0 [34.2, 100.0] | reference | | |" in text
    # sum-numbers passes natively and not on the route: discordant 1 vs 0, McNemar p = 1; the per-task differences
    # (0, -1) resample to means 0, -0.5 and -1, so the 95% interval is [-1, 0]
    assert (
        "| harness | anthropic | 2 (2 tasks x 1) | 50.0 [9.5, 90.5] | -50.0 [-100.0, +0.0] | 2 tasks (2 attempts) | 1 |"
    ) in text
    assert "Spread: 50.0 points over 2 measurements." in text
    assert (tmp_path / "sensitivity.png").read_bytes()[:4] == b"\x89PNG"


def test_claims_verdicts(runs: dict[str, Path]) -> None:
    out = cli("claims", *runs.values())
    assert out.returncode == 0, out.stderr
    text = flat(out.stdout)
    # 0/2 has Wilson upper bound 65.8 < 75.1; tasks for the -5 pt gap: ((1.959964·0.432441 + 0.841621·0.457818)
    # / 0.05)² = 608.0 -> 608, for +5 pts from 67.9: ((1.959964·0.466861 + 0.841621·0.444477) / 0.05)² = 664.7
    assert (
        "| Terminal Bench 2.0 | gpt-5.4 xHigh | harness | 75.1 | 0.0 [0.0, 65.8] | -75.1 "
        "| measured lower (significant) | 2 | 2 | 608 (> all 89) |"
    ) in text
    assert (
        "| Terminal Bench 2.0 | deepseek-v4-pro Max | harness | 67.9 | 100.0 [34.2, 100.0] | +32.1 | consistent "
        "| 2 | 9 | 665 (> all 89) |"
    ) in text
    assert (
        "| Terminal Bench 2.0 | claude-opus-4-6 Max | harness | 65.4 | 100.0 [34.2, 100.0] | +34.6 | consistent |"
        in text
    )
    assert "No published claim for: terminal_bench / deepseek-v4-flash" in text


def test_compare_paired_tables_and_mcnemar(runs: dict[str, Path]) -> None:
    out = cli("compare", runs[FLASH], runs[PRO])
    assert out.returncode == 0, out.stderr
    text = flat(out.stdout)
    assert "| deepseek-v4-flash passes | 1 | 0 |" in text and "| deepseek-v4-flash fails | 1 | 0 |" in text
    assert "McNemar exact test: discordant 0 vs 1, p = 1" in text
    assert "B - A = +0.500" in text and "verdict (alpha 0.05): no significant difference" in text
    text = flat(cli("compare", runs[PRO], runs[GPT]).stdout)
    assert "McNemar exact test: discordant 2 vs 0, p = 0.5" in text  # 2 · 0.5²


def test_route_numbers(runs: dict[str, Path], table: pd.DataFrame, costs: dict) -> None:
    r = route(table)
    assert r.models == [FLASH, PRO, GPT, OPUS] and r.requests == 2 and r.dropped == 0
    assert dict(zip(r.cheapest["task"], r.cheapest["cheapest solver"], strict=True)) == {HELLO: FLASH, SUM: PRO}
    p = r.policies.set_index("policy")
    c = costs
    expected = {  # policy: (score, total cost)
        FLASH: (0.5, c[FLASH][HELLO] + c[FLASH][SUM]),
        PRO: (1.0, 2 * c[PRO][HELLO]),
        GPT: (0.0, c[GPT][HELLO] + c[GPT][SUM]),
        OPUS: (1.0, 2 * c[OPUS][HELLO]),
        "oracle router": (1.0, c[FLASH][HELLO] + c[PRO][SUM]),
        # flash hits its token budget on sum-numbers (a visible failure) and escalates; it pays both attempts
        f"{FLASH} -> {PRO}": (1.0, c[FLASH][HELLO] + c[FLASH][SUM] + c[PRO][SUM]),
        # gpt-5.4's verifier error escalates hello-file; its clean wrong answer on sum-numbers is accepted
        f"{GPT} -> {OPUS}": (0.5, c[GPT][HELLO] + c[OPUS][HELLO] + c[GPT][SUM]),
    }
    for name, (score, cost) in expected.items():
        assert (p.at[name, "score"], p.at[name, "cost_usd"]) == (score, pytest.approx(cost, rel=1e-9)), name
    assert (p.at[f"{FLASH} -> {PRO}", f"share {FLASH}"], p.at[f"{FLASH} -> {PRO}", f"share {PRO}"]) == (0.5, 0.5)
    assert (p.at[f"{GPT} -> {OPUS}", f"share {GPT}"], p.at[f"{GPT} -> {OPUS}", f"share {OPUS}"]) == (0.5, 0.5)
    verifier = route(table, {"terminal_bench": "verifier"}).policies.set_index("policy")
    assert verifier.at[f"{GPT} -> {OPUS}", "score"] == 1.0
    assert verifier.at[f"{GPT} -> {OPUS}", "cost_usd"] == pytest.approx(c[GPT][HELLO] + c[GPT][SUM] + 2 * c[OPUS][SUM])
    out = cli("route", *runs.values())
    assert out.returncode == 0, out.stderr
    assert f"| oracle router | oracle (upper bound) | 100.0 | {usd(c[FLASH][HELLO] + c[PRO][SUM])} |" in flat(
        out.stdout
    )


def test_notebook_executes_against_the_fixture_runs(
    runs: dict[str, Path], route_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_RUN_DIRS", os.pathsep.join(map(str, [*runs.values(), route_run])))
    nb = nbformat.read(REPO_ROOT / "notebooks" / "compare_models.ipynb", as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO_ROOT / "notebooks")}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = " ".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert (
        "10 attempts, models: claude-opus-4-6, deepseek-v4-flash, deepseek-v4-pro, deepseek-v4-pro@anthropic, gpt-5.4"
        in text
    )
    assert "measured lower (significant)" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2  # the sensitivity and Pareto plots
    markdown = [o.get("data", {}).get("text/markdown", "") for o in outputs]
    assert any("oracle router" in m for m in markdown)
    assert any("Spread: 50.0 points over 2 measurements." in m for m in markdown)


# --- make nightly: oracle vs its committed baseline passes; noop against the oracle's baseline is a regression ---


@pytest.fixture(scope="module")
def nightly(processes: dict[str, Any]) -> dict[str, tuple[Cli, Path]]:
    out = {}
    for model in ("oracle", "noop"):
        process = processes[f"nightly-{model}"]
        stdout, _ = process.communicate()
        lines = [line for line in stdout.splitlines() if line.startswith("run directory: ")]
        assert lines, stdout
        out[model] = (Cli(process.returncode, stdout, ""), Path(lines[-1].removeprefix("run directory: ")))
    return out


def test_make_nightly_passes_against_the_committed_baseline(nightly: dict) -> None:
    out, run_dir = nightly["oracle"]
    assert out.returncode == 0, out.stdout + out.stderr
    assert "# Nightly regression: oracle: PASS" in out.stdout
    assert "discordant 0 vs 0, p = 1" in flat(out.stdout)
    assert (run_dir / "nightly.md").is_file() and (run_dir / "report.md").is_file()
    assert len(load([run_dir])) == 6  # the 6 Terminal-Bench samples x 1 epoch


def test_make_nightly_fails_on_an_injected_regression(nightly: dict) -> None:
    out, run_dir = nightly["noop"]
    assert out.returncode != 0
    assert "# Nightly regression: noop: FAIL" in out.stdout
    assert "REGRESSION in terminal_bench: 1.000 -> 0.000 (p = 0.03125)" in out.stdout  # McNemar 2 · 0.5^6
    assert "FAIL" in (run_dir / "nightly.md").read_text()


def test_cli_on_the_two_pseudo_model_runs(nightly: dict) -> None:
    oracle, noop = nightly["oracle"][1], nightly["noop"][1]
    text = flat(cli("compare", oracle, noop).stdout)
    assert "McNemar exact test: discordant 6 vs 0, p = 0.03125" in text
    assert "verdict (alpha 0.05): oracle higher (significant)" in text
    report = flat(cli("report", oracle, noop, "--no-plot").stdout)
    assert (
        "| oracle | harness | 100.0 [61.0, 100.0] | 100.0 (n=6) | 6 (6 tasks x 1) | 0 | $0 | $0 |" in report
    )  # Wilson, 6/6
    assert "| noop | harness | 0.0 [0.0, 39.0] | 0.0 (n=6) | 6 (6 tasks x 1) | 0 | $0 | n/a |" in report  # Wilson, 0/6
    routed = flat(cli("route", oracle, noop).stdout)
    assert "| oracle router | oracle (upper bound) | 100.0 | $0 | $0 | 0% | 100% |" in routed
    assert "(no measured suite/model pair has a published claim)" in cli("claims", oracle, noop).stdout
