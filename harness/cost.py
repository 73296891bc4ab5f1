"""Prices from the price table (`data/prices.toml`): price plans, the price in effect on a day, USD for one call.

A call is priced at the price in effect on its date under the selected price plan (long-context tiers apply per
call). Cached input is read from inspect's usage (`input_tokens_cache_read`), which the provider layer fills from
each vendor's own fields (DeepSeek: `prompt_cache_hit_tokens`). Per-sample, per-run and per-solved-task costs
are columns of the results tables (`harness.results`).
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from typing import Any

from inspect_ai.model import ModelUsage
from pydantic import BaseModel, ConfigDict, Field

from harness.errors import HarnessError
from harness.paths import PACKAGE_DATA

PRICES_FILE = PACKAGE_DATA / "prices.toml"
PER = 1_000_000


class Price(BaseModel):
    """USD per 1M tokens for one model under one plan from one date on."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    plan: str = "standard"
    default: bool = False
    effective: date | None = Field(default=None, alias="from")
    input: float
    output: float
    cache_hit: float | None = None
    cache_write: float | None = None
    long_context_threshold: int | None = None
    long_context_input: float | None = None
    long_context_output: float | None = None
    note: str = ""
    source: str = ""


@cache
def price_table() -> dict[str, list[Price]]:
    """Price key -> entries, validated; a key with several plans must mark exactly one default."""
    with PRICES_FILE.open("rb") as f:
        raw: dict[str, list[dict[str, Any]]] = tomllib.load(f)
    table: dict[str, list[Price]] = {}
    for key, entries in raw.items():
        prices = [Price.model_validate(p) for p in entries]
        plans = {p.plan for p in prices}
        defaults = {p.plan for p in prices if p.default}
        if len(plans) > 1 and len(defaults) != 1:
            raise HarnessError(f"{PRICES_FILE}: [{key}] has plans {sorted(plans)}; mark exactly one `default = true`")
        table[key] = prices
    return table


def plans(key: str) -> list[str]:
    """The plan names a price key has, the default first."""
    names = {p.plan for p in price_table().get(key, [])}
    return sorted(names, key=lambda name: (name != default_plan(key), name))


def default_plan(key: str) -> str | None:
    entries = price_table().get(key, [])
    if not entries:
        return None
    return next((p.plan for p in entries if p.default), entries[0].plan)


def check_plan(key: str, plan: str | None) -> str | None:
    """The plan to use for `key`: `plan` when given (validated), else the key's default; None when unpriced."""
    if plan is None:
        return default_plan(key)
    known = plans(key)
    if plan not in known:
        valid = ", ".join(known) if known else "none (this model has no price)"
        raise HarnessError(f"--price-plan {key}={plan}: unknown plan; valid for {key}: {valid}")
    return plan


def price_for(alias: str, on: date | None = None, plan: str | None = None) -> Price | None:
    """The price in effect for `alias` (a price key) on `on` (default: today) under `plan` (default: the key's
    default plan); None when the key has no price."""
    entries = price_table().get(alias)
    if not entries:
        return None
    chosen = check_plan(alias, plan)
    candidates = [p for p in entries if p.plan == chosen]
    on = on or date.today()
    dated = sorted((p for p in candidates if p.effective is not None), key=lambda p: p.effective or on)
    current = [p for p in dated if p.effective is not None and p.effective <= on]
    if current:
        return current[-1]
    undated = [p for p in candidates if p.effective is None]
    return undated[0] if undated else dated[0]


def usage_cost(
    alias: str, usage: ModelUsage | dict[str, Any], on: date | None = None, plan: str | None = None
) -> float | None:
    """USD for one call's usage. inspect's `input_tokens` excludes cache reads and writes (billed separately)."""
    price = price_for(alias, on, plan)
    if price is None:
        return None
    u = usage if isinstance(usage, ModelUsage) else ModelUsage.model_validate(usage)
    cache_read = u.input_tokens_cache_read or 0
    cache_write = u.input_tokens_cache_write or 0
    prompt = u.input_tokens + cache_read + cache_write
    input_rate, output_rate = price.input, price.output
    if price.long_context_threshold and prompt > price.long_context_threshold:
        input_rate = price.long_context_input or input_rate
        output_rate = price.long_context_output or output_rate
    cost = u.input_tokens * input_rate + u.output_tokens * output_rate
    cost += cache_read * (price.cache_hit if price.cache_hit is not None else input_rate)
    cost += cache_write * (price.cache_write if price.cache_write is not None else input_rate)
    return cost / PER
