"""The fixed retry policy (one object, loaded from `data/policy.toml`) and how it maps onto inspect's options."""

from __future__ import annotations

import hashlib
import json
import tomllib
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict

from harness.paths import PACKAGE_DATA

POLICY_FILE = PACKAGE_DATA / "policy.toml"


class ApiPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_attempts: int
    attempt_timeout: int
    backoff_initial: float
    backoff_max: float
    jitter: float
    max_connections: int
    retry_statuses: list[int]
    never_retry_statuses: list[int]
    stop_run_statuses: list[int]


class SandboxPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample_retries: int


class RetryPolicy(BaseModel):
    """Retry behaviour for API calls and sandbox infrastructure; identical for every model."""

    model_config = ConfigDict(extra="forbid")

    version: int
    api: ApiPolicy
    sandbox: SandboxPolicy

    @property
    def hash(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(), sort_keys=True).encode()).hexdigest()[:16]

    def eval_kwargs(self) -> dict[str, Any]:
        """inspect eval options that pin the policy (inspect's defaults are unlimited retries, adaptive conns)."""
        return {
            "max_retries": self.api.max_attempts - 1,
            "timeout": self.api.attempt_timeout * self.api.max_attempts,
            "attempt_timeout": self.api.attempt_timeout,
            "max_connections": self.api.max_connections,
            "retry_on_error": self.sandbox.sample_retries,
        }


@cache
def policy() -> RetryPolicy:
    with POLICY_FILE.open("rb") as f:
        return RetryPolicy.model_validate(tomllib.load(f))
