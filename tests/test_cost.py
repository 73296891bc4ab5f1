"""Cost accounting: the price table, price plans, cache-hit pricing, long-context tiers, DeepSeek usage fields."""

from __future__ import annotations

from datetime import date

import pytest
from inspect_ai.model import ModelOutput, ModelUsage

from harness.cost import check_plan, default_plan, plans, price_for, price_table, usage_cost
from harness.errors import HarnessError
from harness.models import registry
from harness.provider import normalize_usage


def test_issue_price_table() -> None:
    expected = {  # USD per 1M: input, output, cache hit (None: not published)
        ("deepseek-v4-flash", None): (0.14, 0.28, 0.0028),
        ("deepseek-v4-pro", "launch-discount"): (0.435, 0.87, 0.003625),
        ("deepseek-v4-pro", "full"): (1.74, 3.48, None),
        ("claude-opus-4-6", None): (5.0, 25.0, 0.50),
        ("gpt-5.4", None): (2.50, 15.0, 0.25),
        ("gpt-5.5", None): (5.0, 30.0, 0.50),
        ("gemini-3.1-pro", None): (2.0, 12.0, None),
    }
    for (key, plan), (input, output, hit) in expected.items():
        price = price_for(key, plan=plan)
        assert price is not None and (price.input, price.output, price.cache_hit) == (input, output, hit), key


def test_every_priced_model_alias_has_a_price() -> None:
    for alias, entry in registry().items():
        if entry["kind"] == "model":
            assert entry.get("prices", alias) in price_table(), alias


def test_deepseek_pro_plans_have_no_invented_dates() -> None:
    assert plans("deepseek-v4-pro") == ["launch-discount", "full"]
    assert default_plan("deepseek-v4-pro") == "launch-discount"
    full = price_for("deepseek-v4-pro", plan="full")
    assert full is not None and full.effective is None
    # no date switches plans: far in the future the default is still the launch discount, by selection only
    far = price_for("deepseek-v4-pro", on=date(2030, 1, 1))
    assert far is not None and far.plan == "launch-discount"


def test_unknown_plan_is_a_one_line_error() -> None:
    with pytest.raises(HarnessError, match="valid for deepseek-v4-pro: launch-discount, full"):
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
    # 0.1M miss x 0.435 + 0.9M hit x 0.003625 + 0.2M out x 0.87
    assert usage_cost("deepseek-v4-pro", output.usage) == pytest.approx(0.0435 + 0.0032625 + 0.174)
    # the same tokens without cache hits would cost 0.435 + 0.174: caching changes input cost ~120x here
    assert usage_cost("deepseek-v4-pro", ModelUsage(input_tokens=1_000_000, output_tokens=200_000)) == pytest.approx(
        0.609
    )


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
