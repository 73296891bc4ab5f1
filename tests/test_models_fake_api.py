"""Every model route against local fake API servers, through the real SDK clients and inspect's providers.

Covers the DeepSeek reasoning_content round trip through the scaffold, forced tool choice while thinking, the
Anthropic-format route, self-hosted OpenAI-compatible servers, `response.model` and cache-hit usage.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes import (
    FakeModelServer,
    Reply,
    anthropic_message,
    anthropic_usage,
    chat_completion,
    deepseek_usage,
    openai_response,
    text_block,
    thinking_block,
    tool_call,
    tool_use_block,
)
from fakes.policy import fast_policy
from fakes.toy_suite import add
from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.event import ModelEvent
from inspect_ai.log import EvalLog
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import includes
from inspect_ai.tool import ToolFunction

from harness.cost import quote, usage_cost
from harness.guard import RunGuard
from harness.models import resolve
from harness.provider import build_model
from harness.scaffold import scaffold_solver

KEY = "sk-fake-deepseek-key-0123456789"
PEAK = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


@pytest.fixture()
def server(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DEEPSEEK_API_KEY", KEY)
    with FakeModelServer() as fake:
        yield fake


def run_scaffold(alias: str, base_url: str, tmp_path: Path, guard: RunGuard | None = None) -> EvalLog:
    """One sample ("What is 2 + 3?") through the scaffold with an `add` tool, no sandbox."""
    resolved = resolve(alias, base_url=base_url)
    rp = fast_policy(max_attempts=2)  # a stray retry fails fast instead of waiting minutes
    model = build_model(resolved, rp, guard)
    task = Task(
        dataset=[Sample(id="sum", input="What is 2 + 3?", target="5")],
        solver=scaffold_solver("mcp_atlas", "mcp", extra_tools=[add()]),
        scorer=includes(),
    )
    [log] = eval(
        task, model=model, log_dir=str(tmp_path / "logs"), display="none", **rp.eval_kwargs(), **resolved.generate
    )
    assert log.status == "success", log.error
    return log


def model_events(log: EvalLog) -> list[ModelEvent]:
    assert log.samples
    return [e for e in log.samples[0].events if isinstance(e, ModelEvent)]


def test_deepseek_tool_episode_sends_reasoning_content_back(
    server: FakeModelServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server.play(
        Reply(
            chat_completion(
                reasoning_content="Use the add tool.",
                tool_calls=[tool_call("add", {"a": 2, "b": 3})],
                usage=deepseek_usage(1000, 50, cache_hit=800),
            )
        ),
        Reply(
            chat_completion(
                reasoning_content="It is 5; submit.",
                tool_calls=[tool_call("submit", {"answer": "5"})],
                model="deepseek-v4-flash",
                usage=deepseek_usage(1100, 30, cache_hit=1000),
            )
        ),
    )
    guard = RunGuard(
        price_key="deepseek-v4-pro", plan=None, cost_cap=None, model=resolve("deepseek-v4-pro"), clock=lambda: PEAK
    )
    with caplog.at_level(logging.WARNING, logger="harness.guard"):
        log = run_scaffold("deepseek-v4-pro", server.openai_url, tmp_path, guard)

    first, second = (r.body for r in server.model_requests())
    assert first["model"] == "deepseek-v4-pro" and first["reasoning_effort"] == "max"
    assert first["max_tokens"] == second["max_tokens"] == 384_000  # the family's output limit on every route
    assert first["tools"] and not any(t["function"].get("strict") for t in first["tools"])  # no strict schemas
    assert first["thinking"] == {"type": "enabled"}
    assert first["tool_choice"] == "auto"
    assistant = [m for m in second["messages"] if m["role"] == "assistant"]
    assert len(assistant) == 1
    assert assistant[0]["reasoning_content"] == "Use the add tool."
    assert assistant[0]["tool_calls"][0]["function"]["name"] == "add"
    tool_result = next(m for m in second["messages"] if m["role"] == "tool")
    assert tool_result["content"] == "5"
    assert server.model_requests()[0].headers["authorization"] == f"Bearer {KEY}"

    assert log.samples and log.samples[0].scores and log.samples[0].scores["includes"].value == "C"
    # response.model is recorded per call: the vendor served the second call with another model
    assert [e.output.model for e in model_events(log)] == ["deepseek-v4-pro", "deepseek-v4-flash"]
    assert guard.response_models == {"deepseek-v4-pro": 1, "deepseek-v4-flash": 1}
    # served-model drift: warned once, counted, and the Flash answer priced at Flash's rates
    assert guard.drift == {"deepseek-v4-flash": 1}
    [warning] = [r.getMessage() for r in caplog.records if "served-model drift" in r.getMessage()]
    assert "requested deepseek-v4-pro (deepseek-v4-pro), the vendor answered with deepseek-v4-flash" in warning
    # cache hits read from DeepSeek's own usage fields, priced at the cache-hit rate, peak hours
    usages = [e.output.usage for e in model_events(log)]
    assert [(u.input_tokens, u.input_tokens_cache_read, u.output_tokens) for u in usages if u] == [
        (200, 800, 50),
        (100, 1000, 30),
    ]
    expected = (200 * 1.32 + 800 * 0.044 + 50 * 3.96 + 100 * 0.30 + 1000 * 0.006 + 30 * 1.20) / 1e6
    assert guard.spent == pytest.approx(expected)
    assert KEY not in log.model_dump_json()


def test_deepseek_forced_tool_choice_becomes_auto_while_thinking(server: FakeModelServer) -> None:
    server.play(Reply(chat_completion(tool_calls=[tool_call("add", {"a": 1, "b": 1})])))
    model = build_model(resolve("deepseek-v4-flash", base_url=server.openai_url), fast_policy())
    config = GenerateConfig(**resolve("deepseek-v4-flash").generate, **fast_policy().generate_config())
    asyncio.run(model.generate("add 1 and 1", tools=[add()], tool_choice=ToolFunction("add"), config=config))
    [request] = server.model_requests()
    assert request.body["tool_choice"] == "auto"
    assert request.body["reasoning_effort"] == "max"


def test_deepseek_anthropic_route_round_trips_thinking(server: FakeModelServer, tmp_path: Path) -> None:
    server.play(
        Reply(
            anthropic_message(
                thinking_block("Add them.", "sig-1"),
                tool_use_block("add", {"a": 2, "b": 3}),
                usage=anthropic_usage(900, 40, cache_read=700),
            )
        ),
        Reply(anthropic_message(thinking_block("Submit 5.", "sig-2"), tool_use_block("submit", {"answer": "5"}))),
    )
    guard = RunGuard(price_key="deepseek-v4-pro", plan=None, cost_cap=None)
    log = run_scaffold("deepseek-v4-pro@anthropic", server.anthropic_url, tmp_path, guard)

    first, second = server.model_requests()
    # the Anthropic SDK sends the key as a Bearer token (DeepSeek's own Claude Code setup authenticates so)
    assert first.path == "/v1/messages" and first.headers["authorization"] == f"Bearer {KEY}"
    assert first.body["model"] == "deepseek-v4-pro"
    assert first.body["thinking"]["type"] == "enabled"  # budget_tokens is sent; DeepSeek documents it as ignored
    assert first.body["output_config"] == {"effort": "max"}
    assert first.body["max_tokens"] == 384_000  # the same output limit as the chat route
    assistant = next(m for m in second.body["messages"] if m["role"] == "assistant")
    thinking = next(block for block in assistant["content"] if block["type"] == "thinking")
    assert (thinking["thinking"], thinking["signature"]) == ("Add them.", "sig-1")
    usage = model_events(log)[0].output.usage
    assert usage is not None and (usage.input_tokens, usage.input_tokens_cache_read) == (900, 700)
    assert guard.response_models == {"deepseek-v4-pro": 2}


def test_openai_compatible_self_hosted_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OPENAI_COMPATIBLE_API_KEY", raising=False)
    with FakeModelServer() as server:
        monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", server.openai_url)
        server.play(
            Reply(
                chat_completion(
                    tool_calls=[tool_call("submit", {"answer": "5"})],
                    model="deepseek-ai/DeepSeek-V4-Flash",
                    usage={"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55},
                )
            )
        )
        resolved = resolve("openai-compatible/deepseek-ai/DeepSeek-V4-Flash")
        assert resolved.inspect_model == "openai-api/openai-compatible/deepseek-ai/DeepSeek-V4-Flash"
        log = run_scaffold(resolved.alias, server.openai_url, tmp_path)
        [request] = server.model_requests()
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "deepseek-ai/DeepSeek-V4-Flash"
    assert "reasoning_effort" not in request.body  # the server's own defaults
    assert log.samples and log.samples[0].scores and log.samples[0].scores["includes"].value == "C"


def test_claude_and_gpt_aliases_send_their_vendor_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-fake")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-fake")
    outputs = []
    for alias, reply, effort in (
        ("claude-opus-4-6", anthropic_message(thinking_block("hm"), text_block("hi"), model="claude-opus-4-6"), "max"),
        ("gpt-5.4", openai_response("hi", model="gpt-5.4-2026-03-05", cached=40), "xhigh"),
    ):
        # every request gets the reply, so a probe request would show up as a second request
        with FakeModelServer(responder=lambda request, reply=reply: Reply(reply)) as server:
            resolved = resolve(alias, base_url=server.openai_url if alias.startswith("gpt") else server.anthropic_url)
            assert resolved.generate["reasoning_effort"] == effort
            config = GenerateConfig(**resolved.generate, **fast_policy().generate_config())
            outputs.append(asyncio.run(build_model(resolved, fast_policy()).generate("hi", config=config)))
            [request] = server.model_requests()  # one billed request: no reasoning-summary probe
            assert "hello, world" not in json.dumps(request.body)
            outputs[-1].metadata = {"request": request}
    claude, gpt = outputs
    claude_body = claude.metadata["request"].body
    assert claude_body["thinking"]["type"] == "adaptive" and claude_body["output_config"] == {"effort": "max"}
    assert claude_body["max_tokens"] == 128_000
    assert claude.completion == "hi" and claude.model == "claude-opus-4-6"
    gpt_request = gpt.metadata["request"]
    assert gpt_request.path == "/v1/responses" and gpt_request.body["reasoning"] == {"effort": "xhigh"}
    assert not any(t.get("strict") for t in gpt_request.body.get("tools", []))
    assert gpt.completion == "hi" and gpt.model == "gpt-5.4-2026-03-05"
    assert gpt.usage is not None and gpt.usage.input_tokens_cache_read == 40


def test_usage_cost_of_the_logged_calls_matches_the_price_table(server: FakeModelServer, tmp_path: Path) -> None:
    server.play(
        Reply(
            chat_completion(
                tool_calls=[tool_call("submit", {"answer": "5"})], usage=deepseek_usage(10_000, 2_000, cache_hit=9_000)
            )
        )
    )
    log = run_scaffold("deepseek-flash", server.openai_url, tmp_path)
    [event] = model_events(log)
    usage = event.output.usage
    assert usage is not None and event.output.model == "deepseek-v4-pro"  # the fake's default answer
    rates = quote("deepseek-flash", event.timestamp)
    assert rates is not None and rates.window in ("peak", "off-peak")
    expected = (1_000 * rates.input + 9_000 * (rates.cache_hit or 0) + 2_000 * rates.output) / 1e6
    assert usage_cost("deepseek-flash", usage, event.timestamp) == pytest.approx(expected)
    # the harness model API: the log names the alias, and no model args (nothing run-specific, no key)
    eval_spec = json.loads(log.model_dump_json())["eval"]
    assert eval_spec["model"] == "harness/deepseek-flash" and eval_spec["model_args"] == {}


def test_malformed_tool_call_json_goes_back_to_the_model_not_to_a_retry(
    server: FakeModelServer, tmp_path: Path
) -> None:
    server.play(
        Reply(chat_completion(reasoning_content="call add", tool_calls=[tool_call("add", '{"a": 2, "b": ')])),
        Reply(chat_completion(reasoning_content="retry properly", tool_calls=[tool_call("add", {"a": 2, "b": 3})])),
        Reply(chat_completion(reasoning_content="done", tool_calls=[tool_call("submit", {"answer": "5"})])),
    )
    log = run_scaffold("deepseek-v4-pro", server.openai_url, tmp_path)
    requests = server.model_requests()
    assert len(requests) == 3  # one request per turn: the malformed call was not an API failure
    error_result = next(m for m in requests[1].body["messages"] if m["role"] == "tool")
    assert "error" in error_result["content"].lower() or "pars" in error_result["content"].lower()
    assert all(e.retries in (None, 0) for e in model_events(log))
    assert log.samples and log.samples[0].scores and log.samples[0].scores["includes"].value == "C"
