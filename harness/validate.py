"""`harness validate SUITE`: the self-check to run before trusting a model's score on a suite.

The oracle (gold patch, solve.sh, reference solution) must pass every task and the no-op agent must pass none, in
the same sandboxes, with the same scorer, as a model run. Each is a normal run (`run_eval`, its own run directory);
this module prints the per-task table and the totals and says whether the suite is sound. Suite options (e.g.
`--tasks-dir`, `--instance-ids`, `--replay`) pass through unchanged.
"""

from __future__ import annotations

import json
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
    """One validation run: which agent, where its run directory is, the per-task rows, and the verdict.

    `ok`: no task that ran scored against expectation (skipped tasks do not fail validation); `complete`: no
    task was skipped, so the suite is validated only when both hold (a skipped task is never reported as OK).
    """

    agent: str
    run_dir: Path
    table: pd.DataFrame
    ok: bool
    complete: bool = True

    @property
    def word(self) -> str:
        if not self.ok:
            return "FAILED"
        return "OK" if self.complete else "INCOMPLETE"


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
        meta = json.loads(r["score_metadata"]) if isinstance(r.get("score_metadata"), str) else {}
        skipped = bool(meta.get("skipped"))
        rows.append(
            {
                "task": r["task"],
                "epoch": int(r.get("epoch", 1)),
                "expected": "pass" if expect_pass else "fail",
                "passed": passed,
                "strict": None if strict is None or pd.isna(strict) else bool(strict),
                "infra_error": infra,
                "error": str(r["error"])[:60] if failed else None,
                "skipped": skipped,
                "skip_reason": (meta.get("skip_reason") or infra or "skipped") if skipped else None,
                "ok": None if skipped else passed == expect_pass and not infra and not failed,
            }
        )
    columns = ["task", "epoch", "expected", "passed", "strict", "infra_error", "error", "skipped", "skip_reason", "ok"]
    return pd.DataFrame(rows, columns=columns)


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
        ran = table[~table["skipped"].astype(bool)]
        ok = bool(len(table)) and bool(ran["ok"].astype(bool).all())
        results.append(Validation(agent, outcome.run_dir, table, ok, complete=bool(len(ran) == len(table))))
    return results


def render(results: list[Validation]) -> str:
    """The per-task tables and one totals line per agent."""
    out = []
    for v in results:
        expect = EXPECT_PASS[v.agent]
        out.append(f"## {v.agent} (every task must {'pass' if expect else 'fail'})\n")
        shown = v.table.drop(columns=["skip_reason"])
        out.append(shown.to_markdown(index=False) if not v.table.empty else "(no samples)")
        passed = int(v.table["passed"].sum()) if not v.table.empty else 0
        skipped = v.table[v.table["skipped"].astype(bool)] if not v.table.empty else v.table
        infra = int(v.table["infra_error"].notna().sum()) - len(skipped) if not v.table.empty else 0
        ran = len(v.table) - len(skipped)
        out.append(
            f"\n{v.agent}: {passed}/{ran} passed, {infra} infrastructure errors, {len(skipped)} skipped; expected "
            f"{ran if expect else 0}/{ran}: {v.word}  (run directory: {v.run_dir})\n"
        )
        if len(skipped):
            out.append("skipped (not validated):")
            out += [f"- {t}: {why}" for t, why in zip(skipped["task"], skipped["skip_reason"], strict=True)]
            out.append("")
    return "\n".join(out)
