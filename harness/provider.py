"""The model as inspect runs it: `harness/<alias>`, an inspect model API (`@modelapi`) that serves an alias through
its vendor's inspect provider, with the harness retry policy and run accounting.

inspect's providers do most of the work (DeepSeek's reasoning_content round trip, forced tool choice -> auto
while thinking, Anthropic thinking blocks). This API adds only what they lack, without patching them:

- the alias: vendor model id, endpoint, key variable, generate defaults (`data/models.toml`);
- one retry layer: the SDKs' internal retries (2 by default, invisible to inspect's logs and attempt cap) off;
- the policy's classification: retry exactly its statuses and transient errors; 401/402/404 stop the run;
- the policy's backoff, which honours Retry-After (inspect's own backoff ignores it), its attempt cap and
  timeouts (filled into the generate config where the caller set none), its fixed connection count;
- DeepSeek's cache fields: `prompt_cache_hit_tokens` / `prompt_cache_miss_tokens` become inspect's cache-read
  and input tokens (inspect reads only `prompt_tokens_details.cached_tokens`);
- every call's usage and `response.model` go to the run guard (cost cap, drift warning, manifest).

`harness eval` and `inspect eval … --model harness/<alias>` run through this same API, so both record the same
policy (its hash is in every harness task's metadata). `harness eval` hands its run guard (and, in tests, another
policy) to the instance it builds, not through model args: the logged model args stay empty, so a resumed run
matches its earlier logs.
"""

from __future__ import annotations

from typing import Any

from inspect_ai.model import GenerateConfig, Model, ModelAPI, ModelOutput, get_model, modelapi
from inspect_ai.tool import ToolChoice, ToolInfo

from harness.guard import RunGuard
from harness.models import ResolvedModel, check_credentials, resolve
from harness.models import api_key as key_of
from harness.policy import Decision, RetryPolicy, policy, status_of

SDK_RETRY_ARG_PROVIDERS = ("openai", "anthropic", "deepseek", "openai-api")
"""Providers whose SDK client takes `max_retries` (set to 0: inspect's loop is the only retry layer)."""
API = "harness"

_handoff: list[tuple[ResolvedModel, RetryPolicy, RunGuard | None]] = []
"""The resolved alias, policy and guard for the instance `build_model` is creating (taken by its constructor)."""


def build_model(model: ResolvedModel, rp: RetryPolicy, guard: RunGuard | None = None) -> Model:
    """An inspect Model for `model` (`harness/<alias>`) with `rp` and `guard`; pseudo-models as they are."""
    if not model.needs_api:
        return get_model(model.inspect_model, memoize=False, **model.model_args)
    _handoff.append((model, rp, guard))
    try:
        return get_model(f"{API}/{model.alias}", base_url=model.base_url, memoize=False)
    finally:
        _handoff.clear()


@modelapi(name=API)
def harness_api() -> type[ModelAPI]:
    return HarnessModelAPI


class HarnessModelAPI(ModelAPI):
    """An alias's vendor provider behind the harness retry policy; every other hook is the provider's own."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig | None = None,
        **model_args: Any,
    ) -> None:
        config = config if config is not None else GenerateConfig()  # inspect passes the Model's own config
        if _handoff:
            self.resolved, self.policy, self.guard = _handoff.pop()
        else:  # `inspect eval --model harness/<alias>`: the alias as registered, the run's policy, no guard
            self.resolved, self.policy, self.guard = resolve(model_name, base_url=base_url), policy(), None
        check_credentials(self.resolved)  # before any work, one line naming what is missing
        super().__init__(model_name=model_name, base_url=self.resolved.base_url, config=config)
        args: dict[str, Any] = {**self.resolved.model_args, **model_args}
        if self.resolved.provider.split("/", 1)[0] in SDK_RETRY_ARG_PROVIDERS:
            args.setdefault("max_retries", 0)
        for key, value in {**self.policy.generate_config(), **self.resolved.generate}.items():
            if getattr(config, key, None) is None:  # what the caller set wins; the rest is the policy's and alias's
                setattr(config, key, value)
        self.provider = get_model(
            self.resolved.inspect_model,
            base_url=self.resolved.base_url,
            api_key=api_key or key_of(self.resolved),
            config=config,
            memoize=False,
            **args,
        ).api

    async def generate(
        self, input: list[Any], tools: list[ToolInfo], tool_choice: ToolChoice, config: GenerateConfig
    ) -> Any:
        result = await self.provider.generate(input, tools, tool_choice, config)
        output, call = result if isinstance(result, tuple) else (result, None)
        if isinstance(output, ModelOutput):
            normalize_usage(output, getattr(call, "response", None))
            if self.guard is not None:
                self.guard.record_call(output)
        return result

    def should_retry(self, ex: Exception) -> bool:
        status = status_of(ex)
        transient = status is None and bool(self.provider.should_retry(ex))
        decision = self.policy.classify(status, transient)
        if decision is Decision.STOP_RUN and self.guard is not None and status is not None:
            message = self.policy.stop_message(status, self.resolved.api_key_env, self.resolved.model_id)
            self.guard.stop(message, "api")
        if decision is not Decision.RETRY and self.guard is not None:
            self.guard.refuse(status, ex)  # the sample ends: its retry attempt is declined, the request not re-sent
        return decision is Decision.RETRY

    def retry_wait(self) -> Any:
        return self.policy.wait

    def max_connections(self) -> int:
        return self.policy.api.max_connections

    def connection_key(self) -> str:
        return self.provider.connection_key()


def _forward(name: str) -> Any:
    def method(self: HarnessModelAPI, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.provider, name)(*args, **kwargs)

    method.__name__ = name
    return method


for _name, _member in vars(ModelAPI).items():  # every other hook: the vendor provider's own answer
    if not _name.startswith("_") and callable(_member) and _name not in vars(HarnessModelAPI):
        setattr(HarnessModelAPI, _name, _forward(_name))


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
