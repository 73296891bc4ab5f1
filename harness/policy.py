"""The fixed retry policy (one object, loaded from `data/policy.toml`) and how it maps onto inspect.

API calls: inspect's retry loop runs every attempt; this policy decides which failures it retries (`classify`),
how long it waits (`wait`, exponential backoff with jitter, at least the server's Retry-After), how many
attempts and how long each may take (`eval_kwargs`). Sandbox errors: inspect's sample-level `retry_on_error`.
"""

from __future__ import annotations

import email.utils
import random
import re
import time
import tomllib
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from tenacity import RetryCallState

from harness.digest import digest
from harness.paths import PACKAGE_DATA

POLICY_FILE = PACKAGE_DATA / "policy.toml"


class ApiPolicy(BaseModel):
    """How model API calls are retried; identical for every model."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int
    """Attempts per API call, the first included."""
    attempt_timeout: int
    """Seconds one attempt may take before it is abandoned and retried."""
    stream_idle_timeout: int
    """Seconds a streaming attempt may deliver no token before it is abandoned and retried (requests streaming)."""
    backoff_initial: float
    """Seconds before the first retry; doubles with each retry."""
    backoff_max: float
    """Cap of the exponential backoff, seconds."""
    jitter: float
    """+/- fraction of the delay, drawn uniformly."""
    retry_after_max: float
    """A server's Retry-After is honoured up to this many seconds."""
    max_connections: int
    """Concurrent API calls per model, fixed (inspect's adaptive concurrency is off)."""
    retry_statuses: list[int]
    """HTTP statuses that are retried; any other status is not."""
    never_retry_statuses: list[int]
    """Statuses named as never retried (documentation; must not overlap `retry_statuses`)."""
    stop_run_statuses: list[int]
    """Statuses that stop the whole run: no new sample starts."""
    stop_run_messages: dict[str, str]
    """Message per stop-run status; `{key_env}` and `{model}` are replaced by the model's API key variable and
    its model id."""

    def model_post_init(self, context: Any) -> None:
        overlap = set(self.retry_statuses) & set(self.never_retry_statuses)
        if overlap:
            raise ValueError(f"{POLICY_FILE}: statuses {sorted(overlap)} are both retried and never retried")
        missing = [s for s in self.stop_run_statuses if str(s) not in self.stop_run_messages]
        if missing:
            raise ValueError(f"{POLICY_FILE}: [api.stop_run_messages] has no message for {missing}")


class SandboxPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample_retries: int
    """Times a sample that errored is retried in a fresh sandbox."""


class Decision(StrEnum):
    """What the policy does with a failed API attempt."""

    RETRY = "retry"
    FAIL = "fail"
    """Not retried: the sample errors."""
    STOP_RUN = "stop_run"
    """Not retried, and no new sample starts."""


class RetryPolicy(BaseModel):
    """Retry behaviour for API calls and sandbox infrastructure; identical for every model."""

    model_config = ConfigDict(extra="forbid")

    version: int
    api: ApiPolicy
    sandbox: SandboxPolicy

    @property
    def hash(self) -> str:
        return digest(self.model_dump())

    @property
    def call_timeout(self) -> int:
        """Seconds a call may take over all its attempts and waits (inspect's `timeout`)."""
        api = self.api
        waits = (api.max_attempts - 1) * max(api.backoff_max, api.retry_after_max)
        return int(api.max_attempts * api.attempt_timeout + waits)

    def generate_config(self) -> dict[str, Any]:
        """inspect GenerateConfig fields that pin API retries (inspect's defaults: unlimited retries, adaptive
        connections)."""
        return {
            "max_retries": self.api.max_attempts - 1,
            "timeout": self.call_timeout,
            "attempt_timeout": self.api.attempt_timeout,
            "stream_idle_timeout": self.api.stream_idle_timeout,
            "max_connections": self.api.max_connections,
            "adaptive_connections": False,
        }

    def eval_kwargs(self) -> dict[str, Any]:
        """inspect eval options that pin the whole policy: API retries and sample retries."""
        return {**self.generate_config(), "retry_on_error": self.sandbox.sample_retries}

    def classify(self, status: int | None, transient: bool) -> Decision:
        """Decide on a failed attempt from its HTTP status, or (no status) whether the provider calls it transient
        (timeouts, connection errors, an error event inside a stream)."""
        if status is None:
            return Decision.RETRY if transient else Decision.FAIL
        if status in self.api.stop_run_statuses:
            return Decision.STOP_RUN
        return Decision.RETRY if status in self.api.retry_statuses else Decision.FAIL

    def backoff(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry` (1 = the first retry)."""
        api = self.api
        delay = min(api.backoff_max, api.backoff_initial * 2 ** (retry - 1))
        delay *= 1 + random.uniform(-api.jitter, api.jitter)
        if retry_after is not None:
            delay = max(delay, min(retry_after, api.retry_after_max))
        return delay

    def wait(self, state: RetryCallState) -> float:
        """tenacity wait: exponential backoff with jitter, never shorter than the server's Retry-After."""
        ex = state.outcome.exception() if state.outcome is not None else None
        return self.backoff(state.attempt_number, retry_after(ex) if ex is not None else None)

    def stop_message(self, status: int, key_env: str | None, model: str | None = None) -> str:
        return self.api.stop_run_messages[str(status)].format(
            key_env=key_env or "the API key", model=model or "(unknown)"
        )


MODEL_NOT_FOUND = re.compile(r"model_not_found|model not exist|model .*(does not exist|not found)|no such model", re.I)
"""How vendors word an unknown model when they do not answer 404 (DeepSeek: 400 "Model Not Exist")."""


def status_of(ex: BaseException) -> int | None:
    """The HTTP status an SDK exception carries (openai/anthropic `status_code`, google `code`), if any; an
    unknown-model answer counts as 404 whatever its status."""
    status = _http_status(ex)
    if status is not None and status != 404 and status < 500 and MODEL_NOT_FOUND.search(str(ex)):
        return 404
    return status


def _http_status(ex: BaseException) -> int | None:
    for attr in ("status_code", "code"):
        value = getattr(ex, attr, None)
        if isinstance(value, int) and 100 <= value < 600:
            return value
    response = getattr(ex, "response", None)
    value = getattr(response, "status_code", None)
    return value if isinstance(value, int) else None


def retry_after(ex: BaseException) -> float | None:
    """Seconds the server asked to wait (`retry-after-ms`, or `Retry-After` in seconds or as an HTTP date)."""
    headers = getattr(getattr(ex, "response", None), "headers", None)
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - time.time())


def load_policy(path: Path) -> RetryPolicy:
    with path.open("rb") as f:
        return RetryPolicy.model_validate(tomllib.load(f))


@cache
def policy() -> RetryPolicy:
    """The policy every run uses."""
    return load_policy(POLICY_FILE)
