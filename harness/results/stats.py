"""The statistics behind every results table: intervals, paired tests, and how many tasks a gap needs.

- `wilson`: 95% score interval for a pass rate with one attempt per task.
- `cluster_bootstrap`: seeded percentile interval that resamples whole tasks (all their epochs together).
- `mcnemar_exact`: exact two-sided McNemar test on the discordant pairs of two binary outcomes.
- `paired_bootstrap`: seeded task-clustered interval for a mean paired difference, with an exact (or, above
  16 tasks, seeded Monte Carlo) sign-flip permutation p-value.
- `tasks_needed`: tasks needed to tell a claimed rate from one `gap` away (normal approximation).

Each is a closed formula on the standard library and numpy, checked in tests against hand-computed values;
scipy/statsmodels would bring ~60 MB of dependencies for these few lines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

SEED = 20260424
"""Bootstrap and permutation seed: the same inputs always give the same interval."""
RESAMPLES = 10_000
EXACT_PERMUTATION_MAX_TASKS = 16


def z_value(confidence: float = 0.95) -> float:
    """Two-sided normal quantile, e.g. 1.959964 for 95%."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


@dataclass(frozen=True)
class Interval:
    """A point estimate with its confidence interval and how it was computed."""

    estimate: float
    low: float
    high: float
    method: str

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.estimate:.3f} [{self.low:.3f}, {self.high:.3f}]"


NAN_INTERVAL = Interval(math.nan, math.nan, math.nan, "none")


def wilson(successes: float, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval for `successes` out of `n` independent attempts."""
    if n <= 0:
        return Interval(math.nan, math.nan, math.nan, "wilson")
    z = z_value(confidence)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # rounding can put a bound a hair past p at 0 or 1 (e.g. 2.8e-17 for 0 of 10); the interval always holds p
    return Interval(p, min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half)), "wilson")


def _task_arrays(values_by_task: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    sums = np.array([float(np.sum(v)) for v in values_by_task])
    counts = np.array([len(v) for v in values_by_task], dtype=float)
    return sums, counts


def cluster_bootstrap(
    values_by_task: Sequence[Sequence[float]], confidence: float = 0.95, *, seed: int = SEED, resamples: int = RESAMPLES
) -> Interval:
    """Percentile interval for the mean over all attempts, resampling tasks (clusters) with replacement."""
    tasks = [v for v in values_by_task if len(v)]
    if not tasks:
        return Interval(math.nan, math.nan, math.nan, "bootstrap")
    sums, counts = _task_arrays(tasks)
    estimate = sums.sum() / counts.sum()
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(tasks), size=(resamples, len(tasks)))
    means = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return Interval(float(estimate), float(low), float(high), "bootstrap")


def score_interval(values_by_task: Sequence[Sequence[float]], confidence: float = 0.95) -> Interval:
    """Wilson when every task has one binary attempt, else the task-clustered bootstrap."""
    flat = [x for v in values_by_task for x in v]
    one_attempt = all(len(v) == 1 for v in values_by_task)
    if one_attempt and all(x in (0.0, 1.0) for x in flat):
        return wilson(sum(flat), len(flat), confidence)
    return cluster_bootstrap(values_by_task, confidence)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: b and c are the pairs where only one side passed."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


def sign_flip_p(diffs: Sequence[float], *, seed: int = SEED, resamples: int = RESAMPLES) -> float:
    """Two-sided paired permutation p-value for mean(diffs) == 0 (exact up to 16 tasks)."""
    d = np.asarray(diffs, dtype=float)
    if d.size == 0 or np.allclose(d, 0):
        return 1.0
    observed = abs(d.mean())
    if d.size <= EXACT_PERMUTATION_MAX_TASKS:
        codes = np.arange(2**d.size)[:, None] >> np.arange(d.size) & 1
        signs = 1 - 2 * codes
    else:
        signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=(resamples, d.size))
    flipped = np.abs((signs * d).mean(axis=1))
    return float(np.mean(flipped >= observed - 1e-12))


@dataclass(frozen=True)
class PairedResult:
    """Mean paired difference (second minus first) with its bootstrap interval and permutation p-value."""

    interval: Interval
    p_value: float
    tasks: int


def paired_bootstrap(
    diffs_by_task: Sequence[Sequence[float]], confidence: float = 0.95, *, seed: int = SEED, resamples: int = RESAMPLES
) -> PairedResult:
    """Paired comparison over tasks: per-attempt differences, grouped by task (epochs stay together)."""
    tasks = [v for v in diffs_by_task if len(v)]
    if not tasks:
        return PairedResult(NAN_INTERVAL, math.nan, 0)
    interval = cluster_bootstrap(tasks, confidence, seed=seed, resamples=resamples)
    per_task = [float(np.mean(v)) for v in tasks]
    return PairedResult(interval, sign_flip_p(per_task, seed=seed, resamples=resamples), len(tasks))


def tasks_needed(claimed: float, gap: float, alpha: float = 0.05, power: float = 0.8) -> int | None:
    """Tasks (one attempt each) for a two-sided test at `alpha` to tell `claimed` from `claimed - gap`
    with probability `power`; rates are fractions. None when the gap leaves [0, 1] or is zero."""
    true = claimed - gap
    if gap == 0 or not (0 <= claimed <= 1) or not (0 <= true <= 1):
        return None
    za, zb = z_value(1 - alpha), NormalDist().inv_cdf(power)
    n = ((za * math.sqrt(claimed * (1 - claimed)) + zb * math.sqrt(true * (1 - true))) / gap) ** 2
    return max(1, math.ceil(n - 1e-9))
