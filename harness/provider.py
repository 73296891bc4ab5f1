"""The model as inspect runs it: a resolved alias with the retry policy and the run guard applied.

inspect's providers do most of the work (DeepSeek's reasoning_content round trip, forced tool choice -> auto
while thinking, Anthropic thinking blocks). This module adds only what they lack, on the one model instance:

- one retry layer: the SDKs' internal retries (2 by default, invisible to inspect's logs and attempt cap) off;
- the policy's classification: retry exactly its statuses and transient errors; 401/402 stop the run;
- the policy's backoff, which honours Retry-After (inspect's own backoff ignores it);
- DeepSeek's cache fields: `prompt_cache_hit_tokens` / `prompt_cache_miss_tokens` become inspect's cache-read
  and input tokens (inspect reads only `prompt_tokens_details.cached_tokens`);
- every call's usage and `response.model` go to the run guard (cost cap, manifest).
"""

from __future__ import annotations

from typing import Any

from inspect_ai.model import Model, ModelAPI, ModelOutput, get_model

from harness.guard import RunGuard
from harness.models import ResolvedModel, api_key
from harness.policy import Decision, RetryPolicy, status_of

SDK_RETRY_ARG_PROVIDERS = ("openai", "anthropic", "deepseek", "openai-api")
"""Providers whose SDK client takes `max_retries` (set to 0: inspect's loop is the only retry layer)."""


def build_model(model: ResolvedModel, policy: RetryPolicy, guard: RunGuard | None = None) -> Model:
    """An inspect Model for `model` with the policy applied (pseudo-models are returned as they are)."""
    args: dict[str, Any] = dict(model.model_args)
    if not model.needs_api:
        return get_model(model.inspect_model, memoize=False, **args)
    if model.provider.split("/", 1)[0] in SDK_RETRY_ARG_PROVIDERS:
        args.setdefault("max_retries", 0)
    instance = get_model(model.inspect_model, base_url=model.base_url, api_key=api_key(model), memoize=False, **args)
    apply_policy(instance.api, policy, guard, key_env=model.api_key_env)
    return instance


def apply_policy(api: ModelAPI, policy: RetryPolicy, guard: RunGuard | None, *, key_env: str | None) -> None:
    """Install the policy's retry decision, backoff and call accounting on one provider instance."""
    provider_should_retry = api.should_retry
    provider_generate = api.generate

    def should_retry(ex: Exception) -> bool:
        status = status_of(ex)
        transient = status is None and bool(provider_should_retry(ex))
        decision = policy.classify(status, transient)
        if decision is Decision.STOP_RUN and guard is not None and status is not None:
            guard.stop(policy.stop_message(status, key_env), "api")
        if decision is not Decision.RETRY and guard is not None:
            guard.refuse(status, ex)  # the sample ends: its retry attempt is declined, the request not re-sent
        return decision is Decision.RETRY

    async def generate(*args: Any, **kwargs: Any) -> Any:
        result = await provider_generate(*args, **kwargs)
        output, call = result if isinstance(result, tuple) else (result, None)
        if isinstance(output, ModelOutput):
            normalize_usage(output, getattr(call, "response", None))
            if guard is not None:
                guard.record_call(output)
        return result

    api.should_retry = should_retry  # type: ignore[method-assign]
    api.retry_wait = lambda: policy.wait  # type: ignore[method-assign]
    api.generate = generate  # type: ignore[method-assign]


def normalize_usage(output: ModelOutput, response: dict[str, Any] | None) -> None:
    """Read DeepSeek's cache-hit/miss counts into inspect's usage (input excludes cache reads)."""
    usage = (response or {}).get("usage") or {}
    hit = usage.get("prompt_cache_hit_tokens")
    if output.usage is None or not isinstance(hit, int):
        return
    miss = usage.get("prompt_cache_miss_tokens")
    prompt = usage.get("prompt_tokens")
    output.usage.input_tokens_cache_read = hit
    if isinstance(miss, int):
        output.usage.input_tokens = miss
    elif isinstance(prompt, int):
        output.usage.input_tokens = prompt - hit
