"""The model registry: aliases, routes, retired names, credentials, and the `harness models` listing."""

from __future__ import annotations

import pytest

from harness.cli import main
from harness.errors import HarnessError
from harness.models import check_credentials, known_aliases, registry, resolve


def test_every_alias_resolves_to_a_pinned_provider_model() -> None:
    for alias in known_aliases():
        if alias.endswith("/<model>") or alias == "scripted":
            continue
        model = resolve(alias)
        if model.needs_api:
            provider, _, model_id = model.inspect_model.partition("/")
            hosted = ("deepseek", "anthropic", "openai", "google")
            assert (provider in hosted or model.self_hosted) and model_id == model.inspect_model.split("/", 1)[1]
            assert "latest" not in model_id and "chat" not in model_id
            assert model.source and model.checked, alias


def test_vendor_model_ids_as_documented_in_december_2026() -> None:
    ids = {alias: resolve(alias).model_id for alias in known_aliases() if "/" not in alias and alias != "scripted"}
    assert ids["gemini-3.1-pro"] == "gemini-3.1-pro-preview"  # Google lists no gemini-3.1-pro
    assert ids["gemini-3.1-pro-customtools"] == "gemini-3.1-pro-preview-customtools"
    assert ids["deepseek-flash"] == "deepseek-flash" and ids["deepseek-v4-pro"] == "deepseek-v4-pro"
    assert ids["deepseek-v4-flash"] == "deepseek-v4-flash"  # still accepted; served by V4.1-Flash (drift)
    assert resolve("deepseek-v4-flash").price_key == "deepseek-flash"  # billed as Flash
    # one output limit per family, the same on every route; explicit maximum thinking for Gemini
    for alias in ("deepseek-v4-pro", "deepseek-v4-pro@anthropic", "deepseek-flash", "deepseek-flash@anthropic"):
        assert resolve(alias).generate["max_tokens"] == 384_000, alias
    assert resolve("gemini-3.1-pro").generate == {"reasoning_effort": "high", "max_tokens": 65_536}
    assert resolve("gpt-5.5").generate["reasoning_summary"] == "none"  # no unaccounted probe request


def test_served_model_drift_is_any_other_answer_than_the_requested_model() -> None:
    flash = resolve("deepseek-v4-flash")
    assert not flash.drifted("deepseek-v4-flash") and flash.drifted("deepseek-flash")
    assert not resolve("gpt-5.4").drifted("gpt-5.4-2026-03-05")  # a dated snapshot of the same id
    assert resolve("gpt-5.4").drifted("gpt-5.5")
    assert not resolve("gemini-3.1-pro").drifted("models/gemini-3.1-pro-preview")


def test_self_hosted_deepseek_aliases_need_a_server_and_have_no_price(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_COMPATIBLE_BASE_URL", raising=False)
    model = resolve("deepseek-v4-flash@vllm")
    assert model.inspect_model == "openai-api/openai-compatible/deepseek-v4-flash" and model.price_key is None
    assert model.generate["temperature"] == 1.0 and model.generate["top_p"] == 1.0
    assert model.generate["extra_body"] == {"chat_template_kwargs": {"thinking": True, "reasoning_effort": "max"}}
    with pytest.raises(HarnessError, match=r"set OPENAI_COMPATIBLE_BASE_URL"):
        check_credentials(model)
    check_credentials(resolve("deepseek-v4-pro@vllm", base_url="http://localhost:8000/v1"))


def test_deepseek_anthropic_route_uses_the_deepseek_key_and_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEEPSEEK_ANTHROPIC_BASE_URL", raising=False)
    model = resolve("deepseek-v4-pro@anthropic")
    assert model.inspect_model == "anthropic/deepseek-v4-pro"
    assert model.api_key_env == "DEEPSEEK_API_KEY" and model.base_url == "https://api.deepseek.com/anthropic"
    assert model.price_key == "deepseek-v4-pro"
    monkeypatch.setenv("DEEPSEEK_ANTHROPIC_BASE_URL", "http://proxy.local/anthropic")
    assert resolve("deepseek-v4-pro@anthropic").base_url == "http://proxy.local/anthropic"
    assert resolve("deepseek-v4-pro@anthropic", base_url="http://cli.local").base_url == "http://cli.local"


def test_openai_compatible_needs_a_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_COMPATIBLE_BASE_URL", raising=False)
    model = resolve("openai-compatible/deepseek-ai/DeepSeek-V4-Flash")
    assert model.inspect_model == "openai-api/openai-compatible/deepseek-ai/DeepSeek-V4-Flash"
    with pytest.raises(HarnessError, match=r"set OPENAI_COMPATIBLE_BASE_URL .* or pass --base-url"):
        check_credentials(model)
    check_credentials(resolve(model.alias, base_url="http://localhost:8000/v1"))  # no key needed


@pytest.mark.parametrize("retired", ["deepseek-chat", "deepseek-reasoner"])
def test_retired_names_are_refused_with_their_replacements(retired: str) -> None:
    with pytest.raises(HarnessError) as raised:
        resolve(retired)
    message = str(raised.value)
    assert f"model {retired} was retired" in message
    assert "deepseek-v4-pro" in message and "deepseek-flash" in message


def test_unknown_alias_lists_the_known_ones() -> None:
    with pytest.raises(HarnessError) as raised:
        resolve("gpt-4o")
    message = str(raised.value)
    assert "unknown model 'gpt-4o'; valid: " in message
    assert "deepseek-v4-pro@anthropic" in message and "openai-compatible/<model>" in message
    assert "deepseek-chat" not in message


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEEPSEEK_API_KEY", raising=False)
    with pytest.raises(HarnessError, match="model deepseek-v4-pro@anthropic: set DEEPSEEK_API_KEY"):
        check_credentials(resolve("deepseek-v4-pro@anthropic"))


def test_models_lists_every_alias_with_provider_prices_and_key_status(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", "x")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["models"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[2:]}
    for alias, entry in registry().items():
        name = f"{alias}/<model>" if entry["kind"] == "pattern" else alias
        assert name in lines, name
    assert "deepseek/deepseek-v4-pro" in lines["deepseek-v4-pro"]
    assert "peak; also launch-discount]" in lines["deepseek-v4-pro"]  # the rates in force now
    assert "https://api-docs.deepseek.com/quick_start/pricing (2026-12-02)" in lines["deepseek-v4-pro"]
    assert "google/gemini-3.1-pro-preview" in lines["gemini-3.1-pro"]
    assert "DEEPSEEK_API_KEY set" in lines["deepseek-v4-pro@anthropic"]
    assert "OPENAI_API_KEY NOT SET" in lines["gpt-5.5"] and "5 / 0.5 / 30" in lines["gpt-5.5"]
    assert "(>200K: 4 / 18)" in lines["gemini-3.1-pro"]
    assert "use deepseek-flash or deepseek-v4-pro" in lines["deepseek-chat"]


def test_missing_provider_package_is_named_before_any_work(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness import models

    monkeypatch.setenv("GOOGLE_API_KEY", "x")
    check_credentials(resolve("gemini-3.1-pro"))  # google-genai is a dependency: installed
    monkeypatch.setattr(models, "_importable", lambda module: module != "google.genai")
    with pytest.raises(HarnessError, match=r"gemini-3.1-pro: its provider needs the google-genai package"):
        check_credentials(resolve("gemini-3.1-pro"))


def test_provider_of_a_self_hosted_model_with_a_slash_in_its_name() -> None:
    model = resolve("openai-compatible/deepseek-ai/DeepSeek-V4-Flash", base_url="http://localhost:8000/v1")
    assert model.provider == "openai-api/openai-compatible"
    assert resolve("deepseek-v4-pro@anthropic").provider == "anthropic"
    assert resolve("oracle").provider == "pseudo"
