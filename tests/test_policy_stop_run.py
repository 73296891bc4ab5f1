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

from harness import run
from harness.errors import HarnessError
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
        with pytest.raises(HarnessError) as raised:
            run_eval(request)
        stopped_requests = len(server.model_requests())
    text = str(raised.value)
    assert text.startswith(f"run stopped: {message}.") and "--resume stop-" in text
    assert stopped_requests == 2  # sample 1 answered; sample 2 got the status once; sample 3 never started
    run_dir = run.runs_dir() / f"stop-{status}"
    record = json.loads((run_dir / "manifest.json").read_text())
    assert record["stop_reason"] == message and record["cost"]["guard"]["stopped_by"] == "api"
    assert record["success"] is False
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
