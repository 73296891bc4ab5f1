"""Scaffold sensitivity: one model's score under each agent and API route, side by side (`harness report`).

A model family is an alias without its route (`deepseek-v4-pro@anthropic` -> `deepseek-v4-pro`). For each suite
and family with more than one measurement (agent x route), the table gives each measurement's score (errors as
failures, with the summary's 95% CI) and its paired difference from the reference measurement on the attempts both
ran, paired by (task, epoch) as `harness compare` pairs them: B - A with a task-clustered bootstrap 95% CI, and
McNemar's exact p for binary scores (a sign-flip permutation p for rewards). The reference is the default agent
(`harness`, the fixed scaffold) on the native route; without it, the first measurement in the table's order
(harness first, then agents by name; within an agent, native first, then routes by name). The spread is the highest
score minus the lowest.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from harness.agent_registry import DEFAULT_AGENT
from harness.results.compare import Comparison, compare_frames, pair
from harness.results.tables import family_of, summary

NATIVE = "native"
FROM_SUMMARY = ["suite", "family", "agent_name", "route", "model", "n", "tasks", "epochs", "score", "ci_low", "ci_high"]
SENSITIVITY_COLUMNS = [
    *FROM_SUMMARY,
    "reference",
    "diff",
    "diff_low",
    "diff_high",
    "paired_tasks",
    "pairs",
    "p_value",
    "spread",
]


def order(agent: str, route: str) -> tuple[bool, str, bool, str]:
    """The table's row order: the default agent first, the native route first."""
    return (agent != DEFAULT_AGENT, agent, route != NATIVE, route)


def _attempts(df: pd.DataFrame, suite: str, model: str, agent: str) -> pd.DataFrame:
    return df[(df["suite"] == suite) & (df["model"] == model) & (df["agent_name"] == agent)]


def _paired(reference: pd.DataFrame, other: pd.DataFrame) -> Comparison | None:
    """The paired comparison reference (A) vs other (B), or None when they share no (task, epoch)."""
    merged, _, _ = pair(reference, other)
    return compare_frames(reference, other)[0] if len(merged) else None


def sensitivity(df: pd.DataFrame) -> pd.DataFrame:
    """One row per measurement of every (suite, family) measured under more than one agent or route."""
    table = summary(df)
    table = table.assign(family=table["model"].map(family_of))
    rows = []
    for (suite, _), group in table.groupby(["suite", "family"], sort=True):
        if len(group) < 2:
            continue
        keys = [order(agent, route) for agent, route in zip(group["agent_name"], group["route"], strict=True)]
        group = group.iloc[sorted(range(len(group)), key=keys.__getitem__)]
        ref = group.iloc[0]
        ref_attempts = _attempts(df, suite, ref["model"], ref["agent_name"])
        spread = float(group["score"].max() - group["score"].min())
        for i, (_, m) in enumerate(group.iterrows()):
            c = None if i == 0 else _paired(ref_attempts, _attempts(df, suite, m["model"], m["agent_name"]))
            rows.append(
                {
                    **{k: m[k] for k in FROM_SUMMARY},
                    "reference": f"{ref['agent_name']} / {ref['route']}",
                    "diff": c.diff.estimate if c else math.nan,
                    "diff_low": c.diff.low if c else math.nan,
                    "diff_high": c.diff.high if c else math.nan,
                    "paired_tasks": c.tasks if c else 0,
                    "pairs": c.pairs if c else 0,
                    "p_value": c.p_value if c else math.nan,
                    "spread": spread,
                }
            )
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


def _points(value: float, low: float, high: float, sign: str = "") -> str:
    if math.isnan(value):
        return "n/a"
    return f"{100 * value:{sign}.1f} [{100 * low:{sign}.1f}, {100 * high:{sign}.1f}]"


def format_sensitivity(table: pd.DataFrame) -> list[str]:
    """Markdown lines: one table per (suite, family), or nothing when no model ran under two agents or routes."""
    if table.empty:
        return []
    lines = [
        "## Scaffold sensitivity",
        "",
        "The same model under each agent (`--agent`) and API route (the alias's `@route`). Score: errors as failures, "
        "95% CI as above. Difference: this row minus the reference row, paired on the (task, epoch) attempts both "
        "ran, in points with a task-clustered bootstrap 95% CI; p: McNemar's exact test for pass/fail scores, a "
        "sign-flip permutation test for rewards. Spread: the highest score minus the lowest.",
        "",
    ]
    for (suite, family), g in table.groupby(["suite", "family"], sort=True):
        view = pd.DataFrame(
            {
                "agent": g["agent_name"],
                "route": g["route"],
                "n": [f"{n} ({t} tasks x {e})" for n, t, e in zip(g["n"], g["tasks"], g["epochs"], strict=True)],
                "score % (95% CI)": [
                    _points(s, lo, hi) for s, lo, hi in zip(g["score"], g["ci_low"], g["ci_high"], strict=True)
                ],
                f"vs {g['reference'].iloc[0]}: pts (95% CI)": [
                    "reference" if i == 0 else _points(d, lo, hi, "+")
                    for i, (d, lo, hi) in enumerate(zip(g["diff"], g["diff_low"], g["diff_high"], strict=True))
                ],
                "paired": [
                    "" if i == 0 else f"{t} tasks ({p} attempts)"
                    for i, (t, p) in enumerate(zip(g["paired_tasks"], g["pairs"], strict=True))
                ],
                "p": ["" if math.isnan(p) else f"{p:.4g}" for p in g["p_value"]],
            }
        )
        lines += [
            f"### {suite} / {family}",
            "",
            view.to_markdown(index=False, disable_numparse=True),
            "",
            f"Spread: {100 * g['spread'].iloc[0]:.1f} points over {len(g)} measurements.",
            "",
        ]
    return lines


def plot_sensitivity(table: pd.DataFrame, path: Path) -> Path:
    """Score with its 95% CI per model family, one marker per agent / route, one panel per suite."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    combos = sorted(set(zip(table["agent_name"], table["route"], strict=True)), key=lambda c: order(*c))
    suites = sorted(table["suite"].unique())
    width = 0.8 / len(combos)
    fig, axes = plt.subplots(1, len(suites), figsize=(5.5 * len(suites), 4.2), squeeze=False)
    for ax, suite in zip(axes[0], suites, strict=True):
        rows = table[table["suite"] == suite]
        families = sorted(rows["family"].unique())
        for k, (agent, route) in enumerate(combos):
            sel = rows[(rows["agent_name"] == agent) & (rows["route"] == route)]
            if sel.empty:
                continue
            x = [families.index(f) + (k - (len(combos) - 1) / 2) * width for f in sel["family"]]
            ax.errorbar(
                x,
                sel["score"] * 100,
                yerr=[
                    (sel["score"] - sel["ci_low"]).clip(lower=0) * 100,
                    (sel["ci_high"] - sel["score"]).clip(lower=0) * 100,
                ],
                fmt="o",
                color=f"C{k % 10}",
                capsize=3,
                label=f"{agent} / {route}",
            )
        ax.set_xticks(range(len(families)), families)
        ax.set_title(suite)
        ax.set_ylabel("score % (errors as failures, 95% CI)")
        ax.set_ylim(-5, 105)
        ax.legend(loc="best", fontsize=8, title="agent / route", title_fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
