"""The retry policy object: classification, backoff with jitter and Retry-After, hash, inspect options."""

from __future__ import annotations

import email.utils
import time
from types import SimpleNamespace

import pytest

from harness.policy import Decision, policy, retry_after, status_of


def http_error(status: int, **headers: str) -> Exception:
    ex = Exception(f"HTTP {status}")
    ex.status_code = status  # type: ignore[attr-defined]
    ex.response = SimpleNamespace(headers=headers, status_code=status)  # type: ignore[attr-defined]
    return ex


@pytest.mark.parametrize(
    ("status", "decision"),
    [
        (429, Decision.RETRY),
        (500, Decision.RETRY),
        (502, Decision.RETRY),
        (503, Decision.RETRY),
        (400, Decision.FAIL),
        (403, Decision.FAIL),
        (404, Decision.STOP_RUN),
        (422, Decision.FAIL),
        (409, Decision.FAIL),
        (401, Decision.STOP_RUN),
        (402, Decision.STOP_RUN),
    ],
)
def test_classification_by_status(status: int, decision: Decision) -> None:
    assert policy().classify(status, transient=True) is decision


def test_errors_without_status_follow_the_provider() -> None:
    assert policy().classify(None, transient=True) is Decision.RETRY  # timeouts, connection resets
    assert policy().classify(None, transient=False) is Decision.FAIL


def test_backoff_is_exponential_capped_and_jittered() -> None:
    api = policy().api
    for retry in range(1, 12):
        base = min(api.backoff_max, api.backoff_initial * 2 ** (retry - 1))
        for _ in range(20):
            delay = policy().backoff(retry)
            assert base * (1 - api.jitter) <= delay <= base * (1 + api.jitter)


def test_retry_after_is_honoured_up_to_its_cap() -> None:
    rp = policy()
    assert rp.backoff(1, retry_after=30) == 30
    assert rp.backoff(1, retry_after=10 * rp.api.retry_after_max) == rp.api.retry_after_max
    assert rp.backoff(5, retry_after=0.01) >= rp.api.backoff_initial


def test_retry_after_header_forms() -> None:
    assert retry_after(http_error(429, **{"retry-after": "7"})) == 7
    assert retry_after(http_error(429, **{"retry-after-ms": "1500"})) == 1.5
    date = email.utils.formatdate(time.time() + 60, usegmt=True)
    assert 55 <= (retry_after(http_error(503, **{"retry-after": date})) or 0) <= 61
    assert retry_after(http_error(503, **{"retry-after": "soon"})) is None
    assert retry_after(Exception("no response")) is None
    assert status_of(http_error(402)) == 402 and status_of(Exception("x")) is None


def test_hash_covers_every_parameter() -> None:
    rp = policy()
    changed = rp.model_copy(update={"api": rp.api.model_copy(update={"max_attempts": rp.api.max_attempts + 1})})
    assert rp.hash != changed.hash and len(rp.hash) == 16
    assert rp.hash == policy().hash


def test_stop_messages_name_the_key() -> None:
    assert policy().stop_message(401, "DEEPSEEK_API_KEY").endswith("check DEEPSEEK_API_KEY")
    assert "insufficient balance" in policy().stop_message(402, None)
    message = policy().stop_message(404, None, "gemini-3.1-pro")
    assert message.startswith("the API has no model gemini-3.1-pro (404 model not found): fix the model id")


def test_a_model_not_found_answer_counts_as_404_whatever_its_status() -> None:
    from harness.policy import status_of

    class VendorError(Exception):
        def __init__(self, status: int, message: str) -> None:
            super().__init__(message)
            self.status_code = status

    assert status_of(VendorError(400, "Model Not Exist")) == 404  # DeepSeek's wording
    assert status_of(VendorError(400, "{'code': 'model_not_found'}")) == 404
    assert status_of(VendorError(400, "invalid tool schema")) == 400
    assert status_of(VendorError(503, "model not found in pool, try later")) == 503  # transient: stays retried
