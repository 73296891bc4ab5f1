"""Cost accounting: the price table, price plans, cache-hit pricing, long-context tiers, DeepSeek usage fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from inspect_ai.model import ModelOutput, ModelUsage

from harness.cost import check_plan, default_plan, plans, price_for, price_table, quote, rates_text, usage_cost
from harness.errors import HarnessError
from harness.models import registry
from harness.provider import normalize_usage

PEAK = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # a Wednesday, 08:00 UTC (16:00 Beijing): peak
OFF_PEAK = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
DISCOUNT_DAYS = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_vendor_price_table_as_of_december_2026() -> None:
    expected = {  # USD per 1M: input, output, cache hit (None: not published), at an instant, under a plan
        ("deepseek-v4-pro", PEAK, None): (1.32, 3.96, 0.044, "list/peak"),
        ("deepseek-v4-pro", OFF_PEAK, None): (0.66, 1.98, 0.022, "list/off-peak"),
        ("deepseek-flash", PEAK, None): (0.30, 1.20, 0.006, "list/peak"),
        ("deepseek-flash", OFF_PEAK, None): (0.15, 0.60, 0.003, "list/off-peak"),
        ("deepseek-v4-pro", DISCOUNT_DAYS, "launch-discount"): (0.435, 0.87, 0.003625, "launch-discount"),
        ("deepseek-v4-pro", DISCOUNT_DAYS, None): (1.74, 3.48, None, "list"),
        ("claude-opus-4-6", PEAK, None): (5.0, 25.0, 0.50, "standard"),
        ("gpt-5.4", PEAK, None): (2.50, 15.0, 0.25, "standard"),
        ("gpt-5.5", PEAK, None): (5.0, 30.0, 0.50, "standard"),
        ("gemini-3.1-pro", PEAK, None): (2.0, 12.0, None, "standard"),
    }
    for (key, at, plan), (input, output, hit, label) in expected.items():
        q = quote(key, at, plan)
        assert q is not None and (q.input, q.output, q.cache_hit, q.label) == (input, output, hit, label), key


def test_every_priced_model_alias_has_a_price_and_every_entry_a_source_and_date() -> None:
    for alias, entry in registry().items():
        if entry["kind"] == "model" and not entry.get("self_hosted"):
            assert entry.get("prices", alias) in price_table(), alias
        if entry["kind"] == "model":
            assert entry.get("source") and entry.get("checked"), alias
    for key, entries in price_table().items():
        assert all(p.source and p.checked for p in entries), key


def test_the_launch_discount_is_no_default_and_ends_in_may() -> None:
    assert plans("deepseek-v4-pro") == ["list", "launch-discount"]
    assert default_plan("deepseek-v4-pro") == "list"
    # asked for after its end, the discount is not applied: the call is priced under the default plan
    late = quote("deepseek-v4-pro", datetime(2026, 6, 1, tzinfo=UTC), plan="launch-discount")
    assert late is not None and late.plan == "list" and late.input == 1.74


def test_peak_windows_weekends_and_holidays() -> None:
    at = lambda text: quote("deepseek-v4-pro", text).window  # noqa: E731
    assert at("2026-12-02T00:59:59Z") == "off-peak" and at("2026-12-02T01:00:00Z") == "peak"
    assert at("2026-12-02T03:59:59Z") == "peak" and at("2026-12-02T04:00:00Z") == "off-peak"
    assert at("2026-12-02T06:00:00Z") == "peak" and at("2026-12-02T10:00:00Z") == "off-peak"
    assert at("2026-12-05T08:00:00Z") == "off-peak"  # Saturday
    assert at("2026-10-01T08:00:00Z") == "off-peak"  # National Day, a Thursday
    assert at("2026-10-09T08:00:00Z") == "peak"  # a Friday after the holiday
    # the peak/off-peak plan starts 2026-08-16 16:00 UTC; before it, one rate all day
    assert quote("deepseek-v4-pro", "2026-08-14T08:00:00Z").window == ""


def test_a_call_is_priced_at_its_own_timestamp() -> None:
    usage = ModelUsage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert usage_cost("deepseek-v4-pro", usage, PEAK) == pytest.approx(1.32 + 3.96)
    assert usage_cost("deepseek-v4-pro", usage, OFF_PEAK) == pytest.approx(0.66 + 1.98)
    assert usage_cost("deepseek-v4-pro", usage, DISCOUNT_DAYS, "launch-discount") == pytest.approx(0.435 + 0.87)


def test_prices_command_text_names_source_and_date() -> None:
    peak, off = rates_text("deepseek-v4-pro", "2026-12-02T08:00:00Z"), rates_text("deepseek-v4-pro", OFF_PEAK)
    assert "plan list, peak" in peak[0] and "input 1.32, cache hit 0.044, output 3.96" in peak[1]
    assert "plan list, off-peak" in off[0] and "input 0.66, cache hit 0.022, output 1.98" in off[1]
    assert any("source: https://api-docs.deepseek.com/quick_start/pricing; checked 2026-12-02" in x for x in peak)
    assert any("holiday list covers 2026, not 2027" in x for x in rates_text("deepseek-v4-pro", "2027-03-01T08:00Z"))


def test_unknown_plan_is_a_one_line_error() -> None:
    with pytest.raises(HarnessError, match="valid for deepseek-v4-pro: list, launch-discount"):
        check_plan("deepseek-v4-pro", "black-friday")


def test_deepseek_cache_hits_are_read_from_its_usage_fields_and_priced() -> None:
    output = ModelOutput.from_content("deepseek-v4-pro", "x")
    output.usage = ModelUsage(input_tokens=1_000_000, output_tokens=200_000, total_tokens=1_200_000)
    normalize_usage(
        output,
        {
            "usage": {
                "prompt_tokens": 1_000_000,
                "completion_tokens": 200_000,
                "prompt_cache_hit_tokens": 900_000,
                "prompt_cache_miss_tokens": 100_000,
            }
        },
    )
    assert output.usage.input_tokens == 100_000 and output.usage.input_tokens_cache_read == 900_000
    # peak: 0.1M miss x 1.32 + 0.9M hit x 0.044 + 0.2M out x 3.96
    assert usage_cost("deepseek-v4-pro", output.usage, PEAK) == pytest.approx(0.132 + 0.0396 + 0.792)
    # the same tokens without cache hits would cost 1.32 + 0.792: caching changes input cost ~8x here
    usage = ModelUsage(input_tokens=1_000_000, output_tokens=200_000)
    assert usage_cost("deepseek-v4-pro", usage, PEAK) == pytest.approx(2.112)


def test_usage_without_deepseek_fields_is_left_alone() -> None:
    output = ModelOutput.from_content("m", "x")
    output.usage = ModelUsage(input_tokens=10, output_tokens=5, input_tokens_cache_read=3)
    normalize_usage(output, {"usage": {"prompt_tokens": 13, "completion_tokens": 5}})
    assert (output.usage.input_tokens, output.usage.input_tokens_cache_read) == (10, 3)


def test_anthropic_cache_reads_and_writes() -> None:
    usage = ModelUsage(
        input_tokens=10_000, output_tokens=1_000, input_tokens_cache_read=50_000, input_tokens_cache_write=20_000
    )
    assert usage_cost("claude-opus-4-6", usage) == pytest.approx(
        (10_000 * 5 + 1_000 * 25 + 50_000 * 0.5 + 20_000 * 6.25) / 1e6
    )


def test_gemini_long_context_tier_applies_per_call() -> None:
    short = ModelUsage(input_tokens=200_000, output_tokens=1_000)
    long = ModelUsage(input_tokens=200_001, output_tokens=1_000)
    assert usage_cost("gemini-3.1-pro", short) == pytest.approx((200_000 * 2 + 1_000 * 12) / 1e6)
    assert usage_cost("gemini-3.1-pro", long) == pytest.approx((200_001 * 4 + 1_000 * 18) / 1e6)


def test_unpriced_models_have_unknown_cost() -> None:
    assert usage_cost("scripted", ModelUsage(input_tokens=1, output_tokens=1)) is None
    assert price_for("openai-compatible/anything") is None
