"""The score contract every suite's scorer follows, and the metrics that report both denominators.

A suite scorer returns `verdict(...)`: value in [0, 1]; metadata `passed` (resolved / pass / reward == 1),
`strict` (a hardened verdict, or None), and `infra_error` (an error class when infrastructure, not the model,
failed; the value is then 0). Scores are reported twice: errors counted as failures (the leaderboard
convention) and errors excluded.

A fault that a fresh sandbox may not repeat (a container killed or gone, an evaluation that did not complete, a
grader that died) is not scored at all: the scorer raises `InfraError`, inspect retries the sample in a fresh
sandbox (`retry_on_error`, the policy's `sandbox.sample_retries`), and a sample whose retries all failed ends as
an error (not a score) that `--resume` runs again.
"""

from __future__ import annotations

from typing import Any

from inspect_ai.scorer import Metric, SampleScore, Score, metric

INFRA_ERROR = "infra_error"
LOG_CAP = 4_000_000  # characters of a log kept in a score (head and tail)


def cap(text: str, limit: int = LOG_CAP) -> str:
    """Keep head and tail of a long log."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n\n[... {len(text) - limit} characters cut by the harness ...]\n\n{text[-half:]}"


class InfraError(RuntimeError):
    """Infrastructure failed while scoring (not the model): the sample is retried in a fresh sandbox, never
    scored. `error_class` names the fault, e.g. `sandbox_error` or `eval_incomplete`."""

    def __init__(self, error_class: str, message: str) -> None:
        super().__init__(f"{error_class}: {message}")
        self.error_class = error_class


def verdict(
    value: float,
    *,
    passed: bool | None = None,
    strict: bool | float | None = None,
    infra_error: str | None = None,
    answer: str | None = None,
    explanation: str | None = None,
    **details: Any,
) -> Score:
    """A score in the harness contract. `infra_error` forces value 0 and marks the sample as not valid."""
    if infra_error:
        value, passed = 0.0, False
    return Score(
        value=float(value),
        answer=answer,
        explanation=explanation,
        metadata={
            "passed": bool(value >= 1.0) if passed is None else passed,
            "strict": strict,
            INFRA_ERROR: infra_error,
            **details,
        },
    )


def _infra(score: SampleScore) -> bool:
    return bool((score.score.metadata or {}).get(INFRA_ERROR))


@metric
def infra_errors() -> Metric:
    """Number of samples whose scoring hit an infrastructure error."""

    def compute(scores: list[SampleScore]) -> float:
        return float(sum(_infra(s) for s in scores))

    return compute


@metric
def mean_valid() -> Metric:
    """Mean score with infrastructure errors excluded from the denominator."""

    def compute(scores: list[SampleScore]) -> float:
        valid = [s.score.as_float() for s in scores if not _infra(s)]
        return sum(valid) / len(valid) if valid else float("nan")

    return compute


@metric
def strict_mean() -> Metric:
    """Mean of the strict verdicts, where the suite has one (else the plain score)."""

    def compute(scores: list[SampleScore]) -> float:
        values = []
        for s in scores:
            strict = (s.score.metadata or {}).get("strict")
            values.append(float(strict) if strict is not None else s.score.as_float())
        return sum(values) / len(values) if values else float("nan")

    return compute
