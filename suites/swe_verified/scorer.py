"""Score a sample: collect the agent's patch, evaluate it in the fresh container, grade with swebench, harden.

The value is the official verdict (1 = resolved: every FAIL_TO_PASS and PASS_TO_PASS test passes), so the mean
over all samples is resolved/N with empty patches and errors unresolved. `strict` carries `resolved_strict`.
Infrastructure faults that a fresh sandbox may not repeat are never scored: the scorer raises `InfraError` and
inspect retries the sample in fresh containers (an error, not a score, once its retries are spent):

- `setup_failed`: the prune step did not run (no repository, container never started);
- `sandbox_error`: a container died or stopped answering during collection or evaluation;
- `eval_incomplete`: the evaluation did not complete (no end marker, no exit code, the container killed).

Deterministic infrastructure outcomes are scored 0, labelled (`infra_error`) and excluded from the valid rate:

- `patch_apply_failed`: the official apply chain rejected a diff generated in the same image (a corrupt diff);
- `eval_timeout`: the eval script exceeded its timeout;
- `environment:<reason>`: swebench's own infra-failure classification of an unparseable log (e.g. out_of_memory).

An empty patch is unresolved without grading, as in the official harness; its eval script still runs so the log
shows the FAIL_TO_PASS tests failing on the unpatched repository (`unpatched_tests_status`).
"""

from __future__ import annotations

from typing import Any

from inspect_ai.scorer import Score, Target, mean, scorer, stderr
from inspect_ai.solver import TaskState
from inspect_ai.util import sandbox

from harness.repo_agent import REPO_STATE, graded_patch
from harness.sandbox import AGENT_SERVICE, EVAL_SERVICE
from harness.scoring import InfraError, cap, infra_errors, mean_valid, strict_mean, verdict
from suites.swe_verified import grading, hardening
from suites.swe_verified.canary import CanaryResult
from suites.swe_verified.canary import run as canary_run
from suites.swe_verified.config import settings
from suites.swe_verified.dataset import Instance
from suites.swe_verified.evaluation import EvalRun, evaluate


def _explain(resolved: bool, strict: bool | None, details: dict[str, Any]) -> str:
    parts = [
        f"{'resolved' if resolved else 'unresolved'} (official)",
        f"F2P {details.get('fail_to_pass', '?')}, P2P {details.get('pass_to_pass', '?')}",
    ]
    if details.get("empty_patch"):
        parts.append("empty patch")
    if strict is not None:
        parts.append(f"strict: {'resolved' if strict else 'unresolved'}")
    parts += details.get("strict_violations", [])
    return "; ".join(parts)


@scorer(metrics=[mean(), stderr(), mean_valid(), infra_errors(), strict_mean()])
def swe_bench_scorer(timeout: int | None = None) -> Any:
    """Official SWE-bench grading plus the strict verdict; `timeout` overrides the eval script timeout."""
    cfg = settings()
    eval_timeout = int(timeout or cfg.evaluation.timeout)

    async def score(state: TaskState, target: Target) -> Score:
        instance = Instance.model_validate(state.metadata["instance"])
        workdir = cfg.sandbox.workdir
        repo: dict[str, Any] | None = state.store.get(REPO_STATE)
        if not repo:
            raise InfraError("setup_failed", "the repository was never prepared")
        details: dict[str, Any] = {
            "instance_id": instance.instance_id,
            "diff_base": repo["diff_base"],
            "base_found": repo["base_found"],
        }
        try:
            patch, submitted = await graded_patch(
                state, sandbox(AGENT_SERVICE), workdir, repo["diff_base"], cfg.patch.junk
            )
        except Exception as ex:  # the agent's container died or stopped answering
            raise InfraError("sandbox_error", f"collecting the patch: {type(ex).__name__}: {ex}") from ex
        details.update(
            excluded_from_patch=patch.excluded,
            patch_error=patch.error,
            empty_patch=not patch.text.strip(),
            patch_source="submitted" if submitted else "working_tree",
        )
        run = await evaluate(  # raises InfraError when the evaluation did not complete
            sandbox(EVAL_SERVICE),
            patch=patch.text,
            eval_script=_eval_script(instance),
            workdir=workdir,
            timeout=eval_timeout,
        )
        details.update(_run_details(run))
        if patch.text.strip() and run.applied_with is None:
            return verdict(
                0,
                # a diff of the working tree always applies; a patch the agent wrote itself may not (its fault)
                infra_error=None if submitted else "patch_apply_failed",
                answer=patch.text,
                **details,
                explanation="the official apply chain rejected the patch:\n" + run.apply_output[-1500:],
            )
        official = _official(instance, patch.text, run.test_output)
        canary = None
        if official["resolved"] and patch.text.strip():
            try:
                canary = await canary_run(
                    sandbox(EVAL_SERVICE), instance, _eval_script(instance), workdir, eval_timeout
                )
            except Exception as ex:
                return verdict(
                    0,
                    infra_error="sandbox_error",
                    answer=patch.text,
                    explanation=f"running the canary test: {type(ex).__name__}: {ex}",
                    **details,
                )
        return _grade(instance, patch.text, run, details, eval_timeout, official, canary)

    return score


def _eval_script(instance: Instance) -> str:
    return grading.test_spec(instance).eval_script


def _run_details(run: EvalRun) -> dict[str, Any]:
    return {
        "patch_applied_with": run.applied_with,
        "apply_output": cap(run.apply_output, 20_000),
        "test_output": cap(run.test_output),
        "eval_exit_code": run.exit_code,
        "eval_seconds": round(run.seconds, 1),
    }


def _official(instance: Instance, patch: str, test_output: str) -> dict[str, Any]:
    # official: an empty prediction is never evaluated (unresolved); grade its log only to show what failed
    return grading.report(instance, patch if patch.strip() else "(empty patch: diagnostic grading)", test_output)


def _grade(
    instance: Instance,
    patch: str,
    run: EvalRun,
    details: dict[str, Any],
    eval_timeout: int,
    official: dict[str, Any],
    canary: CanaryResult | None,
) -> Score:
    empty = not patch.strip()
    statuses, _ = grading.status_map(instance, run.test_output)
    tests_status = official.get("tests_status")
    resolved = bool(official["resolved"]) and not empty
    strict = hardening.strict_verdict(
        resolved=resolved,
        instance=instance,
        model_patch=patch,
        test_output=run.test_output,
        eval_script=_eval_script(instance),
        statuses=statuses,
        exit_code=run.exit_code,
        line_statuses=grading.line_statuses(instance, run.test_output),
        canary=canary,
    )
    details.update(
        resolved=resolved,
        resolved_strict=strict.resolved_strict,
        strict_violations=strict.violations,
        fail_to_pass=grading.counts(tests_status, "FAIL_TO_PASS"),
        pass_to_pass=grading.counts(tests_status, "PASS_TO_PASS"),
        canary=canary.describe() if canary else None,
        canary_status=canary.status if canary else None,
        patch_successfully_applied=bool(official.get("patch_successfully_applied")) and not empty,
    )
    details["unpatched_tests_status" if empty else "tests_status"] = tests_status
    infra = None
    if run.timed_out:
        infra = "eval_timeout"
    elif official.get("infra_failure"):
        infra = f"environment:{official.get('infra_failure_reason', 'unknown')}"
    explanation = _explain(resolved, strict.resolved_strict, details)
    if run.timed_out:
        explanation += f"; the eval script exceeded {eval_timeout} s"
    return verdict(
        1.0 if resolved else 0.0,
        passed=resolved,
        strict=strict.resolved_strict,
        infra_error=infra,
        answer=patch,
        explanation=explanation,
        **details,
    )
