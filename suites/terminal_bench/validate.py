"""Oracle validation of a task directory: every task must score 1 with its solution and 0 with a no-op agent.

`validate(options)` runs the oracle and then the no-op agent over the tasks (two ordinary runs, each with its
own run directory and manifest) and returns one row per task. A task is `ok` when the oracle's reward is 1 and
the no-op's is 0, both without an error. This is what `harness validate terminal_bench --tasks-dir DIR` prints;
until that subcommand exists: python -m suites.terminal_bench.validate --tasks-dir DIR [--task-names GLOBS]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from harness.errors import HarnessError
from harness.suite import parse_options
from suites.terminal_bench.report import trials
from suites.terminal_bench.task import NAME, SUITE, Options, tasks

AGENTS = ("oracle", "noop")
EXPECTED = {"oracle": 1.0, "noop": 0.0}


def _cell(rows: pd.DataFrame) -> str:
    """A task's result under one agent: its reward per trial, or the trial's error class."""
    if rows.empty:
        return "missing"
    return ", ".join(f"{r.reward:g}" if pd.notna(r.reward) else str(r.error_class) for r in rows.itertuples())


def validate(options: Options, run_ids: dict[str, str] | None = None) -> pd.DataFrame:
    """Run the oracle and the no-op agent over `options`' tasks; one row per task with both results."""
    from harness.run import EvalRequest, run_eval

    found = tasks(options)
    values = options.model_dump(exclude_defaults=True)
    runs: dict[str, Path] = {}
    for agent in AGENTS:
        outcome = run_eval(EvalRequest(model=agent, suites=[NAME], options=values,
                                       run_id=(run_ids or {}).get(agent),
                                       command=["harness", "validate", NAME, f"({agent} run)"]))
        runs[agent] = outcome.run_dir
    results = {agent: trials([run / "logs"]) for agent, run in runs.items()}
    rows = []
    for task in found:
        row: dict[str, object] = {"task": task.name, "format": task.format}
        problems = []
        for agent in AGENTS:
            got = results[agent][results[agent]["task"] == task.name]
            row[agent] = _cell(got)
            hard_errors = got[~got["reward_counts"].astype(bool)] if not got.empty else got
            if got.empty or not hard_errors.empty:
                problems.append(f"{agent} error")
            elif (got["reward"] != EXPECTED[agent]).any():
                problems.append(f"{agent} scored {row[agent]}, expected {EXPECTED[agent]:g}")
        row["ok"] = not problems
        row["problem"] = "; ".join(problems)
        rows.append(row)
    table = pd.DataFrame(rows, columns=["task", "format", *AGENTS, "ok", "problem"])
    table.attrs["runs"] = {agent: str(path) for agent, path in runs.items()}
    return table


def render(table: pd.DataFrame) -> str:
    bad = int((~table["ok"]).sum())
    runs = "\n".join(f"{agent} run: {path}" for agent, path in table.attrs.get("runs", {}).items())
    verdict = f"{len(table) - bad}/{len(table)} tasks valid (oracle 1, no-op 0)"
    return "\n\n".join([table.to_markdown(index=False), verdict, runs])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suites.terminal_bench.validate", description=__doc__)
    parser.add_argument("--tasks-dir", type=Path, help="task directory (default: the bundled samples)")
    parser.add_argument("--task-names", help="comma-separated glob patterns of task names")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--timeout-multiplier", type=float)
    args = parser.parse_args(argv)
    values = {k: v for k, v in vars(args).items() if v is not None}
    try:
        table = validate(parse_options(SUITE, values))  # type: ignore[arg-type]
    except HarnessError as ex:
        print(f"error: {ex}", file=sys.stderr)
        return 2
    print(render(table))
    return 0 if table["ok"].all() else 1


if __name__ == "__main__":
    sys.exit(main())
