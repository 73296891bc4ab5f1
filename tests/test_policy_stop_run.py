"""A 402, 401 or model-not-found (404, or DeepSeek's 400 "Model Not Exist") stops the whole run with the
documented message; `--resume` finishes it. No Docker needed."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fakes import FakeModelServer
from fakes.policy import fast_policy
from fakes.responders import sum_solver
from fakes.toy_suite import use_toy_suite

from harness import exit_codes, run
from harness.run import EvalRequest, run_eval


@pytest.fixture()
def toy(monkeypatch: pytest.MonkeyPatch, results_dir) -> None:
    use_toy_suite(monkeypatch)
    monkeypatch.setattr(run, "policy", lambda: fast_policy())
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-fake-key")


NOT_FOUND = (
    "the API has no model deepseek-v4-pro (404 model not found): fix the model id in harness/data/models.toml "
    "(`harness models` lists the ids) or the endpoint (--base-url)"
)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (402, None, "the API account has insufficient balance (402): top up the account"),
        (401, None, "the API rejected the key (401 authentication failed): check DEEPSEEK_API_KEY"),
        (404, "The model `deepseek-v4-pro` does not exist", NOT_FOUND),
        (400, "Model Not Exist", NOT_FOUND),
    ],
)
def test_stop_run_status_ends_the_run_and_resume_finishes_it(toy, status: int, body: str | None, message: str) -> None:
    request = EvalRequest(model="deepseek-v4-pro", suites=["toy"], max_samples=1, run_id=f"stop-{status}")
    with FakeModelServer(responder=sum_solver(fail_after=1, status=status, message=body)) as server:
        request.base_url = server.openai_url
        stopped = run_eval(request)
        stopped_requests = len(server.model_requests())
    assert stopped.exit_code == exit_codes.STOPPED and stopped.stop_reason == message
    assert stopped_requests == 2  # sample 1 answered; sample 2 got the status once; sample 3 never started
    run_dir = run.runs_dir() / f"stop-{status}"
    record = json.loads((run_dir / "manifest.json").read_text())
    assert record["stop_reason"] == message and record["cost"]["guard"]["stopped_by"] == "api"
    assert record["success"] is False and record["status"] == "stopped" and record["exit_code"] == 4
    if status != 402:
        return  # resuming is the same for every status; test it once

    request.resume = True
    with FakeModelServer(responder=sum_solver()) as server:
        request.base_url = server.openai_url
        outcome = run_eval(request)
        resumed_requests = len(server.model_requests())
    assert outcome.success and outcome.stop_reason is None
    assert resumed_requests == 2  # the finished sample was kept, not re-run
    samples = pd.read_csv(run_dir / "samples.csv")
    assert sorted(samples["task"]) == ["sum-2-3", "sum-4-5", "sum-6-7"]
    assert samples["passed"].all()
    record = json.loads((run_dir / "manifest.json").read_text())
    assert record["resumed"] and len(record["invocations"]) == 2 and record["stop_reason"] is None


@pytest.mark.parametrize("status", [400, 422])
def test_an_error_that_is_not_retried_ends_the_sample_at_once(toy, status: int) -> None:
    """The sample retry is for infrastructure errors: a 400 or 422 is sent once, not once per sample attempt (a 404
    model-not-found stops the whole run, above)."""
    request = EvalRequest(model="deepseek-v4-pro", suites=["toy"], max_samples=1, run_id=f"refused-{status}")
    with FakeModelServer(responder=sum_solver(fail_after=1, status=status)) as server:
        request.base_url = server.openai_url
        outcome = run_eval(request)
        requests = len(server.model_requests())
    assert requests == 3  # sample 1 answered; samples 2 and 3 each got the status once, neither was retried
    assert outcome.exit_code == exit_codes.SAMPLE_ERRORS and outcome.stop_reason is None
    assert outcome.samples["planned"] == 3 and outcome.samples["scored"] == 1
    record = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert sorted(r["sample"] for r in record["api_refusals"]) == ["sum-4-5", "sum-6-7"]
    assert all(f"API status {status}, not retried" in r["error"] for r in record["api_refusals"])
    assert record["status"] == "sample_errors" and record["exit_code"] == 3
