"""`harness report`: a Markdown table per suite x model x agent, notes on comparability, the scaffold-sensitivity
table (`harness.results.sensitivity`) when a model ran under several agents or routes, and the plots.

Scores are shown both ways: errors counted as failures (the leaderboard convention, with its 95% CI: Wilson
for one attempt per task, a seeded task-clustered bootstrap for epochs) and errors excluded.

Notes hook: a suite's `dataset_info` (recorded in the run manifest) may carry `notes` (a list of strings,
printed as they are) and `problem_dates = {start, end}` (ISO dates). When a model entry in `models.toml` has a
`release_date` later than `problem_dates.start`, the report warns that part of the window predates the model and
may be contaminated (LiveCodeBench's reason for dating its problems).
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from harness.errors import HarnessError
from harness.results.sensitivity import format_sensitivity, plot_sensitivity, sensitivity
from harness.results.tables import MEASUREMENT, _run_manifest, measurement_label, summary, with_agent

PLOT_NAME = "pareto.png"
SENSITIVITY_PLOT_NAME = "sensitivity.png"
REPORT_NAME = "report.md"


def usd(value: float | None) -> str:
    """Dollars: cents from $1 up, four significant digits below (sub-cent runs stay readable)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if value == 0:
        return "$0"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    whole, _, decimals = f"{value:.{max(2, 3 - math.floor(math.log10(abs(value))))}f}".partition(".")
    return f"${whole}.{decimals.rstrip('0').ljust(2, '0')}"


def pct(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.1f}"


DRIFT_MARK = " ⚠ served drift"


def suite_table(table: pd.DataFrame, drifted: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset()) -> str:
    """One suite's rows of `summary()` as Markdown; (model, agent) pairs in `drifted` are marked (served-model
    drift)."""
    view = pd.DataFrame(
        {
            "model": [
                f"{m}{DRIFT_MARK}" if (m, a) in drifted else m
                for m, a in zip(table["model"], table["agent_name"], strict=True)
            ],
            "agent": table["agent_name"],
            "score % (95% CI)": [
                f"{pct(s)} [{pct(lo)}, {pct(hi)}]"
                for s, lo, hi in zip(table["score"], table["ci_low"], table["ci_high"], strict=True)
            ],
            "errors excluded %": [
                f"{pct(s)} (n={n})" for s, n in zip(table["score_valid"], table["n_valid"], strict=True)
            ],
            "n": [
                f"{n} ({t} tasks x {e})" for n, t, e in zip(table["n"], table["tasks"], table["epochs"], strict=True)
            ],
            "errors": table["errors"],
            "cost": table["cost_usd"].map(usd),
            "cost / solved": table["cost_per_solved"].map(usd),
            "mean time s": table["mean_time"].map(lambda x: "n/a" if pd.isna(x) else f"{x:.1f}"),
        }
    )
    return view.to_markdown(index=False, disable_numparse=True)


def pareto_frontier(points: pd.DataFrame, cost: str = "cost_per_task", score: str = "score") -> pd.Series:
    """True where no other point is at most as costly and at least as good, and strictly better in one."""
    flags = []
    for i, p in points.iterrows():
        others = points.drop(index=i)
        dominated = (
            (others[cost] <= p[cost])
            & (others[score] >= p[score])
            & ((others[cost] < p[cost]) | (others[score] > p[score]))
        ).any()
        flags.append(not dominated and not pd.isna(p[cost]))
    return pd.Series(flags, index=points.index)


def plot_pareto(table: pd.DataFrame, path: Path) -> Path:
    """Cost per attempt vs score, one panel per suite, with the Pareto frontier drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    suites = sorted(table["suite"].unique())
    fig, axes = plt.subplots(1, max(1, len(suites)), figsize=(5.5 * max(1, len(suites)), 4.2), squeeze=False)
    for ax, suite in zip(axes[0], suites, strict=False):
        rows = table[table["suite"] == suite].copy()
        rows["frontier"] = pareto_frontier(rows)
        ax.errorbar(
            rows["cost_per_task"],
            rows["score"] * 100,
            yerr=[
                (rows["score"] - rows["ci_low"]).clip(lower=0) * 100,
                (rows["ci_high"] - rows["score"]).clip(lower=0) * 100,
            ],
            fmt="o",
            color="tab:blue",
            ecolor="lightsteelblue",
            capsize=3,
        )
        front = rows[rows["frontier"]].sort_values("cost_per_task")
        ax.step(front["cost_per_task"], front["score"] * 100, where="post", color="tab:orange", label="Pareto frontier")
        for _, r in rows.iterrows():
            ax.annotate(
                measurement_label(r["model"], r["agent_name"]),
                (r["cost_per_task"], r["score"] * 100),
                textcoords="offset points",
                xytext=(5, 5),
                fontsize=8,
            )
        positive = rows["cost_per_task"].dropna()
        if len(positive) and (positive > 0).all() and positive.max() / positive.min() > 20:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"${x:g}"))
        ax.set_title(suite)
        ax.set_xlabel("cost per attempt (USD)")
        ax.set_ylabel("score % (errors as failures, 95% CI)")
        ax.set_ylim(-5, 105)
        ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _manifests(df: pd.DataFrame) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for run_id, log in df.groupby("run_id")["log"].first().items():
        out[str(run_id)] = _run_manifest(str(log))
    return out


def _release_date(alias: str) -> date | None:
    from harness.models import registry

    value = registry().get(alias, {}).get("release_date")
    return date.fromisoformat(str(value)) if value else None


def notes(df: pd.DataFrame) -> list[str]:
    """Comparability warnings and the suites' own notes (see the module docstring)."""
    out: list[str] = []
    from harness.results.calls import drift_by_measurement, drift_text

    drift = drift_by_measurement(df)
    for (suite, model, agent), g in df.groupby(MEASUREMENT, sort=True):
        name = measurement_label(model, agent)
        if (suite, model, agent) in drift:
            out.append(
                f"{suite} / {name}: served-model drift: the vendor answered with "
                f"{drift_text(drift[(suite, model, agent)])} instead of the requested model; this is not a "
                "measurement of the requested model (`harness claims` refuses it without --allow-served-drift)."
            )
        for column, what in (
            ("scaffold_hash", "scaffold"),
            ("policy_hash", "retry policy"),
            ("dataset_revision", "dataset revision"),
        ):
            values = set(g[column].dropna())
            if len(values) > 1:
                out.append(
                    f"{suite} / {name}: rows come from {len(values)} different {what} versions "
                    f"({', '.join(sorted(values))}); they are not one measurement."
                )
        if g["provider_model"].astype(str).str.startswith("mockllm/").all():
            out.append(f"{suite} / {name}: a pseudo-model run ({g['provider_model'].iloc[0]}), not a real API.")
        if g["errored"].any():
            classes = g.loc[g["errored"], "infra_error"].fillna(g.loc[g["errored"], "error_class"]).value_counts()
            listed = ", ".join(f"{k} x{v}" for k, v in classes.items())
            out.append(
                f"{suite} / {name}: {int(g['errored'].sum())} attempt(s) failed for reasons other than "
                f"the model ({listed}); compare both denominators."
            )
    for run_id, manifest in _manifests(df).items():
        alias = manifest.get("model", {}).get("alias")
        for suite, info in manifest.get("suites", {}).items():
            dataset = info.get("dataset") or {}
            out.extend(f"{suite} ({run_id}): {note}" for note in dataset.get("notes", []))
            window = dataset.get("problem_dates") or {}
            released = _release_date(alias) if alias else None
            if window.get("start") and released and date.fromisoformat(str(window["start"])) < released:
                out.append(
                    f"{suite} / {alias}: problems from {window['start']} to {window.get('end', '?')} start "
                    f"before the model's release on {released}; part of the window may be contaminated "
                    "(narrow it with --start-date)."
                )
    return out


def render(df: pd.DataFrame) -> str:
    """The report as Markdown."""
    df = with_agent(df)
    table = summary(df)
    lines = ["# Results", ""]
    runs = ", ".join(sorted(df["run_id"].astype(str).unique())) if not df.empty else "(none)"
    lines += [
        f"Runs: {runs}",
        "",
        "Score: mean per attempt with errors counted as failures; 95% CI Wilson (one attempt per task) or "
        "task-clustered bootstrap (epochs). Errors excluded: the same mean over attempts that had no "
        "infrastructure or harness error. Cost: the agent model's tokens at the price table's rates. Each row is "
        "one model under one agent (`--agent`): results of different agents are never pooled.",
        "",
    ]
    if table.empty:
        return "\n".join([*lines, "(no samples)", ""])
    from harness.results.calls import drift_by_measurement

    drift = drift_by_measurement(df)
    for suite, rows in table.groupby("suite", sort=True):
        drifted = {(model, agent) for (s, model, agent) in drift if s == suite}
        lines += [f"## {suite}", "", suite_table(rows, drifted), ""]
    if table["judge_cost_usd"].fillna(0).gt(0).any():
        judge = table[["suite", "model", "agent_name", "judge_cost_usd"]].assign(
            judge_cost_usd=table["judge_cost_usd"].map(usd)
        )
        lines += [
            "Judge (grading model) cost, not included above:",
            "",
            judge.to_markdown(index=False, disable_numparse=True),
            "",
        ]
    lines += format_sensitivity(sensitivity(df))
    lines += errored_attempts(df)
    found = notes(df)
    if found:
        lines += ["## Notes", "", *[f"- {n}" for n in found], ""]
    return "\n".join(lines)


def errored_attempts(df: pd.DataFrame) -> list[str]:
    """Markdown lines listing every attempt that errored or carries a suite's `trial_error` (e.g. Terminal-Bench's
    AgentTimeoutError, whose reward still counts), or nothing."""
    df = with_agent(df)
    trial_error = df["trial_error"] if "trial_error" in df else pd.Series(None, index=df.index)
    rows = df[df["errored"] | trial_error.notna()]
    if rows.empty:
        return []
    view = pd.DataFrame(
        {
            "suite": rows["suite"],
            "model": rows["model"],
            "agent": rows["agent_name"],
            "task": rows["task"],
            "epoch": rows["epoch"],
            "error": trial_error[rows.index].astype(object).fillna(rows["error_class"].astype(object)),
            "counts": ~rows["errored"],
            "score": rows["score"].map(lambda x: "n/a" if pd.isna(x) else f"{x:g}"),
        }
    )
    return [
        "## Errored attempts",
        "",
        "`counts`: the attempt's score enters both denominators (an agent timeout still verified); otherwise it "
        "is 0 with errors counted as failures and left out with errors excluded.",
        "",
        view.to_markdown(index=False, disable_numparse=True),
        "",
    ]


def write_report(df: pd.DataFrame, out_dir: Path, plot: bool = True) -> tuple[str, list[Path]]:
    """Write report.md (and pareto.png, and sensitivity.png when a model ran under several agents or routes) into
    `out_dir`; returns the Markdown and the files written."""
    text = render(df)
    if out_dir.exists() and not out_dir.is_dir():
        raise HarnessError(
            f"--out {out_dir}: is a file, not a directory; pass a directory for report.md and pareto.png"
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as ex:
        raise HarnessError(f"--out {out_dir}: cannot create the directory ({ex.strerror or ex})") from ex
    written = [out_dir / REPORT_NAME]
    written[0].write_text(text)
    table = summary(df)
    if plot and not table.empty:
        written.append(plot_pareto(table, out_dir / PLOT_NAME))
    scaffolds = sensitivity(df)
    if plot and not scaffolds.empty:
        written.append(plot_sensitivity(scaffolds, out_dir / SENSITIVITY_PLOT_NAME))
    return text, written
