"""MCP-Atlas scoring: claims judged by an LLM (MCP-Atlas rows) or programmatic checks (the offline set).

The score value is 1 when the task passes (coverage >= 0.75, or every check passes), so the mean is MCP-Atlas's
pass rate; coverage, per-claim ratings and the judge's own usage and cost are in the score metadata. Tasks that
cannot run here (a server unavailable) are scored as infrastructure errors with the reason, never dropped.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from inspect_ai.scorer import Metric, SampleScore, Score, Target, mean, metric, scorer, stderr
from inspect_ai.solver import TaskState

from harness.scoring import infra_errors, mean_valid, verdict
from suites.mcp_atlas import judge as judging
from suites.mcp_atlas.checkers import run_checks
from suites.mcp_atlas.dataset import McpTask

SKIPPED = "server_unavailable"


@metric
def mean_coverage() -> Metric:
    """Mean claim coverage over judged samples (MCP-Atlas's `mean_coverage`)."""

    def compute(scores: list[SampleScore]) -> float:
        values = [float(c) for s in scores if (c := (s.score.metadata or {}).get("coverage")) is not None]
        return sum(values) / len(values) if values else float("nan")

    return compute


@metric
def judge_cost() -> Metric:
    """Total USD spent on the judge (apart from the agent's own cost)."""

    def compute(scores: list[SampleScore]) -> float:
        return float(sum((s.score.metadata or {}).get("judge_cost_usd") or 0.0 for s in scores))

    return compute


def answer_of(state: TaskState) -> str:
    return state.output.completion if state.output else ""


async def score_checks(task: McpTask, answer: str) -> Score:
    results = await run_checks(task.checks, answer)
    passed = all(r.passed for r in results)
    return verdict(
        1.0 if passed else 0.0,
        passed=passed,
        answer=answer[:2000],
        grader="checks",
        checks=[asdict(r) for r in results],
        explanation="; ".join(f"{r.kind}: {'ok' if r.passed else 'FAIL'} ({r.detail})" for r in results),
    )


async def score_claims(task: McpTask, answer: str, spec: judging.JudgeSpec) -> Score:
    cfg = judging.config()
    meta = {
        "grader": "judge",
        "judge_model": spec.model,
        "judge_prompt_version": cfg.version,
        "judge_prompt_sha256": cfg.prompt_sha256,
    }
    try:
        result = await judging.judge_response(judging.judge_model(spec), task.claims, answer, spec.price_alias)
    except judging.JudgeError as ex:
        return verdict(0.0, infra_error="judge_error", explanation=str(ex), **meta)
    return verdict(
        1.0 if result.passed else 0.0,
        passed=result.passed,
        answer=answer[:2000],
        explanation=result.skipped_reason
        or f"coverage {result.coverage} ({'pass' if result.passed else 'fail'} at {cfg.pass_threshold})",
        coverage=result.coverage,
        claims=[asdict(r) for r in result.ratings],
        judge_calls=result.calls,
        judge_usage=result.usage.model_dump(exclude_none=True),
        judge_cost_usd=result.cost_usd,
        **meta,
    )


@scorer(metrics=[mean(), stderr(), mean_valid(), infra_errors(), mean_coverage(), judge_cost()])
def mcp_atlas_scorer(judge_model: str, judge_script: str | None = None):
    judge = judging.JudgeSpec(judge_model, Path(judge_script) if judge_script else None)

    async def score(state: TaskState, target: Target) -> Score:
        if reason := state.metadata.get("skip_reason"):
            return verdict(0.0, infra_error=SKIPPED, explanation=f"skipped: {reason}", skipped=True, skip_reason=reason)
        task = McpTask.model_validate(state.metadata["task"])
        answer = answer_of(state)
        if task.checks:
            return await score_checks(task, answer)
        return await score_claims(task, answer, judge)

    return score
