"""Per API format (OpenAI chat, Anthropic Messages, OpenAI Responses), against the fake vendor server with the real
SDK clients through `harness/<alias>`: the real model id is sent, a model-not-found answer stops the run in one
line naming the id (no retry), an answer from another model is warned about once, and DeepSeek calls are priced
at their own time (peak vs off-peak)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from fakes import FakeModelServer, Reply, anthropic_message, chat_completion, openai_response, text_block
from fakes.policy import fast_policy
from fakes.server import Error
from inspect_ai.model import GenerateConfig

from harness.guard import RunGuard
from harness.models import resolve
from harness.provider import build_model

PEAK = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # Wednesday 08:00 UTC
OFF_PEAK = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)

FORMATS = {  # alias -> (dialect, the vendor's model id, a reply naming `model`)
    "deepseek-v4-pro": ("openai", "deepseek-v4-pro", lambda model: chat_completion(content="hi", model=model)),
    "deepseek-v4-pro@anthropic": (
        "anthropic",
        "deepseek-v4-pro",
        lambda model: anthropic_message(text_block("hi"), model=model),
    ),
    "claude-opus-4-6": ("anthropic", "claude-opus-4-6", lambda model: anthropic_message(text_block("hi"), model=model)),
    "gpt-5.5": ("responses", "gpt-5.5", lambda model: openai_response("hi", model=model)),
}


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in ("DEEPSEEK_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.setenv(env, "sk-fake")


def call(alias: str, server: FakeModelServer, guard: RunGuard) -> Any:
    dialect = FORMATS[alias][0]
    resolved = resolve(alias, base_url=server.anthropic_url if dialect == "anthropic" else server.openai_url)
    guard.model = resolved
    config = GenerateConfig(**resolved.generate, **fast_policy().generate_config())
    return asyncio.run(build_model(resolved, fast_policy(), guard).generate("hi", config=config))


def new_guard(alias: str, at: datetime = PEAK) -> RunGuard:
    return RunGuard(price_key=resolve(alias).price_key, plan=None, cost_cap=None, clock=lambda: at)


@pytest.mark.parametrize("alias", list(FORMATS))
def test_model_not_found_stops_the_run_naming_the_model_id(alias: str) -> None:
    _, model_id, _ = FORMATS[alias]
    guard = new_guard(alias)
    with FakeModelServer(responder=lambda r: Error(404, f"The model `{model_id}` does not exist")) as server:
        with pytest.raises(Exception):  # noqa: B017 - the SDK's own NotFoundError
            call(alias, server, guard)
        requests = server.model_requests()
    assert len(requests) == 1 and requests[0].body["model"] == model_id  # the real id; not retried
    assert guard.stopped_by == "api" and guard.stop_reason is not None
    assert guard.stop_reason.startswith(f"the API has no model {model_id} (404 model not found)")


@pytest.mark.parametrize("alias", list(FORMATS))
def test_an_answer_from_another_model_is_warned_once(alias: str, caplog: pytest.LogCaptureFixture) -> None:
    _, model_id, reply = FORMATS[alias]
    guard = new_guard(alias)
    server = FakeModelServer(responder=lambda r: Reply(reply("someone-else-1")))
    with server, caplog.at_level(logging.WARNING, logger="harness.guard"):
        call(alias, server, guard)
        call(alias, server, guard)
    assert guard.drift == {"someone-else-1": 2} and guard.response_models == {"someone-else-1": 2}
    warnings = [r.getMessage() for r in caplog.records if "served-model drift" in r.getMessage()]
    assert len(warnings) == 1 and f"requested {model_id} ({alias})" in warnings[0]


@pytest.mark.parametrize("alias", ["deepseek-v4-pro", "deepseek-v4-pro@anthropic"])
def test_deepseek_calls_are_priced_at_their_own_time(alias: str) -> None:
    _, model_id, reply = FORMATS[alias]
    spent = {}
    for name, at in (("peak", PEAK), ("off-peak", OFF_PEAK)):
        guard = new_guard(alias, at)
        with FakeModelServer(responder=lambda r: Reply(reply(model_id))) as server:
            output = call(alias, server, guard)
        assert guard.drift == {} and output.usage is not None
        spent[name] = guard.spent
    assert spent["peak"] > 0 and spent["off-peak"] == pytest.approx(spent["peak"] / 2)  # off-peak is half
