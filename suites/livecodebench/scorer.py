"""LiveCodeBench scoring: the last fenced program of the answer, graded against all tests in the grading sandbox.

A problem passes only if every public and private test passes (lcb_runner: `np.all(results > 0)`). Each score
carries the verdict class, the official per-test results and the problem's difficulty and platform, so results
tables can group; the epoch reducer keeps (epochs, passed epochs) for the unbiased pass@k estimator of
lcb_runner/evaluation/pass_k_utils.py.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from inspect_ai.scorer import (
    Metric,
    SampleScore,
    Score,
    ScoreReducer,
    Target,
    grouped,
    mean,
    metric,
    score_reducer,
    scorer,
    stderr,
)
from inspect_ai.solver import TaskState

from harness.scoring import INFRA_ERROR, InfraError, infra_errors, mean_valid, verdict
from suites.livecodebench.dataset import read_tests
from suites.livecodebench.extraction import extract_code
from suites.livecodebench.sandbox import GraderSettings, RunnerError, grade

PASS_AT = (1, 5, 10, 20, 50, 100)
"""The k of pass@k reported when every problem has at least k epochs (lcb_runner's k_list starts the same)."""

NO_RESULT = "lcb_runner records [-2] with TestRunnerError (-5)"
VERDICTS = ("passed", "wrong_answer", "time_limit", "runtime_error", "compile_error", "no_code")


def classify(response: dict[str, Any]) -> str:
    """The verdict class of a grader response (lcb_runner result codes plus where the run stopped)."""
    results = response["results"]
    phase = response.get("phase")
    if phase in ("global_timeout", "died"):  # no result from the program's process: [-2], TestRunnerError (-5)
        return "time_limit" if phase == "global_timeout" else "runtime_error"
    if all(r is True or (isinstance(r, int) and not isinstance(r, bool) and r > 0) for r in results):
        return "passed"
    last = results[-1]
    if last is False or last == -2:
        return "wrong_answer"
    if last == -3:
        return "time_limit"
    if last == -4:
        return "compile_error" if phase == "compile" else "runtime_error"
    return "runtime_error"  # a result the codes do not name


def _problem_fields(metadata: dict[str, Any]) -> dict[str, Any]:
    return {k: metadata.get(k) for k in ("question_id", "platform", "difficulty", "contest_date", "test_type")}


def estimate_pass_at_k(n: int, c: int, k: int) -> float:
    """1 - C(n - c, k) / C(n, k), computed as lcb_runner does."""
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


@score_reducer(name="lcb_epochs")
def lcb_epochs() -> ScoreReducer:
    """Mean over epochs (pass@1 of the problem), keeping epochs and passed epochs for pass@k."""

    def reduce(scores: list[Score]) -> Score:
        values = [s.as_float() for s in scores]
        values = [v for v in values if not math.isnan(v)]
        n, c = len(values), sum(1 for v in values if v >= 1.0)
        metadata = dict(scores[0].metadata or {})
        errors = [s.metadata.get(INFRA_ERROR) for s in scores if s.metadata and s.metadata.get(INFRA_ERROR)]
        metadata.update(
            epochs=n,
            epochs_passed=c,
            verdicts=[(s.metadata or {}).get("verdict") for s in scores],
            **{INFRA_ERROR: errors[0] if errors else None},
        )
        return Score(
            value=c / n if n else float("nan"),
            answer=scores[0].answer,
            explanation=scores[0].explanation,
            metadata=metadata,
        )

    return reduce


@metric(name="pass_at_k")
def pass_at_k() -> Metric:
    """Unbiased pass@k over problems, for every k in PASS_AT that all problems have enough epochs for."""

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        counts = [
            (
                (s.score.metadata or {}).get("epochs", 1),
                (s.score.metadata or {}).get("epochs_passed", int(s.score.as_float() >= 1.0)),
            )
            for s in scores
        ]
        out: dict[str, float] = {}
        for k in PASS_AT:
            if counts and all(n >= k for n, _ in counts):
                out[f"pass@{k}"] = float(np.mean([estimate_pass_at_k(n, c, k) for n, c in counts]))
        return out

    return compute


@scorer(
    metrics=[
        mean(),
        stderr(),
        mean_valid(),
        infra_errors(),
        pass_at_k(),
        grouped(mean(), "difficulty", all=False, name_template="difficulty_{group_name}"),
        grouped(mean(), "platform", all=False, name_template="platform_{group_name}"),
    ]
)
def lcb_scorer(settings: GraderSettings, timeout: int = 6):
    """Grade the answer's last fenced code block by lcb_runner's rules (per-test `timeout` seconds)."""

    async def score(state: TaskState, target: Target) -> Score:
        fields = _problem_fields(state.metadata)
        n_tests = int(state.metadata["n_tests"])
        code = extract_code(state.output.completion if state.output else "")
        if not code.strip():
            return verdict(
                0,
                answer="",
                explanation="the answer has no fenced code block",
                verdict="no_code",
                tests_passed=0,
                tests_total=n_tests,
                public_tests_passed=False,
                **fields,
            )
        request = {"code": code, **read_tests(state.metadata), "timeout": timeout}
        try:
            response = await grade(settings, request)
        except RunnerError as ex:  # every grading attempt failed in a fresh grader: retried as a sample, not scored
            raise InfraError("runner_error", str(ex)) from ex
        kind = classify(response)
        results = response["results"]
        passed_tests = sum(1 for r in results if r is True)
        n_public = int(state.metadata.get("n_public_tests", 0))
        failure = response.get("metadata", {})
        if kind == "passed":
            explanation = "all tests passed"
        elif response.get("phase") in ("global_timeout", "died"):
            explanation = f"{kind}: no result from the program's process ({failure.get('cause', '')}); {NO_RESULT}"
        else:
            explanation = f"{kind} on test {len(results)}/{n_tests}: {failure.get('error_message', '')}"
        return verdict(
            1.0 if kind == "passed" else 0.0,
            answer=code,
            explanation=explanation,
            verdict=kind,
            tests_passed=passed_tests,
            tests_total=n_tests,
            # the routing signal: tests run in order, public first, and grading stops at the first failure
            public_tests_passed=n_public > 0 and passed_tests >= n_public,
            results=results,
            failure=failure,
            grading_seconds=response.get("elapsed"),
            **fields,
        )

    return score
