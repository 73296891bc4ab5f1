"""`harness compare RUN_A RUN_B`: paired per-task comparison of two models, or of two runs of one model.

Either side may also be a published per-instance result file (`{instance_id: resolved}`, the format of Scale's
SWE-bench Pro published_results/): it pairs with the run's swe_pro attempts of epoch 1 on the instances both hold,
and the table says how many that is and how many of each side were left out.

Each side is one model under one agent (a side holding several is refused: that would pool them); the sides may
differ in model, in agent (`--agent`, the scaffold-sensitivity question) or in route. When they differ in both model
and agent, the comparison says the difference mixes the two.

Attempts are paired by (suite, task, epoch); errors count as failures (score 0). Per suite:
- the wins/losses table (both pass, only A, only B, neither; for rewards: A higher, B higher, ties);
- binary scores: McNemar's exact test on the discordant pairs. With several epochs the pairs of one task are
  not independent, which makes the test anti-conservative; the task-level permutation p is shown beside it;
- the mean difference B - A with a seeded task-clustered bootstrap 95% CI, and an exact sign-flip permutation
  p-value over per-task mean differences (the significance test for non-binary rewards).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from harness.errors import HarnessError
from harness.results.stats import Interval, mcnemar_exact, paired_bootstrap
from harness.results.tables import family_of

PAIR_KEY = ["suite", "task", "epoch"]
PUBLISHED_SUITE = "swe_pro"
"""The suite a published per-instance result file belongs to: Scale's `{instance_id: resolved}` (its
published_results/ and eval_results.json, and this harness's swe_pro export)."""


def published_frame(path: Path, suite: str = PUBLISHED_SUITE) -> pd.DataFrame:
    """A published per-instance result file as one epoch-1 row per instance, labelled `published:<file stem>`."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as ex:
        raise HarnessError(f"{path}: cannot read it as JSON ({ex})") from ex
    if not isinstance(data, dict) or not data or not all(isinstance(v, bool) for v in data.values()):
        raise HarnessError(f"{path}: expected a published result file, a JSON object of instance_id -> true/false")
    label = f"published:{path.stem}"
    return pd.DataFrame(
        {
            "run_id": label,
            "suite": suite,
            "task": list(data),
            "epoch": 1,
            "model": label,
            "score": [1.0 if v else 0.0 for v in data.values()],
            "passed": list(data.values()),
            "errored": False,
        }
    )


def outcome(df: pd.DataFrame) -> pd.Series:
    """Score with errors counted as failures."""
    return df["score"].where(~df["errored"].astype(bool), 0.0).fillna(0.0).astype(float)


def side_agent(df: pd.DataFrame, name: str) -> str | None:
    """The one agent of a side (None for a published result file, which records none)."""
    agents = sorted(df["agent_name"].dropna().unique()) if "agent_name" in df else []
    if len(agents) > 1:
        raise HarnessError(
            f"{name} holds {len(agents)} agents ({', '.join(agents)}); results of different agents are not pooled: "
            "pass the runs of one agent per side"
        )
    return agents[0] if agents else None


def label_sides(a: pd.DataFrame, b: pd.DataFrame) -> tuple[str, str]:
    """Model aliases, `alias [agent]` when the sides' agents differ, or alias@run when both sides ran the same
    model under the same agent."""
    labels, agents = [], []
    for name, df in (("RUN_A", a), ("RUN_B", b)):
        models = sorted(df["model"].unique())
        if len(models) != 1:
            raise HarnessError(
                f"{name} holds {len(models)} models ({', '.join(models) or 'none'}); pass one run directory per side"
            )
        labels.append(models[0])
        agents.append(side_agent(df, name))
    if None not in agents and agents[0] != agents[1]:
        return f"{labels[0]} [{agents[0]}]", f"{labels[1]} [{agents[1]}]"
    if labels[0] == labels[1]:
        labels = [f"{labels[0]}@{df['run_id'].iloc[0]}" for df in (a, b)]
        if labels[0] == labels[1]:
            raise HarnessError("RUN_A and RUN_B are the same run")
    return labels[0], labels[1]


def pair(a: pd.DataFrame, b: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Attempts of both sides side by side, and how many attempts of each side had no partner."""
    left = a.assign(outcome=outcome(a))[[*PAIR_KEY, "outcome", "passed"]]
    right = b.assign(outcome=outcome(b))[[*PAIR_KEY, "outcome", "passed"]]
    merged = left.merge(right, on=PAIR_KEY, suffixes=("_a", "_b"), how="inner")
    return merged, len(left) - len(merged), len(right) - len(merged)


@dataclass
class Comparison:
    """One suite's paired comparison of side A and side B."""

    suite: str
    label_a: str
    label_b: str
    pairs: int
    tasks: int
    binary: bool
    both: int
    a_only: int
    b_only: int
    neither: int
    mean_a: float
    mean_b: float
    diff: Interval
    mcnemar_p: float | None
    permutation_p: float
    unpaired_a: int
    unpaired_b: int
    alpha: float = 0.05
    caveat: str = ""
    """Why the difference is not one factor's (the sides differ in both model and agent)."""

    @property
    def p_value(self) -> float:
        """The test that decides: McNemar for binary scores, the permutation test for rewards."""
        return self.mcnemar_p if self.mcnemar_p is not None else self.permutation_p

    @property
    def significant(self) -> bool:
        return not math.isnan(self.p_value) and self.p_value < self.alpha

    @property
    def verdict(self) -> str:
        if not self.significant:
            return "no significant difference"
        better = self.label_b if self.diff.estimate > 0 else self.label_a
        return f"{better} higher (significant)"


def compare_frames(a: pd.DataFrame, b: pd.DataFrame, alpha: float = 0.05) -> list[Comparison]:
    """Per suite present on both sides."""
    label_a, label_b = label_sides(a, b)
    caveat = mixed_factors(a, b)
    merged, unpaired_a, unpaired_b = pair(a, b)
    if merged.empty:
        raise HarnessError(f"{label_a} and {label_b} share no (suite, task, epoch): nothing to compare")
    out = []
    for suite, g in merged.groupby("suite", sort=True):
        oa, ob = g["outcome_a"], g["outcome_b"]
        binary = bool(oa.isin([0.0, 1.0]).all() and ob.isin([0.0, 1.0]).all())
        a_wins, b_wins = int((oa > ob).sum()), int((ob > oa).sum())
        diffs = [list(v) for _, v in (ob - oa).groupby(g["task"], sort=True)]
        result = paired_bootstrap(diffs)
        out.append(
            Comparison(
                suite=str(suite),
                label_a=label_a,
                label_b=label_b,
                pairs=len(g),
                tasks=g["task"].nunique(),
                binary=binary,
                both=int(((oa >= 1) & (ob >= 1)).sum()) if binary else int((oa == ob).sum()),
                a_only=a_wins,
                b_only=b_wins,
                neither=int(((oa <= 0) & (ob <= 0)).sum()) if binary else 0,
                mean_a=float(oa.mean()),
                mean_b=float(ob.mean()),
                diff=result.interval,
                mcnemar_p=mcnemar_exact(a_wins, b_wins) if binary else None,
                permutation_p=result.p_value,
                unpaired_a=unpaired_a,
                unpaired_b=unpaired_b,
                alpha=alpha,
                caveat=caveat,
            )
        )
    return out


def mixed_factors(a: pd.DataFrame, b: pd.DataFrame) -> str:
    """A caveat when the sides differ in model (family) and in agent: the difference is then not one factor's."""
    agents = [side_agent(df, name) for name, df in (("RUN_A", a), ("RUN_B", b))]
    families = [family_of(str(df["model"].iloc[0])) if len(df) else "" for df in (a, b)]
    if None in agents or agents[0] == agents[1] or families[0] == families[1]:
        return ""
    return (
        f"the sides differ in both model ({families[0]}, {families[1]}) and agent ({agents[0]}, {agents[1]}): "
        "the difference mixes the two; compare one model under two agents, or two models under one"
    )


def disagreements(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """The attempts where the two sides' outcomes differ."""
    merged, _, _ = pair(a, b)
    return merged[merged["outcome_a"] != merged["outcome_b"]].reset_index(drop=True)


def format_comparison(c: Comparison) -> str:
    """One suite's comparison as Markdown."""
    if c.binary:
        wins = pd.DataFrame(
            {
                "": [f"{c.label_a} passes", f"{c.label_a} fails"],
                f"{c.label_b} passes": [c.both, c.b_only],
                f"{c.label_b} fails": [c.a_only, c.neither],
            }
        )
    else:
        wins = pd.DataFrame(
            {"": ["attempts"], f"{c.label_a} higher": [c.a_only], f"{c.label_b} higher": [c.b_only], "ties": [c.both]}
        )
    lines = [
        f"## {c.suite}: {c.label_a} (A) vs {c.label_b} (B)",
        "",
        f"{c.pairs} paired attempts over {c.tasks} tasks in common"
        + (f"; unpaired and left out: A {c.unpaired_a}, B {c.unpaired_b}" if c.unpaired_a or c.unpaired_b else ""),
        "",
        wins.to_markdown(index=False, disable_numparse=True),
        "",
        f"- mean score: A {c.mean_a:.3f}, B {c.mean_b:.3f}; B - A = {c.diff.estimate:+.3f} "
        f"(95% CI {c.diff.low:+.3f} to {c.diff.high:+.3f}, task-clustered bootstrap)",
    ]
    if c.mcnemar_p is not None:
        lines.append(f"- McNemar exact test: discordant {c.a_only} vs {c.b_only}, p = {c.mcnemar_p:.4g}")
    lines += [
        f"- sign-flip permutation test over tasks: p = {c.permutation_p:.4g}",
        f"- verdict (alpha {c.alpha:g}): {c.verdict}",
        *([f"- note: {c.caveat}"] if c.caveat else []),
        "",
    ]
    return "\n".join(lines)
