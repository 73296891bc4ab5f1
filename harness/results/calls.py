"""The model calls of each sample, from the model events of `.eval` logs: attempts, retries and logical calls
apart, the `response.model` each vendor answered with, served-model drift, and USD priced per call.

inspect records one model event per attempt; a failed attempt carries `error` and a placeholder output whose
model is the requested name, not an answer. So: `api_attempts` counts every request sent, `model_calls` the
logical calls (a run of failed attempts followed by a success, or ending the sample, is one call),
`api_retries` the difference, and `response_models` only the names of successful answers.

Each successful call is priced at its own UTC timestamp (`harness.cost`): the entry of the plan the run recorded
for its price key, then the entry's peak/off-peak window; the plan and window of every call are recorded
(`price_windows`). A call answered by another model than requested (served-model drift) is priced at the served
model's rates where the price table knows them. A call the table cannot price falls back to inspect's own
`total_cost`; pseudo-models (mockllm) cost nothing; any other call is unpriced, and the cost of its model in that
sample is NaN: unknown, not zero. Failed attempts (429, 5xx, timeouts) are not billed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
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
    """One attempt of a model call of a sample."""

    model: str
    """inspect model name the call went to (provider/model)."""
    usage: ModelUsage | None
    at: datetime | date | None
    """When the request was sent (UTC); prices are looked up at this instant."""
    failed: bool = False
    """The attempt ended in an error (no answer, not billed)."""
    response_model: str | None = None
    """The model the vendor says answered (`response.model`); None for a failed attempt."""


def read_calls(log: str) -> dict[tuple[str, int], list[Call]]:
    """The model call attempts of every sample in `log`, by (sample id, epoch)."""
    from inspect_ai.log import read_eval_log_samples

    calls: dict[tuple[str, int], list[Call]] = {}
    for sample in read_eval_log_samples(log, all_samples_required=False, exclude_fields=UNREAD_FIELDS):
        calls[(str(sample.id), sample.epoch)] = [
            Call(
                event.model,
                None if event.error else event.output.usage,
                event.timestamp,
                failed=bool(event.error),
                response_model=None if event.error else (event.output.model or None),
            )
            for event in sample.events
            if event.event == "model" and event.output is not None
        ]
    return calls


def logical_calls(attempts: list[Call]) -> int:
    """Logical calls among one sample's attempts: each success, plus a run of failures that no success of the
    same model follows (the call failed for good)."""
    total = 0
    failing: set[str] = set()
    for call in attempts:
        if call.failed:
            failing.add(call.model)
        else:
            failing.discard(call.model)
            total += 1
    return total + len(failing)


def usage_cost(
    price_key: str | None,
    provider_model: str,
    usages: list[ModelUsage],
    at: date | datetime | None,
    plan: str | None = None,
) -> float:
    """USD for calls of one model at one instant: the price table (per call), else inspect's own `total_cost`,
    else 0 for pseudo-models, else NaN (unpriced)."""
    if price_key and cost.price_for(price_key, at, plan) is not None:
        return float(sum(cost.usage_cost(price_key, u, at, plan) or 0.0 for u in usages))
    recorded = [u.total_cost for u in usages if u.total_cost is not None]
    if recorded:
        return float(sum(recorded))
    if provider_model.startswith(PSEUDO_PROVIDERS):
        return 0.0
    return math.nan


def _pairs(counts: Counter[str]) -> str:
    return ";".join(f"{name}={count}" for name, count in sorted(counts.items()))


def call_columns(
    calls: list[Call],
    summary_usage: Mapping[str, ModelUsage],
    agent_model: str,
    agent_price_key: str | None,
    plans: Mapping[str, str | None],
    on: date | datetime | None,
    drifted: Callable[[str], bool] | None = None,
) -> dict[str, Any]:
    """A sample's call columns: `model_calls` (logical calls), `api_attempts`, `api_retries`, `unpriced_calls`,
    `response_models`, `served_drift` (answers from another model than the agent's alias requested),
    `price_windows` (plan/window of each priced agent call), `cost_usd` (the agent model) and `judge_cost_usd`
    (every other model).

    A model with usage in the sample summary but no model event with usage is priced from the summary at `on`.
    """
    from harness.models import price_keys, served_price_key

    keys = {**price_keys(), agent_model: agent_price_key}
    if drifted is None or agent_model.startswith(PSEUDO_PROVIDERS):  # a pseudo-model answers as itself
        drifted = lambda name: False  # noqa: E731
    costs: dict[str, list[float]] = {}
    windows: Counter[str] = Counter()
    for model in {c.model for c in calls} | set(summary_usage):
        key = keys.get(model)
        priced = [c for c in calls if c.model == model and c.usage is not None]
        values: list[float] = []
        for c in priced:
            call_key = key
            if model == agent_model and c.response_model and drifted(c.response_model):
                call_key = served_price_key(model, c.response_model) or key
            plan = plans.get(call_key) if call_key else None
            values.append(usage_cost(call_key, model, [c.usage], c.at, plan))  # type: ignore[list-item]
            q = cost.quote(call_key, c.at, plan) if call_key and model == agent_model else None
            if q is not None:
                windows[q.label] += 1
        if not priced and model in summary_usage:
            plan = plans.get(key) if key else None
            values = [usage_cost(key, model, [summary_usage[model]], on, plan)]
        costs[model] = values
    answered = Counter(c.response_model for c in calls if c.response_model and not c.failed)
    drift = Counter(
        c.response_model for c in calls if c.model == agent_model and c.response_model and drifted(c.response_model)
    )
    n_calls = logical_calls(calls)
    return {
        "model_calls": n_calls,
        "api_attempts": len(calls),
        "api_retries": len(calls) - n_calls,
        "unpriced_calls": sum(math.isnan(x) for values in costs.values() for x in values),
        "response_models": _pairs(answered),
        "served_drift": _pairs(drift),
        "price_windows": _pairs(windows),
        "cost_usd": float(sum(costs.get(agent_model, []))),
        "judge_cost_usd": float(sum(sum(values) for model, values in costs.items() if model != agent_model)),
    }


def response_models(samples: pd.DataFrame) -> dict[str, int]:
    """Calls per `response.model` over all samples (the `name=count;...` cells of `response_models`)."""
    return _counts(samples, "response_models")


def served_drift(samples: pd.DataFrame) -> dict[str, int]:
    """Agent calls answered by another model than requested, per served name, over all samples."""
    return _counts(samples, "served_drift") if "served_drift" in samples else {}


def drift_by_measurement(samples: pd.DataFrame) -> dict[tuple[str, str, str], dict[str, int]]:
    """(suite, model alias, agent) -> {served name: calls} for every measurement with served-model drift."""
    from harness.results.tables import MEASUREMENT

    if samples.empty or "served_drift" not in samples:
        return {}
    out = {}
    for key, g in samples.groupby(MEASUREMENT, sort=True):
        found = served_drift(g)
        if found:
            out[(str(key[0]), str(key[1]), str(key[2]))] = found
    return out


def drift_text(found: dict[str, int]) -> str:
    return ", ".join(f"{name} ({count} call{'s' if count != 1 else ''})" for name, count in found.items())


def _counts(samples: pd.DataFrame, column: str) -> dict[str, int]:
    seen: Counter[str] = Counter()
    for cell in samples[column].dropna():
        for pair in filter(None, str(cell).split(";")):
            name, _, count = pair.rpartition("=")
            seen[name] += int(count)
    return dict(sorted(seen.items()))
