"""Cost accounting from the price table (`data/prices.toml`): USD per call, per sample, per run, per solved task.

Calls are priced one by one (long-context tiers apply per call) at the price in effect on the call's date under
the selected price plan. Cached input is read from inspect's usage (`input_tokens_cache_read`), which the
provider layer fills from each vendor's own fields (DeepSeek: `prompt_cache_hit_tokens`).
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from inspect_ai.model import ModelUsage
from pydantic import BaseModel, ConfigDict, Field

from harness.errors import HarnessError
from harness.paths import PACKAGE_DATA

PRICES_FILE = PACKAGE_DATA / "prices.toml"
PER = 1_000_000

COST_COLUMNS = ["suite", "task", "epoch", "model_calls", "retries", "input_tokens", "cache_read_tokens",
                "cache_write_tokens", "output_tokens", "reasoning_tokens", "cost_usd", "unpriced_calls",
                "solved", "response_models"]


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


def usage_cost(alias: str, usage: ModelUsage | dict[str, Any], on: date | None = None,
               plan: str | None = None) -> float | None:
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


def _solved(scores: Mapping[str, Any] | None) -> bool | None:
    """Whether the sample's first score passed (the harness verdict's `passed`, else value >= 1)."""
    for score in (scores or {}).values():
        meta = score.metadata or {}
        if meta.get("passed") is not None:
            return bool(meta["passed"])
        try:
            return score.as_float() >= 1.0
        except (TypeError, ValueError):
            return None
    return None


def sample_costs(log_files: Iterable[str | Path], price_keys: Mapping[str, str],
                 price_plans: Mapping[str, str | None] | None = None) -> pd.DataFrame:
    """One row per sample in `log_files`: tokens, USD, retries, `response.model`s seen, and whether it was solved.

    `price_keys` maps inspect model names (e.g. `deepseek/deepseek-v4-pro`) to price keys; calls of other models
    (pseudo-models, self-hosted servers) are counted in `unpriced_calls`, and a sample with any of them has cost
    NaN: unknown, not zero.
    """
    from inspect_ai.event import ModelEvent
    from inspect_ai.log import read_eval_log_samples

    price_plans = price_plans or {}
    rows = []
    for path in log_files:
        suite = _task_suite(path)
        for sample in read_eval_log_samples(str(path), all_samples_required=False):
            tokens: Counter[str] = Counter()
            models: Counter[str] = Counter()
            cost, unpriced, calls, retries = 0.0, 0, 0, 0
            for event in sample.events:
                if not isinstance(event, ModelEvent) or event.output is None:
                    continue
                calls += 1
                retries += event.retries or 0
                if event.output.model:
                    models[event.output.model] += 1
                usage = event.output.usage
                if usage is None:
                    continue
                tokens.update(input=usage.input_tokens, output=usage.output_tokens,
                              cache_read=usage.input_tokens_cache_read or 0,
                              cache_write=usage.input_tokens_cache_write or 0,
                              reasoning=usage.reasoning_tokens or 0)
                key = price_keys.get(event.model)
                call_cost = usage_cost(key, usage, event.timestamp.date(), price_plans.get(key)) if key else None
                if call_cost is None:
                    unpriced += 1
                else:
                    cost += call_cost
            rows.append({
                "suite": suite, "task": str(sample.id), "epoch": sample.epoch, "model_calls": calls,
                "retries": retries, "input_tokens": tokens["input"], "cache_read_tokens": tokens["cache_read"],
                "cache_write_tokens": tokens["cache_write"], "output_tokens": tokens["output"],
                "reasoning_tokens": tokens["reasoning"],
                "cost_usd": cost if unpriced == 0 else float("nan"), "unpriced_calls": unpriced,
                "solved": _solved(sample.scores),
                "response_models": ";".join(f"{name}={count}" for name, count in sorted(models.items())),
            })
    return pd.DataFrame(rows, columns=COST_COLUMNS)


def _task_suite(path: str | Path) -> str:
    from inspect_ai.log import read_eval_log

    header = read_eval_log(str(path), header_only=True)
    return str(header.eval.task_args.get("suite") or header.eval.task)


def response_models(costs: pd.DataFrame) -> dict[str, int]:
    """Calls per `response.model` over all samples (the `name=count;...` cells of `sample_costs`)."""
    seen: Counter[str] = Counter()
    for cell in costs["response_models"].dropna():
        for pair in filter(None, str(cell).split(";")):
            name, _, count = pair.rpartition("=")
            seen[name] += int(count)
    return dict(sorted(seen.items()))


def cost_summary(costs: pd.DataFrame) -> dict[str, Any]:
    """Per run and per suite: samples, USD, USD per sample, solved, USD per solved task (None when unknown)."""

    def block(df: pd.DataFrame) -> dict[str, Any]:
        known = bool(len(df)) and not df["cost_usd"].isna().any()
        total = float(df["cost_usd"].sum()) if known else None
        solved = int(df["solved"].fillna(False).astype(bool).sum())
        return {"samples": len(df), "solved": solved, "cost_usd": total,
                "usd_per_sample": total / len(df) if total is not None and len(df) else None,
                "usd_per_solved": total / solved if total is not None and solved else None,
                "input_tokens": int(df["input_tokens"].sum()), "cache_read_tokens": int(df["cache_read_tokens"].sum()),
                "output_tokens": int(df["output_tokens"].sum())}

    summary = block(costs)
    summary["suites"] = {str(name): block(group) for name, group in costs.groupby("suite", sort=True)}
    return summary
