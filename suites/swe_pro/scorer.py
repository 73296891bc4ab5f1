"""Score a sample: collect the agent's patch, run Scale's entry script in the fresh container, grade, harden.

The value is Scale's verdict (1 = resolved: every FAIL_TO_PASS and PASS_TO_PASS test reported PASSED by the
instance's parser), so the mean over all samples is resolved/N. `strict` carries `resolved_strict`. Infrastructure
failures are labelled (`infra_error`) and excluded from the valid-sample rate:

- `setup_failed`: the prune step did not run (no repository, container never started);
- `sandbox_error`: a container stopped answering during collection or evaluation;
- `patch_apply_failed`: `git apply` rejected a diff generated in the same image (a corrupt diff; Scale's script
  would run the tests on the unpatched repository);
- `eval_timeout`: the entry script exceeded its timeout;
- `no_parser_output`: the parser wrote no readable output.json (Scale counts the instance unresolved).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspect_ai.scorer import Score, Target, mean, scorer, stderr
from inspect_ai.solver import TaskState
from inspect_ai.util import sandbox

from harness.repo_agent import REPO_STATE, graded_patch
from harness.sandbox import AGENT_SERVICE, EVAL_SERVICE
from harness.scoring import cap, infra_errors, mean_valid, strict_mean, verdict
from suites.swe_pro import grading
from suites.swe_pro.config import settings
from suites.swe_pro.dataset import Instance
from suites.swe_pro.entryscript import EvalRun, evaluate, load_scripts


def _explain(resolved: bool, strict: bool, details: dict[str, Any]) -> str:
    parts = [
        f"{'resolved' if resolved else 'unresolved'} (Scale's verdict)",
        f"F2P {details.get('fail_to_pass', '?')}, P2P {details.get('pass_to_pass', '?')}",
    ]
    if details.get("empty_patch"):
        parts.append("empty patch")
    parts.append(f"strict: {'resolved' if strict else 'unresolved'}")
    return "; ".join(parts + details.get("strict_violations", []))


def _run_details(run: EvalRun) -> dict[str, Any]:
    return {
        "patch_applies": run.patch_applies,
        "entry_output": cap(run.entry_output, 20_000),
        "test_output": cap(run.stdout),
        "test_stderr": cap(run.stderr, 200_000),
        "parser_output": run.output,
        "eval_exit_code": run.exit_code,
        "eval_seconds": round(run.seconds, 1),
    }


@scorer(metrics=[mean(), stderr(), mean_valid(), infra_errors(), strict_mean()])
def swe_pro_scorer(scripts_dir: str, timeout: int | None = None) -> Any:
    """Scale's procedure plus the strict verdict; `timeout` overrides the entry script timeout."""
    cfg = settings()
    eval_timeout = int(timeout or cfg.evaluation.timeout)

    async def score(state: TaskState, target: Target) -> Score:
        instance = Instance.model_validate(state.metadata["instance"])
        workdir = cfg.sandbox.workdir
        repo: dict[str, Any] | None = state.store.get(REPO_STATE)
        if not repo:
            return verdict(0, infra_error="setup_failed", explanation="the repository was never prepared")
        details: dict[str, Any] = {"instance_id": instance.instance_id, "diff_base": repo["diff_base"]}
        try:
            patch, submitted = await graded_patch(
                state, sandbox(AGENT_SERVICE), workdir, repo["diff_base"], cfg.patch.junk
            )
        except Exception as ex:  # the agent's container died or stopped answering
            return verdict(0, infra_error="sandbox_error", explanation=f"collecting the patch: {ex}", **details)
        empty = not patch.text.strip()
        details.update(
            excluded_from_patch=patch.excluded,
            patch_error=patch.error,
            empty_patch=empty,
            patch_source="submitted" if submitted else "working_tree",
        )
        scripts = load_scripts(Path(scripts_dir), instance)
        try:
            run = await evaluate(
                sandbox(EVAL_SERVICE), instance, scripts, patch.text, workdir=workdir, timeout=eval_timeout
            )
        except Exception as ex:
            return verdict(
                0, infra_error="sandbox_error", answer=patch.text, explanation=f"evaluating: {ex}", **details
            )
        details.update(_run_details(run))
        if not empty and not run.patch_applies:
            return verdict(
                0,
                # a diff of the working tree always applies; a patch the agent wrote itself may not (its fault)
                infra_error=None if submitted else "patch_apply_failed",
                answer=patch.text,
                explanation="git apply rejected the patch:\n" + run.entry_output[-1500:],
                **details,
            )
        if run.timed_out:
            explanation = f"the entry script exceeded {eval_timeout} s"
            return verdict(0, infra_error="eval_timeout", answer=patch.text, explanation=explanation, **details)
        return _grade(instance, patch.text, run, details)

    return score


def _grade(instance: Instance, patch: str, run: EvalRun, details: dict[str, Any]) -> Score:
    resolved = grading.resolved(instance, run.output)
    status = grading.tests_status(instance, run.output)
    strict = grading.strict_verdict(
        resolved=resolved, instance=instance, model_patch=patch, output=run.output, log=run.stdout + run.stderr
    )
    details.update(
        resolved=resolved,
        resolved_strict=strict.resolved_strict,
        strict_violations=strict.violations,
        tests_status=status,
        fail_to_pass=grading.counts(status, "FAIL_TO_PASS"),
        pass_to_pass=grading.counts(status, "PASS_TO_PASS"),
    )
    infra = None
    explanation = _explain(resolved, strict.resolved_strict, details)
    if run.output is None:
        infra = "no_parser_output"
        explanation += "; the parser wrote no readable output.json"
    return verdict(
        1.0 if resolved else 0.0,
        passed=resolved,
        strict=strict.resolved_strict,
        infra_error=infra,
        answer=patch,
        explanation=explanation,
        **details,
    )
