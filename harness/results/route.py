"""`harness route`: which requests can go to which model, and at what cost and score.

Input: per-attempt results of several models on the same requests, a request being (suite, task, epoch); a
request some model lacks is left out (and counted). Errors count as failures. A model under an agent other than
the fixed scaffold is a candidate of its own, `model [agent]` (agents are never pooled). Output:
- `cheapest`: per request, the cheapest model whose attempt passed (none when no model passed);
- `policies`: score, cost and share of requests answered by each model for
  - each single model (always send to that model);
  - the oracle router (knows the outcomes; sends each request to its cheapest solver, and unsolvable ones to
    the cheapest model): an upper bound no real router reaches;
  - cascades: try models in increasing cost order and escalate while the suite's success signal
    (`data/routing.toml`) says the attempt failed; the answer is the first attempt the signal accepts, or the
    last model's. A cascade pays for every attempt it made. Every increasing-cost subsequence of two or more
    models is a cascade.
"""

from __future__ import annotations

import itertools
import json
import math
import tomllib
from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from harness.errors import HarnessError
from harness.paths import PACKAGE_DATA
from harness.results.compare import PAIR_KEY, outcome
from harness.results.tables import measurement_label

ROUTING_FILE = PACKAGE_DATA / "routing.toml"
SIGNALS = ("clean_finish", "verifier", "score_metadata:")


@cache
def default_signals() -> dict[str, str]:
    with ROUTING_FILE.open("rb") as f:
        return dict(tomllib.load(f).get("signals", {}))


def check_signal(signal: str) -> str:
    if signal in ("clean_finish", "verifier") or (signal.startswith("score_metadata:") and len(signal) > 15):
        return signal
    raise HarnessError(f"unknown routing signal {signal!r}; valid: clean_finish, verifier, score_metadata:<key>")


def parse_signals(items: list[str]) -> dict[str, str]:
    """`--signal SUITE=SIGNAL` options -> {suite: signal}; an unknown suite or signal is an error."""
    from harness.suite import suite_names

    signals = {}
    for item in items:
        suite, sep, signal = item.partition("=")
        if not sep:
            raise HarnessError(f"--signal {item}: expected SUITE=SIGNAL (e.g. terminal_bench=verifier)")
        if suite not in suite_names():
            raise HarnessError(f"--signal {item}: unknown suite {suite!r}; valid: {', '.join(sorted(suite_names()))}")
        signals[suite] = check_signal(signal)
    return signals


def signal_warnings(df: pd.DataFrame, signals: dict[str, str]) -> list[str]:
    """Why a chosen signal changes nothing: its suite has no results, or no row of it has the metadata key (so
    every attempt falls back to clean_finish)."""
    out = []
    for suite, signal in signals.items():
        rows = df[df["suite"] == suite]
        if rows.empty:
            out.append(f"--signal {suite}={signal}: no results of suite {suite}; the signal is unused")
            continue
        if not signal.startswith("score_metadata:"):
            continue
        key = signal.split(":", 1)[1]
        metas = _metadata(rows)
        if not any(key in m for m in metas):
            found = sorted({k for m in metas for k in m})
            out.append(
                f"--signal {suite}={signal}: no {suite} attempt records score metadata key {key!r}, so every "
                f"attempt uses clean_finish; keys present: {', '.join(found) or '(none)'}"
            )
    return out


def _clean_finish(df: pd.DataFrame) -> pd.Series:
    return ~df["errored"].astype(bool) & df["limit"].isna()


def _metadata(df: pd.DataFrame) -> list[dict]:
    """Each attempt's score metadata ({} where it has none)."""
    metas = [json.loads(text) if isinstance(text, str) and text else {} for text in df["score_metadata"]]
    return [meta if isinstance(meta, dict) else {} for meta in metas]


def signal_values(df: pd.DataFrame, signal: str) -> tuple[pd.Series, int]:
    """The success signal per attempt, and how many rows fell back to clean_finish (missing metadata key)."""
    clean = _clean_finish(df)
    if signal == "clean_finish":
        return clean, 0
    if signal == "verifier":
        return outcome(df) >= 1.0, 0
    key = signal.split(":", 1)[1]
    values, fallbacks = [], 0
    for meta, fallback, errored in zip(_metadata(df), clean, df["errored"], strict=True):
        if key in meta and meta[key] is not None and not errored:
            values.append(bool(meta[key]))
        else:
            values.append(bool(fallback))
            fallbacks += 1
    return pd.Series(values, index=df.index), fallbacks


@dataclass
class Routing:
    """The routing analysis of one set of results."""

    models: list[str]
    """Cheapest first (mean cost per request)."""
    requests: int
    dropped: int
    cheapest: pd.DataFrame
    policies: pd.DataFrame
    signals: dict[str, str]
    fallbacks: dict[str, int] = field(default_factory=dict)


def _grid(df: pd.DataFrame, signals: dict[str, str]) -> tuple[pd.DataFrame, int, dict[str, int]]:
    """One row per request, with outcome, cost and signal columns per model."""
    df = df.sort_values("started_at", kind="stable", na_position="first")
    df = df.drop_duplicates([*PAIR_KEY, "model"], keep="last")  # the same model run twice: latest attempt wins
    parts, fallbacks = [], {}
    for suite, g in df.groupby("suite", sort=True):
        signal = check_signal(signals.get(str(suite), "clean_finish"))
        sig, fell_back = signal_values(g, signal)
        fallbacks[str(suite)] = fell_back
        parts.append(g.assign(outcome=outcome(g), signal=sig))
    long = pd.concat(parts)
    if long["cost_usd"].isna().any():
        unpriced = sorted(long.loc[long["cost_usd"].isna(), "model"].unique())
        raise HarnessError(f"no price for {', '.join(unpriced)}: add it to harness/data/prices.toml to route")
    wide = long.set_index([*PAIR_KEY, "model"])[["outcome", "cost_usd", "signal"]].unstack("model")
    total = len(wide)
    wide = wide.dropna()
    return wide, total - len(wide), fallbacks


def route(df: pd.DataFrame, signals: dict[str, str] | None = None) -> Routing:
    """Routing tables for every model (under each agent) in `df` over the requests all of them attempted."""
    if df.empty:
        raise HarnessError("no results to route")
    df = df.assign(model=[measurement_label(m, a) for m, a in zip(df["model"], df["agent_name"], strict=True)])
    chosen = {**default_signals(), **(signals or {})}
    models = sorted(df["model"].unique())
    if len(models) < 2:
        raise HarnessError(f"routing needs results of two or more models on the same tasks; got {models}")
    wide, dropped, fallbacks = _grid(df, chosen)
    if wide.empty:
        raise HarnessError(f"models {', '.join(models)} share no (suite, task, epoch)")
    cost, score, signal = wide["cost_usd"], wide["outcome"], wide["signal"].astype(bool)
    order = sorted(models, key=lambda m: (cost[m].mean(), m))
    n = len(wide)

    def policy(name: str, kind: str, answered: pd.Series, paid: pd.Series) -> dict[str, object]:
        got = pd.Series([score.at[i, m] for i, m in answered.items()], index=answered.index)
        row: dict[str, object] = {
            "policy": name,
            "kind": kind,
            "score": float(got.mean()),
            "cost_usd": float(paid.sum()),
            "cost_per_request": float(paid.mean()),
        }
        row.update({f"share {m}": float((answered == m).mean()) for m in order})
        return row

    rows = [policy(m, "single", pd.Series(m, index=wide.index), cost[m]) for m in order]

    solvers = score[order].ge(1.0)
    best = solvers.idxmax(axis=1).where(solvers.any(axis=1), order[0])  # columns are cheapest-first
    oracle_cost = pd.Series([cost.at[i, m] for i, m in best.items()], index=best.index)
    rows.append(policy("oracle router", "oracle (upper bound)", best, oracle_cost))

    for size in range(2, len(order) + 1):
        for chain in itertools.combinations(order, size):
            answered = pd.Series(chain[-1], index=wide.index)
            paid = pd.Series(0.0, index=wide.index)
            pending = pd.Series(True, index=wide.index)
            for m in chain:
                paid = paid + cost[m].where(pending, 0.0)
                accept = pending & signal[m]
                answered = answered.where(~accept, m)
                pending = pending & ~signal[m]
            rows.append(policy(" -> ".join(chain), "cascade", answered, paid))

    cheapest = pd.DataFrame(
        {
            "cheapest solver": best.where(solvers.any(axis=1), None),
            "cost_usd": oracle_cost.where(solvers.any(axis=1), math.nan),
            "solved by": [", ".join(m for m in order if solvers.at[i, m]) or "-" for i in wide.index],
        },
        index=wide.index,
    ).reset_index()
    return Routing(order, n, dropped, cheapest, pd.DataFrame(rows), chosen, fallbacks)


def format_routing(r: Routing) -> str:
    """All routing tables as Markdown."""
    from harness.results.report import usd

    used = {s: r.signals.get(s, "clean_finish") for s in sorted(r.cheapest["suite"].unique())}
    lines = [
        "## Cheapest model that solves each request",
        "",
        r.cheapest.assign(
            cost_usd=r.cheapest["cost_usd"].map(usd), **{"cheapest solver": r.cheapest["cheapest solver"].fillna("-")}
        ).to_markdown(index=False, disable_numparse=True),
        "",
        "## Policies",
        "",
        f"{r.requests} requests (suite, task, epoch) attempted by all of {', '.join(r.models)} "
        f"(models cheapest first)" + (f"; {r.dropped} left out because a model lacks them" if r.dropped else ""),
        "Cascade signals: " + ", ".join(f"{s} = {v}" for s, v in used.items()),
        "",
    ]
    for suite, count in r.fallbacks.items():
        if count and used.get(suite, "").startswith("score_metadata:"):
            lines.append(f"({suite}: {count} attempt(s) lacked the metadata key and used clean_finish)")
    view = r.policies.copy()
    view["score %"] = view.pop("score").map(lambda x: f"{100 * x:.1f}")
    view["cost_usd"] = view["cost_usd"].map(usd)
    view["cost_per_request"] = view["cost_per_request"].map(usd)
    for column in [c for c in view.columns if c.startswith("share ")]:
        view[column] = view[column].map(lambda x: f"{100 * x:.0f}%")
    ordered = [
        "policy",
        "kind",
        "score %",
        "cost_usd",
        "cost_per_request",
        *[c for c in view.columns if c.startswith("share ")],
    ]
    lines += [view[ordered].to_markdown(index=False, disable_numparse=True), ""]
    return "\n".join(lines)
