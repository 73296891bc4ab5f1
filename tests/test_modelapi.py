"""`harness/<alias>` is an inspect model API: `inspect eval … --model harness/deepseek-v4-pro` runs with the same
retry policy as `harness eval` (same hash in the log, same generate settings on every call). No Docker needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import FakeModelServer
from fakes.responders import sum_solver
from fakes.toy_suite import use_toy_suite
from inspect_ai import eval as inspect_eval
from inspect_ai.event import ModelEvent
from inspect_ai.log import EvalLog, read_eval_log

from harness.policy import policy
from harness.run import EvalRequest, run_eval
from harness.tasks import suite_task

PINNED = ("max_retries", "timeout", "attempt_timeout", "stream_idle_timeout", "max_connections", "max_tokens")


@pytest.fixture()
def toy(monkeypatch: pytest.MonkeyPatch, results_dir) -> None:
    use_toy_suite(monkeypatch)
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-fake-key")


def first_call_config(log: EvalLog) -> dict:
    assert log.samples
    event = next(e for e in log.samples[0].events if isinstance(e, ModelEvent))
    return {key: getattr(event.config, key) for key in PINNED}


def test_inspect_eval_and_harness_eval_record_the_same_policy(toy, tmp_path: Path) -> None:
    with FakeModelServer(responder=sum_solver()) as server:
        outcome = run_eval(EvalRequest(model="deepseek-v4-pro", suites=["toy"], base_url=server.openai_url))
    [harness_log] = [read_eval_log(str(p)) for p in (outcome.run_dir / "logs").glob("*.eval")]

    with FakeModelServer(responder=sum_solver()) as server:
        [inspect_log] = inspect_eval(
            suite_task(suite="toy"),
            model="harness/deepseek-v4-pro",
            model_base_url=server.openai_url,
            log_dir=str(tmp_path / "inspect"),
            display="none",
        )
        [request, *_] = server.model_requests()
    assert inspect_log.status == "success", inspect_log.error
    assert harness_log.eval.metadata and inspect_log.eval.metadata
    assert harness_log.eval.metadata["policy_hash"] == inspect_log.eval.metadata["policy_hash"] == policy().hash
    assert harness_log.eval.model == inspect_log.eval.model == "harness/deepseek-v4-pro"
    assert first_call_config(inspect_log) == first_call_config(harness_log)
    assert first_call_config(inspect_log)["max_retries"] == policy().api.max_attempts - 1
    assert request.body["model"] == "deepseek-v4-pro" and request.body["reasoning_effort"] == "max"


def test_inspect_eval_without_the_key_fails_in_one_line_before_any_request(toy, monkeypatch, tmp_path: Path) -> None:
    from inspect_ai.model import get_model

    monkeypatch.delenv("DEEPSEEK_API_KEY")
    with pytest.raises(Exception, match="model deepseek-v4-pro: set DEEPSEEK_API_KEY"):
        get_model("harness/deepseek-v4-pro", memoize=False)
