"""The harness retry policy with test-sized waits: same classification, attempts shortened only where asked."""

from __future__ import annotations

from typing import Any

from harness.policy import RetryPolicy, policy


def fast_policy(**api: Any) -> RetryPolicy:
    """The real policy with 50 ms backoff (and any other `[api]` field overridden), for fault-injection tests."""
    base = policy()
    values = {"backoff_initial": 0.05, "backoff_max": 0.2, **api}
    return base.model_copy(update={"api": base.api.model_copy(update=values)})
