"""The model calls of each sample, from the model events of `.eval` logs: usage per call, API retries, the
`response.model` each vendor answered with, and USD.

Calls are priced one by one (long-context tiers apply per prompt) with `harness.cost`, at the price in effect on
the call's day under the plan the run recorded for the call's price key. A call the price table cannot price
falls back to inspect's own `total_cost`; pseudo-models (oracle, noop, scripted on inspect's mockllm) cost
nothing; any other call is unpriced, and the cost of its model in that sample is NaN: unknown, not zero.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from inspect_ai.model import ModelUsage

from harness import cost

PSEUDO_PROVIDERS = ("mockllm/",)
"""Pseudo-models (oracle, noop, scripted) run on inspect's mockllm and cost nothing unless priced."""
UNREAD_FIELDS = {"messages", "store", "attachments"}
"""Sample fields the calls do not need (the model events carry everything), skipped when reading."""


@dataclass(frozen=True)
class Call:
    """One model call of a sample."""

    model: str
    """inspect model name the call went to (provider/model)."""
    usage: ModelUsage | None
    day: date
    retries: int
    """API retries inspect made for the call."""
    response_model: str | None
    """The model the vendor says answered (`response.model`)."""


def read_calls(log: str) -> dict[tuple[str, int], list[Call]]:
    """The model calls of every sample in `log`, by (sample id, epoch)."""
    from inspect_ai.log import read_eval_log_samples

    calls: dict[tuple[str, int], list[Call]] = {}
    for sample in read_eval_log_samples(log, all_samples_required=False, exclude_fields=UNREAD_FIELDS):
        calls[(str(sample.id), sample.epoch)] = [
            Call(
                event.model, event.output.usage, event.timestamp.date(), event.retries or 0, event.output.model or None
            )
            for event in sample.events
            if event.event == "model" and event.output is not None
        ]
    return calls


def usage_cost(
    price_key: str | None, provider_model: str, usages: list[ModelUsage], on: date | None, plan: str | None = None
) -> float:
    """USD for calls of one model on one day: the price table (per call), else inspect's own `total_cost`, else 0
    for pseudo-models, else NaN (unpriced)."""
    if price_key and cost.price_for(price_key, on, plan) is not None:
        return float(sum(cost.usage_cost(price_key, u, on, plan) or 0.0 for u in usages))
    recorded = [u.total_cost for u in usages if u.total_cost is not None]
    if recorded:
        return float(sum(recorded))
    if provider_model.startswith(PSEUDO_PROVIDERS):
        return 0.0
    return math.nan


def call_columns(
    calls: list[Call],
    summary_usage: Mapping[str, ModelUsage],
    agent_model: str,
    agent_price_key: str | None,
    plans: Mapping[str, str | None],
    on: date | None,
) -> dict[str, Any]:
    """A sample's call columns: `model_calls`, `api_retries`, `unpriced_calls`, `response_models`, `cost_usd`
    (the agent model) and `judge_cost_usd` (every other model).

    A model with usage in the sample summary but no model event with usage is priced from the summary on `on`.
    """
    from harness.models import price_keys

    keys = {**price_keys(), agent_model: agent_price_key}
    costs: dict[str, list[float]] = {}
    for model in {c.model for c in calls} | set(summary_usage):
        key = keys.get(model)
        plan = plans.get(key) if key else None
        priced = [(c.usage, c.day) for c in calls if c.model == model and c.usage is not None]
        if not priced and model in summary_usage:
            priced = [(summary_usage[model], on)]
        costs[model] = [usage_cost(key, model, [usage], day, plan) for usage, day in priced]
    answered = Counter(c.response_model for c in calls if c.response_model)
    return {
        "model_calls": len(calls),
        "api_retries": sum(c.retries for c in calls),
        "unpriced_calls": sum(math.isnan(x) for values in costs.values() for x in values),
        "response_models": ";".join(f"{name}={count}" for name, count in sorted(answered.items())),
        "cost_usd": float(sum(costs.get(agent_model, []))),
        "judge_cost_usd": float(sum(sum(values) for model, values in costs.items() if model != agent_model)),
    }


def response_models(samples: pd.DataFrame) -> dict[str, int]:
    """Calls per `response.model` over all samples (the `name=count;...` cells of `response_models`)."""
    seen: Counter[str] = Counter()
    for cell in samples["response_models"].dropna():
        for pair in filter(None, str(cell).split(";")):
            name, _, count = pair.rpartition("=")
            seen[name] += int(count)
    return dict(sorted(seen.items()))
