"""Infrastructure faults end as `InfraError` (retried in a fresh sandbox, never scored), without Docker: an SWE-bench
evaluation that did not complete, and a LiveCodeBench grader that failed (graded again in a fresh grader)."""

from __future__ import annotations

import anyio
import pytest
from inspect_ai.util import ExecResult, SandboxUnavailableError

from harness.scoring import InfraError
from suites.livecodebench.sandbox import GraderPool, GraderSettings, RunnerError
from suites.swe_verified import evaluation

COMPLETE = f"{evaluation.APPLIED_WITH}git apply --verbose\n{evaluation.EVAL_EXIT}0\n{evaluation.OUTPUT_BYTES}5\n"


class FakeBox:
    """A sandbox whose second exec (the evaluation) returns `result` or raises it."""

    def __init__(self, result: ExecResult[str] | Exception) -> None:
        self.result = result
        self.calls = 0

    async def exec(self, cmd, input=None, timeout=None, **kwargs) -> ExecResult[str]:
        self.calls += 1
        if self.calls == 1:  # the upload
            return ExecResult(True, 0, "", "")
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def evaluate(box: FakeBox) -> evaluation.EvalRun:
    async def main() -> evaluation.EvalRun:
        return await evaluation.evaluate(
            box, patch="diff --git a/x b/x\n", eval_script="true", workdir="/r", timeout=60
        )

    return anyio.run(main)


@pytest.mark.parametrize(
    "result",
    [
        ExecResult(False, 137, "collected 3 items\ntest_a PASSED\n", f"{evaluation.APPLIED_WITH}git apply\n"),
        ExecResult(False, 137, "", ""),  # killed during the apply chain
        ExecResult(True, 0, "ok\n", f"{evaluation.APPLIED_WITH}git apply\n{evaluation.EVAL_EXIT}0\n"),  # no size
        SandboxUnavailableError("The sandbox is not running and cannot execute"),
        TimeoutError("Command timed out after 360 seconds"),
    ],
)
def test_an_evaluation_that_did_not_complete_is_an_infra_error(result) -> None:
    with pytest.raises(InfraError) as raised:
        evaluate(FakeBox(result))
    assert raised.value.error_class in ("eval_incomplete", "sandbox_error")


def test_a_complete_evaluation_and_a_rejected_patch_are_results() -> None:
    run = evaluate(FakeBox(ExecResult(True, 0, "hello", COMPLETE)))
    assert (run.exit_code, run.test_output, run.applied_with) == (0, "hello", "git apply --verbose")
    rejected = evaluate(FakeBox(ExecResult(False, 1, "", f"error: patch failed\n{evaluation.APPLY_FAILED}\n")))
    assert rejected.applied_with is None and rejected.exit_code is None  # scored as patch_apply_failed


def test_a_failed_grader_is_replaced_and_the_program_graded_again(monkeypatch) -> None:
    pool = GraderPool.__new__(GraderPool)
    pool.settings = GraderSettings(image="unused", workers=1, attempts=3)
    outcomes = [RunnerError("grader x exited"), RunnerError("grader y did not answer in time"), {"results": [True]}]

    def grade_once(request):
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(pool, "grade_once", grade_once)
    assert pool.grade({}) == {"results": [True]}
    outcomes[:] = [RunnerError("a"), RunnerError("b"), RunnerError("c")]
    with pytest.raises(RunnerError, match="3 grading attempt"):
        pool.grade({})
