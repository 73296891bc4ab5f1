"""Terminal-Bench scores from a run's inspect logs: mean reward over tasks x trials, both denominators, 95% CI.

- `errors as 0`: every trial counts, a trial without a reward scores 0 (the leaderboard convention; Harbor's
  Mean metric turns a missing reward into 0).
- `errors excluded`: trials without a reward leave the denominator (Harbor >= 0.26).
A trial whose agent timed out keeps its verifier reward in both (errors.toml: reward_counts). The 95% CI is
mean +- 1.96 x the standard error clustered by task (trials of one task are not independent); with one trial
per task it is the ordinary standard error. Every trial with an error class is listed.

Usage: python -m suites.terminal_bench.report RUN_DIR [RUN_DIR ...]
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import pandas as pd

from harness.errors import HarnessError
from suites.terminal_bench.rewards import error_policy

Z95 = NormalDist().inv_cdf(0.975)
TRIAL_COLUMNS = ["task", "epoch", "reward", "error_class", "reward_counts", "message"]


def trials(paths: Iterable[str | Path]) -> pd.DataFrame:
    """One row per trial (task x epoch) of every terminal_bench log under `paths`."""
    from inspect_ai.log import read_eval_log

    files = []
    for path in map(Path, paths):
        if not path.exists():
            raise HarnessError(f"{path}: no such run directory or log file")
        files.extend(sorted(path.rglob("*.eval")) if path.is_dir() else [path])
    rows = []
    policy = error_policy()
    for file in files:
        log = read_eval_log(str(file))
        if (log.eval.task_args or {}).get("suite", "terminal_bench") != "terminal_bench":
            continue
        for sample in log.samples or []:
            score = next(iter((sample.scores or {}).values()), None)
            meta = (score.metadata or {}) if score else {}
            error_class = meta.get("trial_error")
            message = (score.explanation or "").splitlines()[0][:300] if score and error_class else None
            if error_class == "AgentTimeoutError":
                message = f"agent phase exceeded {meta.get('agent_timeout_sec', 0):g} s; {message}"
            if score is None or sample.error:
                error_class = "SampleError"
                message = (sample.error.message if sample.error else "no score").splitlines()[0][:300]
            counts = policy[error_class].reward_counts if error_class in policy else not meta.get("infra_error")
            reward = float(score.as_float()) if score and counts and not sample.error else None
            rows.append(
                {
                    "task": str(sample.id),
                    "epoch": sample.epoch,
                    "reward": reward,
                    "error_class": error_class,
                    "reward_counts": counts,
                    "message": message,
                }
            )
    return pd.DataFrame(rows, columns=TRIAL_COLUMNS)


def clustered_ci(values: pd.Series, clusters: pd.Series) -> tuple[float, float, float]:
    """(mean, ci_low, ci_high): the mean of `values` with a task-clustered standard error."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    sums = (values - mean).groupby(clusters).sum()
    g = len(sums)
    if g < 2:
        return mean, math.nan, math.nan
    se = math.sqrt(float((sums**2).sum()) * g / (g - 1)) / n
    return mean, mean - Z95 * se, mean + Z95 * se


@dataclass(frozen=True)
class Report:
    trials: pd.DataFrame

    @property
    def errored(self) -> pd.DataFrame:
        """Every trial with an error class (agent timeouts included, with reward_counts = True)."""
        return self.trials[self.trials["error_class"].notna()].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        t = self.trials
        as_zero = t["reward"].fillna(0.0)
        valid = t[t["reward"].notna()]
        rows = []
        for name, values, clusters in (
            ("errors as 0 (leaderboard)", as_zero, t["task"]),
            ("errors excluded (Harbor >= 0.26)", valid["reward"], valid["task"]),
        ):
            mean, low, high = clustered_ci(values, clusters)
            rows.append(
                {"denominator": name, "trials": len(values), "mean_reward": mean, "ci95_low": low, "ci95_high": high}
            )
        return pd.DataFrame(rows)

    def headline(self) -> str:
        t = self.trials
        per_task = t.groupby("task").size()
        k = f"{per_task.min()}" if per_task.min() == per_task.max() else f"{per_task.min()}-{per_task.max()}"
        errors = int(t["reward"].isna().sum())
        timeouts = int((t["error_class"] == "AgentTimeoutError").sum())
        return (
            f"{t['task'].nunique()} tasks x {k} trials = {len(t)} trials; {errors} without a reward; "
            f"{timeouts} agent timeouts (their rewards count)"
        )

    def render(self) -> str:
        parts = [self.headline(), self.summary().to_markdown(index=False, floatfmt=".3f")]
        if not self.errored.empty:
            parts += [
                "errored trials:",
                self.errored[["task", "epoch", "error_class", "reward_counts", "reward", "message"]].to_markdown(
                    index=False
                ),
            ]
        return "\n\n".join(parts)


def report(paths: Iterable[str | Path]) -> Report:
    return Report(trials(paths))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    try:
        print(report(args).render())
    except HarnessError as ex:
        print(f"error: {ex}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
