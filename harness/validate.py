"""`harness validate SUITE`: the self-check to run before trusting a model's score on a suite.

The oracle (gold patch, solve.sh, reference solution) must pass every task and the no-op agent must pass none, in
the same sandboxes, with the same scorer, as a model run. Each is a normal run (`run_eval`, its own run directory);
this module prints the per-task table and the totals and says whether the suite is sound. Suite options (e.g.
`--tasks-dir`, `--instance-ids`, `--replay`) pass through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from harness.errors import HarnessError

SOLVER_ALIASES = {"oracle": "oracle", "gold": "oracle", "noop": "noop", "empty": "noop"}
"""`gold`/`empty` are SWE-bench's names for the oracle and the no-op."""
EXPECT_PASS = {"oracle": True, "noop": False}


@dataclass(frozen=True)
class Validation:
    """One validation run: which agent, where its run directory is, the per-task rows, and the verdict."""

    agent: str
    run_dir: Path
    table: pd.DataFrame
    ok: bool


def agents_for(solver: str) -> list[str]:
    if solver == "both":
        return ["oracle", "noop"]
    if solver not in SOLVER_ALIASES:
        raise HarnessError(f"--solver {solver}: valid: both, {', '.join(SOLVER_ALIASES)}")
    return [SOLVER_ALIASES[solver]]


def _table(df: pd.DataFrame, expect_pass: bool) -> pd.DataFrame:
    rows = []
    for _, r in df.iterrows():
        failed = bool(r.get("error")) if isinstance(r.get("error"), str) else False
        infra = r.get("infra_error") if isinstance(r.get("infra_error"), str) else None
        passed = bool(r.get("passed")) if r.get("passed") is not None and not pd.isna(r.get("passed")) else False
        strict = r.get("strict")
        rows.append(
            {
                "task": r["task"],
                "epoch": int(r.get("epoch", 1)),
                "expected": "pass" if expect_pass else "fail",
                "passed": passed,
                "strict": None if strict is None or pd.isna(strict) else bool(strict),
                "infra_error": infra,
                "error": str(r["error"])[:60] if failed else None,
                "ok": passed == expect_pass and not infra and not failed,
            }
        )
    return pd.DataFrame(rows, columns=["task", "epoch", "expected", "passed", "strict", "infra_error", "error", "ok"])


def validate(
    suite: str,
    solver: str = "both",
    options: dict[str, Any] | None = None,
    *,
    display: str | None = None,
    command: list[str] | None = None,
) -> list[Validation]:
    """Run the oracle and/or the no-op on `suite` and judge each task against what it must score."""
    from harness.results import load
    from harness.run import EvalRequest, run_eval

    results = []
    for agent in agents_for(solver):
        outcome = run_eval(
            EvalRequest(
                model=agent, suites=[suite], options=dict(options or {}), display=display, command=command or []
            )
        )
        table = _table(load([outcome.run_dir / "logs"]), EXPECT_PASS[agent])
        results.append(Validation(agent, outcome.run_dir, table, bool(len(table)) and bool(table["ok"].all())))
    return results


def render(results: list[Validation]) -> str:
    """The per-task tables and one totals line per agent."""
    out = []
    for v in results:
        expect = EXPECT_PASS[v.agent]
        out.append(f"## {v.agent} (every task must {'pass' if expect else 'fail'})\n")
        out.append(v.table.to_markdown(index=False) if not v.table.empty else "(no samples)")
        passed = int(v.table["passed"].sum()) if not v.table.empty else 0
        infra = int(v.table["infra_error"].notna().sum()) if not v.table.empty else 0
        out.append(
            f"\n{v.agent}: {passed}/{len(v.table)} passed, {infra} infrastructure errors; expected "
            f"{len(v.table) if expect else 0}/{len(v.table)}: {'OK' if v.ok else 'FAILED'}"
            f"  (run directory: {v.run_dir})\n"
        )
    return "\n".join(out)
