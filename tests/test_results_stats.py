"""The statistics against hand-computed values (no Docker)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.results.stats import (
    cluster_bootstrap,
    mcnemar_exact,
    paired_bootstrap,
    score_interval,
    sign_flip_p,
    tasks_needed,
    wilson,
)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # z = 1.959964; centre = (p + z²/2n) / (1 + z²/n); half = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n)
        (0, 2, 0.0, 0.657620),  # centre = half = 0.960365 / 2.920729 = 0.328810
        (1, 2, 0.094533, 0.905467),  # centre 0.5, half = 1.959964 · 0.604228 / 2.920729 = 0.405467
        (2, 2, 0.342380, 1.0),
        (7, 10, 0.396778, 0.892209),  # centre 0.644489, half 0.247712 (textbook value 0.3968 - 0.8922)
        (0, 10, 0.0, 0.277533),
    ],
)
def test_wilson_matches_hand_computation(successes: int, n: int, low: float, high: float) -> None:
    interval = wilson(successes, n)
    assert interval.estimate == pytest.approx(successes / n)
    assert (interval.low, interval.high) == (pytest.approx(low, abs=1e-5), pytest.approx(high, abs=1e-5))
    assert interval.method == "wilson"


def test_wilson_interval_always_holds_the_estimate() -> None:
    # 0 of 10 used to give a lower bound of 2.8e-17 > 0, which broke the report's error bars
    for n in range(1, 201):
        for successes in (0, n // 3, n):
            interval = wilson(successes, n)
            assert 0.0 <= interval.low <= interval.estimate <= interval.high <= 1.0, (successes, n)
        assert wilson(0, n).low == 0.0 and wilson(n, n).high == 1.0


def test_wilson_of_nothing_is_nan() -> None:
    assert math.isnan(wilson(0, 0).estimate)


@pytest.mark.parametrize(
    ("b", "c", "p"),
    [
        (0, 0, 1.0),
        (5, 0, 0.0625),  # 2 · 0.5^5
        (6, 0, 0.03125),  # 2 · 0.5^6
        (6, 1, 0.125),  # 2 · (1 + 7) / 128
        (2, 10, 0.0385742),  # 2 · (1 + 12 + 66) / 4096
        (3, 3, 1.0),  # capped at 1
    ],
)
def test_mcnemar_exact_matches_hand_computation(b: int, c: int, p: float) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(p, rel=1e-5)


@pytest.mark.parametrize(
    ("diffs", "p"),
    [
        ([1, 1, 1], 0.25),  # only the two all-same-sign flips of 8 reach |mean| = 1
        ([1] * 6, 0.03125),  # 2 / 64
        ([2, 1], 0.5),  # |mean| of (±2, ±1): 1.5, 0.5, 0.5, 1.5
        ([1, -1], 1.0),
        ([0, 0], 1.0),
    ],
)
def test_sign_flip_exact(diffs: list[float], p: float) -> None:
    assert sign_flip_p(diffs) == pytest.approx(p)


def test_cluster_bootstrap_resamples_whole_tasks() -> None:
    # two tasks, three epochs each: every resample holds two whole tasks, so the mean is 0, 0.5 or 1 with
    # probabilities 1/4, 1/2, 1/4 and the 95% interval is [0, 1]; resampling attempts would give a narrower one.
    interval = cluster_bootstrap([[1, 1, 1], [0, 0, 0]])
    assert (interval.estimate, interval.low, interval.high) == (0.5, 0.0, 1.0)
    assert interval.method == "bootstrap"


def test_cluster_bootstrap_is_seeded_and_agrees_with_the_normal_interval() -> None:
    rng = np.random.default_rng(1)
    tasks = [[float(x)] for x in rng.random(400) < 0.3]
    first, second = cluster_bootstrap(tasks), cluster_bootstrap(tasks)
    assert first == second
    p = first.estimate
    half = 1.959964 * math.sqrt(p * (1 - p) / len(tasks))
    assert first.low == pytest.approx(p - half, abs=0.006)
    assert first.high == pytest.approx(p + half, abs=0.006)


def test_cluster_bootstrap_weights_tasks_by_their_attempts() -> None:
    interval = cluster_bootstrap([[1.0, 1.0, 1.0], [0.0]])
    assert interval.estimate == pytest.approx(0.75)


def test_score_interval_picks_wilson_for_one_binary_attempt_else_bootstrap() -> None:
    assert score_interval([[1.0], [0.0], [1.0]]).method == "wilson"
    assert score_interval([[1.0, 0.0], [0.0, 0.0]]).method == "bootstrap"
    assert score_interval([[0.5], [1.0]]).method == "bootstrap"


def test_paired_bootstrap_interval_and_permutation_p() -> None:
    result = paired_bootstrap([[-1.0]] * 6)
    assert result.interval.estimate == -1.0
    assert (result.interval.low, result.interval.high) == (-1.0, -1.0)
    assert result.p_value == pytest.approx(0.03125)
    assert result.tasks == 6
    two = paired_bootstrap([[-1.0, -1.0], [-1.0, -1.0]])  # two tasks cannot be significant, however many epochs
    assert two.p_value == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("claimed", "gap", "n"),
    [
        # n = ((z_.975·sqrt(p0(1-p0)) + z_.8·sqrt(p1(1-p1))) / gap)², p1 = p0 - gap, rounded up
        (0.5, 0.1, 194),  # ((0.979982 + 0.412305) / 0.1)² = 193.85
        (0.679, 0.05, 699),  # ((0.915031 + 0.406564) / 0.05)² = 698.64
        (0.679, -0.321, 9),  # a 100% measurement against 67.9%: 8.13
    ],
)
def test_tasks_needed_matches_hand_computation(claimed: float, gap: float, n: int) -> None:
    assert tasks_needed(claimed, gap) == n


def test_tasks_needed_outside_the_unit_interval_is_none() -> None:
    assert tasks_needed(0.98, -0.05) is None
    assert tasks_needed(0.5, 0) is None
