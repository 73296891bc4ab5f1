"""Cost accounting from the price table (`data/prices.toml`): USD for a model call's token usage."""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from typing import Any

from inspect_ai.model import ModelUsage
from pydantic import BaseModel, ConfigDict, Field

from harness.paths import PACKAGE_DATA

PRICES_FILE = PACKAGE_DATA / "prices.toml"
PER = 1_000_000


class Price(BaseModel):
    """USD per 1M tokens for one model from one date on."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    effective: date = Field(alias="from")
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
    with PRICES_FILE.open("rb") as f:
        raw: dict[str, list[dict[str, Any]]] = tomllib.load(f)
    return {alias: sorted((Price.model_validate(p) for p in entries), key=lambda p: p.effective)
            for alias, entries in raw.items()}


def price_for(alias: str, on: date | None = None) -> Price | None:
    """The price in effect for `alias` on `on` (default: today); None when the alias has no price."""
    entries = price_table().get(alias)
    if not entries:
        return None
    on = on or date.today()
    current = [p for p in entries if p.effective <= on]
    return current[-1] if current else entries[0]


def usage_cost(alias: str, usage: ModelUsage | dict[str, Any], on: date | None = None) -> float | None:
    """USD for one call's usage. inspect's `input_tokens` excludes cache reads and writes (billed separately)."""
    price = price_for(alias, on)
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
