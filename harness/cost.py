"""Prices from the price table (`data/prices.toml`): plans with validity windows, intraday peak/off-peak windows,
the rates in force at one instant, and USD for one call.

A call is priced at its own UTC timestamp: the entry of the selected plan whose [from, until) holds it (else the
default plan's), then the entry's intraday window (peak or off-peak, by weekday, time of day and the holiday list
of its schedule). Long-context tiers apply per call. Cached input is read from inspect's usage
(`input_tokens_cache_read`), which the provider layer fills from each vendor's own fields (DeepSeek:
`prompt_cache_hit_tokens`). Per-sample, per-run and per-solved-task costs are columns of the results tables.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

from inspect_ai.model import ModelUsage
from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.errors import HarnessError
from harness.paths import PACKAGE_DATA

PRICES_FILE = PACKAGE_DATA / "prices.toml"
PER = 1_000_000
SCHEDULES = "schedules"
"""The reserved top-level table of prices.toml holding intraday schedules (not a price key)."""
PEAK, OFF_PEAK = "peak", "off-peak"


def as_utc(value: date | datetime | str | None) -> datetime | None:
    """A date (midnight UTC), a date-time (naive means UTC) or an ISO string, as an aware UTC date-time."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            value = datetime.fromisoformat(text)
        except ValueError as ex:
            raise HarnessError(f"{value!r}: expected an ISO date or UTC timestamp, e.g. 2026-12-02T08:00:00Z") from ex
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), tzinfo=UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Window(BaseModel):
    """One intraday peak window: ISO weekdays (1 = Monday) and [start, end) in UTC."""

    model_config = ConfigDict(extra="forbid")

    days: list[int]
    start: time
    end: time

    def holds(self, at: datetime) -> bool:
        return at.isoweekday() in self.days and self.start <= at.time() < self.end


class Schedule(BaseModel):
    """Peak windows and the days that are off-peak all day (holidays); off-peak is everything else."""

    model_config = ConfigDict(extra="forbid")

    windows: list[Window]
    holidays: list[date] = []
    holiday_years: list[int] = []
    """Years the holiday list covers; a call in another year gets no holiday (`harness prices` says so)."""
    source: str = ""
    checked: date | None = None

    def window(self, at: datetime) -> str:
        if at.date() in self.holidays:
            return OFF_PEAK
        return PEAK if any(w.holds(at) for w in self.windows) else OFF_PEAK


class Rates(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: float
    output: float
    cache_hit: float | None = None


class Price(BaseModel):
    """USD per 1M tokens for one model under one plan in one validity window."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    plan: str = "standard"
    default: bool = False
    effective: datetime | None = Field(default=None, alias="from")
    until: datetime | None = None
    input: float
    output: float
    cache_hit: float | None = None
    cache_write: float | None = None
    long_context_threshold: int | None = None
    long_context_input: float | None = None
    long_context_output: float | None = None
    schedule: str | None = None
    off_peak: Rates | None = None
    note: str = ""
    source: str = ""
    checked: date | None = None

    @field_validator("effective", "until", mode="before")
    @classmethod
    def _utc(cls, value: Any) -> datetime | None:
        return as_utc(value)

    def covers(self, at: datetime) -> bool:
        return (self.effective is None or self.effective <= at) and (self.until is None or at < self.until)


class Quote(BaseModel):
    """The rates in force for one call: its price entry, plan and intraday window."""

    price: Price
    window: str = ""
    """"peak" or "off-peak" for an entry with a schedule, else ""."""
    input: float
    output: float
    cache_hit: float | None

    @property
    def plan(self) -> str:
        return self.price.plan

    @property
    def label(self) -> str:
        """plan, with the window when there is one (recorded per call)."""
        return f"{self.plan}/{self.window}" if self.window else self.plan


@cache
def _raw() -> dict[str, Any]:
    with PRICES_FILE.open("rb") as f:
        return tomllib.load(f)


@cache
def schedules() -> dict[str, Schedule]:
    return {name: Schedule.model_validate(spec) for name, spec in _raw().get(SCHEDULES, {}).items()}


@cache
def price_table() -> dict[str, list[Price]]:
    """Price key -> entries, validated; a key with several plans marks exactly one default; schedules exist."""
    table: dict[str, list[Price]] = {}
    for key, entries in _raw().items():
        if key == SCHEDULES:
            continue
        prices = [Price.model_validate(p) for p in entries]
        plans = {p.plan for p in prices}
        defaults = {p.plan for p in prices if p.default}
        if len(plans) > 1 and len(defaults) != 1:
            raise HarnessError(f"{PRICES_FILE}: [{key}] has plans {sorted(plans)}; mark exactly one `default = true`")
        for p in prices:
            if p.schedule is not None and p.schedule not in schedules():
                raise HarnessError(f"{PRICES_FILE}: [{key}] schedule {p.schedule!r} is not in [{SCHEDULES}]")
            if (p.schedule is None) != (p.off_peak is None):
                raise HarnessError(f"{PRICES_FILE}: [{key}] `schedule` and `off_peak` go together")
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


def _entry(entries: list[Price], at: datetime) -> Price | None:
    covering = [p for p in entries if p.covers(at)]
    if covering:
        return max(covering, key=lambda p: p.effective or datetime.min.replace(tzinfo=UTC))
    return None


def price_for(key: str, at: date | datetime | None = None, plan: str | None = None) -> Price | None:
    """The price entry in force for price key `key` at `at` (default: now) under `plan` (default: the key's default
    plan; a plan with no entry in force falls back to the default plan's). None when the key has no price."""
    entries = price_table().get(key)
    if not entries:
        return None
    when = as_utc(at) or datetime.now(UTC)
    chosen = check_plan(key, plan)
    found = _entry([p for p in entries if p.plan == chosen], when)
    if found is None and chosen != default_plan(key):
        found = _entry([p for p in entries if p.plan == default_plan(key)], when)
    if found is None:  # before every known entry: the earliest one of the default plan (never a guessed date)
        base = [p for p in entries if p.plan == default_plan(key)]
        found = min(base, key=lambda p: p.effective or datetime.min.replace(tzinfo=UTC))
    return found


def quote(key: str, at: date | datetime | None = None, plan: str | None = None) -> Quote | None:
    """The rates in force for one call at `at`: plan entry, then its peak/off-peak window."""
    price = price_for(key, at, plan)
    if price is None:
        return None
    when = as_utc(at) or datetime.now(UTC)
    if price.schedule is None or price.off_peak is None:
        return Quote(price=price, input=price.input, output=price.output, cache_hit=price.cache_hit)
    window = schedules()[price.schedule].window(when)
    peak = Rates(input=price.input, output=price.output, cache_hit=price.cache_hit)
    rates = price.off_peak if window == OFF_PEAK else peak
    return Quote(price=price, window=window, input=rates.input, output=rates.output, cache_hit=rates.cache_hit)


def usage_cost(
    key: str, usage: ModelUsage | dict[str, Any], at: date | datetime | None = None, plan: str | None = None
) -> float | None:
    """USD for one call's usage at `at`. inspect's `input_tokens` excludes cache reads and writes (billed
    separately)."""
    q = quote(key, at, plan)
    if q is None:
        return None
    price = q.price
    u = usage if isinstance(usage, ModelUsage) else ModelUsage.model_validate(usage)
    cache_read = u.input_tokens_cache_read or 0
    cache_write = u.input_tokens_cache_write or 0
    prompt = u.input_tokens + cache_read + cache_write
    input_rate, output_rate = q.input, q.output
    if price.long_context_threshold and prompt > price.long_context_threshold:
        input_rate = price.long_context_input or input_rate
        output_rate = price.long_context_output or output_rate
    cost = u.input_tokens * input_rate + u.output_tokens * output_rate
    cost += cache_read * (q.cache_hit if q.cache_hit is not None else input_rate)
    cost += cache_write * (price.cache_write if price.cache_write is not None else input_rate)
    return cost / PER


def rates_text(key: str, at: date | datetime | None = None, plan: str | None = None) -> list[str]:
    """`harness prices`: the rates in force for `key` at `at`, with plan, window, source and checked date."""
    q = quote(key, at, plan)
    if q is None:
        return [f"{key}: no price (cost reported as unknown)"]
    when = as_utc(at) or datetime.now(UTC)
    p = q.price
    hit = f"{q.cache_hit:g}" if q.cache_hit is not None else "n/a (billed as input)"
    window = f", {q.window}" if q.window else ""
    lines = [
        f"{key} at {when:%Y-%m-%dT%H:%M:%SZ} ({when:%a}): plan {q.plan}{window}",
        f"  USD per 1M tokens: input {q.input:g}, cache hit {hit}, output {q.output:g}"
        + (f", cache write {p.cache_write:g}" if p.cache_write is not None else ""),
    ]
    if p.long_context_threshold:
        lines.append(
            f"  prompts above {p.long_context_threshold:,} tokens: input {p.long_context_input:g}, "
            f"output {p.long_context_output:g}"
        )
    valid_from = f"{p.effective:%Y-%m-%dT%H:%MZ}" if p.effective else "(not known)"
    valid_until = f"{p.until:%Y-%m-%dT%H:%MZ}" if p.until else "(in force)"
    lines.append(f"  valid from {valid_from} until {valid_until}" + (f"; {p.note}" if p.note else ""))
    lines.append(f"  source: {p.source or '(none)'}; checked {p.checked or '(never)'}")
    if p.schedule:
        s = schedules()[p.schedule]
        lines.append(f"  schedule {p.schedule}: source: {s.source}; checked {s.checked}")
        if s.holiday_years and when.year not in s.holiday_years:
            lines.append(f"  warning: the holiday list covers {', '.join(map(str, s.holiday_years))}, not {when.year}")
    others = [name for name in plans(key) if name != q.plan]
    if others:
        lines.append(f"  other plans: {', '.join(others)} (--price-plan {key}=PLAN)")
    return lines
