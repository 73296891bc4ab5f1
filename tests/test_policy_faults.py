"""Fault injection against the fixed retry policy, through the real OpenAI and Anthropic SDK clients.

Each test scripts the fake server, makes one model call with the policy applied, and asserts the number of HTTP
attempts, the wait that was honoured between them, and the outcome. Waits are test-sized (50 ms backoff), but the
classification, attempt cap, attempt timeout and Retry-After handling are the production policy's. Gaps between
attempts are checked from below exactly; from above only loosely (SLACK), as the test machine is shared.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import replace
from typing import Any

import pytest
from fakes import (
    Error,
    FakeModelServer,
    Hang,
    Reply,
    Reset,
    anthropic_message,
    chat_completion,
    text_block,
)
from fakes.policy import fast_policy
from inspect_ai.model import GenerateConfig, ModelOutput
from tenacity import RetryError

from harness.guard import RunGuard
from harness.models import resolve
from harness.policy import RetryPolicy, policy, status_of
from harness.provider import build_model

OK = chat_completion("fine")
SLACK = 5.0


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-fake")


def call(
    server: FakeModelServer,
    rp: RetryPolicy,
    *,
    alias: str = "deepseek-v4-pro",
    guard: RunGuard | None = None,
    model_args: dict[str, Any] | None = None,
) -> ModelOutput:
    resolved = resolve(alias, base_url=server.anthropic_url if "@anthropic" in alias else server.openai_url)
    if model_args:
        resolved = replace(resolved, model_args={**resolved.model_args, **model_args})
    model = build_model(resolved, rp, guard)
    return asyncio.run(model.generate("hello", config=GenerateConfig(**rp.generate_config())))


def timed_call(server: FakeModelServer, rp: RetryPolicy, **kwargs: Any) -> tuple[ModelOutput, float]:
    """The call and its wall time on the client: a timeout cannot fire early there, whatever the server's lag."""
    started = time.monotonic()
    output = call(server, rp, **kwargs)
    return output, time.monotonic() - started


def gaps(server: FakeModelServer) -> list[float]:
    times = [r.time for r in server.model_requests()]
    return [b - a for a, b in itertools.pairwise(times)]


def test_production_policy_pins_attempts_timeouts_and_connections() -> None:
    rp = policy()
    config = rp.generate_config()
    assert config["max_retries"] == rp.api.max_attempts - 1 >= 1
    assert 0 < config["stream_idle_timeout"] < config["attempt_timeout"] < config["timeout"]
    assert config["adaptive_connections"] is False and config["max_connections"] == rp.api.max_connections
    assert rp.eval_kwargs()["retry_on_error"] == rp.sandbox.sample_retries
    assert {429, 500, 502, 503} <= set(rp.api.retry_statuses)
    assert {400, 401, 403, 422} <= set(rp.api.never_retry_statuses)
    assert set(rp.api.stop_run_statuses) == {401, 402, 404}


def test_429_honours_retry_after() -> None:
    with FakeModelServer([Error(429, "slow down", headers={"retry-after": "2"}), Reply(OK)]) as server:
        output = call(server, fast_policy())
    assert output.completion == "fine"
    [gap] = gaps(server)
    assert 2.0 <= gap < 2.0 + SLACK  # the 50 ms backoff was overridden by the server's Retry-After


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried_with_backoff(status: int) -> None:
    with FakeModelServer([Error(status), Error(status), Reply(OK)]) as server:
        output = call(server, fast_policy(backoff_initial=0.5, backoff_max=5, jitter=0))
    assert output.completion == "fine"
    first, second = gaps(server)
    assert 0.5 <= first < 0.5 + SLACK and 1.0 <= second < 1.0 + SLACK  # exponential: 0.5 s, then 1 s


def test_attempts_are_capped() -> None:
    with FakeModelServer(responder=lambda request: Error(503)) as server, pytest.raises(RetryError) as raised:
        call(server, fast_policy(max_attempts=3))
    assert len(server.model_requests()) == 3  # not 3 x the SDK's own retries: the SDK layer is off
    assert status_of(raised.value.last_attempt.exception()) == 503


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_client_errors_are_not_retried(status: int) -> None:
    with FakeModelServer([Error(status, "bad request"), Reply(OK)]) as server, pytest.raises(Exception) as raised:
        call(server, fast_policy())
    assert len(server.model_requests()) == 1
    assert status_of(raised.value) == status


def test_calls_stream_so_long_generations_are_not_cut() -> None:
    with FakeModelServer([Reply(OK)]) as server:
        call(server, fast_policy())
    [request] = server.model_requests()
    assert request.body["stream"] is True and request.body["stream_options"] == {"include_usage": True}


def test_silent_stream_past_the_idle_timeout_is_retried() -> None:
    # DeepSeek keeps a request open with `: keep-alive` comments while it waits; they are not tokens
    with FakeModelServer([Hang(seconds=30), Reply(OK)]) as server:
        output, elapsed = timed_call(server, fast_policy(stream_idle_timeout=1, attempt_timeout=60))
    assert output.completion == "fine" and len(server.model_requests()) == 2
    assert 1.0 <= elapsed < 1.0 + SLACK  # abandoned at the 1 s idle timeout, not after the 30 s the server hangs


def test_keep_alive_comments_before_the_tokens_are_accepted() -> None:
    with FakeModelServer([Reply(OK, keepalive=3, keepalive_interval=0.2)]) as server:
        output = call(server, fast_policy())
    assert output.completion == "fine" and len(server.model_requests()) == 1


def test_slow_response_past_the_attempt_timeout_is_retried() -> None:
    with FakeModelServer([Reply(OK, delay=30), Reply(OK)]) as server:
        output, elapsed = timed_call(server, fast_policy(attempt_timeout=1))
    assert output.completion == "fine" and len(server.model_requests()) == 2
    assert 1.0 <= elapsed < 1.0 + SLACK  # abandoned at the 1 s attempt timeout, not after the 30 s the server takes


@pytest.mark.parametrize("keepalive", [True, False])
def test_non_streaming_call_cannot_hang_on_keep_alive_lines(keepalive: bool) -> None:
    # without streaming (a provider or server that cannot stream), DeepSeek's blank keep-alive lines keep the
    # connection busy forever; only the attempt timeout ends it
    with FakeModelServer([Hang(seconds=30, keepalive=keepalive), Reply(OK)]) as server:
        output, elapsed = timed_call(server, fast_policy(attempt_timeout=1), model_args={"stream": False})
    assert output.completion == "fine" and len(server.model_requests()) == 2
    assert "stream" not in server.model_requests()[0].body
    assert 1.0 <= elapsed < 1.0 + SLACK


def test_connection_reset_is_retried() -> None:
    with FakeModelServer([Reset(), Reply(OK)]) as server:
        output = call(server, fast_policy())
    assert output.completion == "fine" and len(server.model_requests()) == 2


def test_anthropic_route_retries_529_and_honours_retry_after() -> None:
    reply = anthropic_message(text_block("fine"))
    with FakeModelServer([Error(529, "overloaded", headers={"retry-after": "1"}), Reply(reply)]) as server:
        output = call(server, fast_policy(), alias="deepseek-v4-pro@anthropic")
    assert output.completion == "fine"
    [gap] = gaps(server)
    assert 1.0 <= gap < 1.0 + SLACK


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (402, "insufficient balance (402): top up the account"),
        (401, "401 authentication failed): check DEEPSEEK_API_KEY"),
    ],
)
def test_402_and_401_stop_the_run(status: int, message: str) -> None:
    guard = RunGuard(price_key="deepseek-v4-pro", plan=None, cost_cap=None)
    with FakeModelServer([Error(status), Reply(OK)]) as server, pytest.raises(Exception) as raised:
        call(server, fast_policy(), guard=guard)
    assert status_of(raised.value) == status
    assert len(server.model_requests()) == 1
    assert guard.stopped_by == "api" and guard.stop_reason is not None and message in guard.stop_reason
