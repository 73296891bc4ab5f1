"""`harness claims`: published scores (`data/claims.toml`) next to what the harness measured.

For each measurement (suite, model, agent) with a claim: the claim, the agent the measurement used, the measurement
(errors counted as failures) with its 95% CI, the gap in points, and a verdict:
- `consistent`: the claim lies inside the CI;
- `measured lower (significant)` / `measured higher (significant)`: the whole CI lies below / above it.
With one attempt per task the CI is Wilson's, which is the inversion of the score test, so the verdict is
exactly a two-sided score test of "the true rate equals the claim" at 5%.
`tasks for gap` says how many tasks (one attempt each) a two-sided 5% test with 80% power needs to tell the
claim from a rate that many points away: for the observed gap, and for a fixed `--gap`.

Refused (`refused`), with the reason and the fix: a measurement another model answered (served-model drift; allowed
with `--allow-served-drift`), and a pooled one: rows from more than one scaffold hash, i.e. several versions or
configurations of its agent (or of the fixed scaffold) that are not one measurement. Different agents are different
measurements, one row each, never pooled.
"""

from __future__ import annotations

import math
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from harness.errors import HarnessError, read_text
from harness.paths import PACKAGE_DATA
from harness.results.stats import Interval, score_interval, tasks_needed
from harness.results.tables import MEASUREMENT, measurement_label, with_agent

CLAIMS_FILE = PACKAGE_DATA / "claims.toml"
CONSISTENT = "consistent"
LOWER = "measured lower (significant)"
HIGHER = "measured higher (significant)"


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    published: date | None = None
    where: str = ""
    note: str = ""


class Benchmark(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    suite: str | None = None
    tasks: int | None = None
    metric: str = ""


class Claim(BaseModel):
    model_config = ConfigDict(extra="forbid")
    benchmark: str
    model: str
    value: float
    """Percent, as published."""
    source: str
    config: str | None = None
    measured_by: list[str] = []
    """Harness aliases whose runs measure the claimed model (default: `model`). E.g. the V4-Flash claims:
    DeepSeek's API now serves V4.1-Flash under every Flash name, so only the open weights measure V4-Flash."""

    @property
    def aliases(self) -> list[str]:
        return self.measured_by or [self.model]


class Registry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sources: dict[str, Source]
    benchmarks: dict[str, Benchmark]
    claims: list[Claim]


def load_registry(path: Path = CLAIMS_FILE) -> Registry:
    """Parse and cross-check the claims file; errors name the file and the field."""
    text = read_text(path, "--claims")
    try:
        registry = Registry.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as ex:
        raise HarnessError(f"{path}: not valid TOML ({ex})") from ex
    except ValidationError as ex:
        err = ex.errors()[0]
        raise HarnessError(f"{path}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from ex
    for i, claim in enumerate(registry.claims):
        if claim.benchmark not in registry.benchmarks:
            raise HarnessError(f"{path}: claims[{i}].benchmark {claim.benchmark!r} is not in [benchmarks]")
        if claim.source not in registry.sources:
            raise HarnessError(f"{path}: claims[{i}].source {claim.source!r} is not in [sources]")
        if not 0 <= claim.value <= 100:
            raise HarnessError(f"{path}: claims[{i}].value {claim.value} is not a percentage")
    return registry


def verdict(interval: Interval, claimed: float) -> str:
    """Where the claim (a fraction) sits relative to the measured interval."""
    if interval.high < claimed:
        return LOWER
    if interval.low > claimed:
        return HIGHER
    return CONSISTENT


Measurement = tuple[str, str, str]
"""(suite, model alias, agent)."""


def _measured(df: pd.DataFrame) -> dict[Measurement, tuple[Interval, int]]:
    out = {}
    for (suite, model, agent), g in df.groupby(MEASUREMENT, sort=True):
        scores = g["score"].where(~g["errored"], 0.0).fillna(0.0)
        by_task = [list(v) for _, v in scores.groupby(g["task"], sort=True)]
        out[(suite, model, agent)] = (score_interval(by_task), g["task"].nunique())
    return out


def pooled(df: pd.DataFrame) -> dict[Measurement, list[str]]:
    """Measurements whose rows come from more than one scaffold hash (agent versions or configurations): their
    hashes."""
    out = {}
    for key, g in df.groupby(MEASUREMENT, sort=True):
        hashes = sorted(set(g["scaffold_hash"].dropna().astype(str))) if "scaffold_hash" in g else []
        if len(hashes) > 1:
            out[(str(key[0]), str(key[1]), str(key[2]))] = hashes
    return out


def _claimed(registry: Registry, measured: dict[Measurement, Any]) -> list[tuple[Claim, Measurement]]:
    """Each claim with each measurement of one of its aliases."""
    out = []
    for claim in registry.claims:
        suite = registry.benchmarks[claim.benchmark].suite
        for alias in claim.aliases:
            out += [(claim, key) for key in measured if key[:2] == (suite, alias)]
    return out


def refused(df: pd.DataFrame, registry: Registry | None = None, allow_served_drift: bool = False) -> list[str]:
    """One line per measurement a claim would be set against that is not a measurement of the claimed model under
    one agent configuration: served-model drift (unless allowed) and pooled scaffolds."""
    from harness.results.calls import drift_by_measurement, drift_text

    registry = registry or load_registry()
    df = with_agent(df)
    drift, mixed = drift_by_measurement(df), pooled(df)
    lines = []
    for claim, key in _claimed(registry, _measured(df)):
        what = f"refused: {key[0]} / {measurement_label(key[1], key[2])} against the claim for {claim.model}"
        if key in mixed:
            lines.append(
                f"{what}: its rows come from {len(mixed[key])} scaffold hashes ({', '.join(mixed[key])}: versions "
                f"or configurations of agent {key[2]}), not one measurement; pass the runs of one of them"
            )
        if key in drift and not allow_served_drift:
            lines.append(
                f"{what}: the vendor answered with {drift_text(drift[key])}, not the model the claim is for; "
                "pass --allow-served-drift to compare anyway (the table then says so)"
            )
    return lines


def check(
    df: pd.DataFrame, registry: Registry | None = None, gap: float = 5.0, allow_served_drift: bool = False
) -> pd.DataFrame:
    """One row per measurement (suite, alias, agent) that has a claim; `gap` in points for the `tasks for gap`
    column.

    A pooled measurement is left out (see `refused`); so is one with served-model drift unless
    `allow_served_drift`, and then its `served_drift` column names what answered."""
    from harness.results.calls import drift_by_measurement, drift_text

    registry = registry or load_registry()
    df = with_agent(df)
    measured = _measured(df)
    drift, mixed = drift_by_measurement(df), pooled(df)
    rows: list[dict[str, Any]] = []
    for claim, key in _claimed(registry, measured):
        bench = registry.benchmarks[claim.benchmark]
        alias = key[1]
        drifted = drift.get(key)
        if key in mixed or (drifted and not allow_served_drift):
            continue
        interval, tasks = measured[key]
        claimed = claim.value / 100
        observed_gap = interval.estimate - claimed
        direction = 1 if observed_gap > 0 else -1
        rows.append(
            {
                "suite": bench.suite,
                "benchmark": bench.name,
                "model": claim.model if alias == claim.model else f"{claim.model} via {alias}",
                "agent": key[2],
                "config": claim.config or "",
                "served_drift": drift_text(drifted) if drifted else "",
                "claimed": claimed,
                "measured": interval.estimate,
                "ci_low": interval.low,
                "ci_high": interval.high,
                "ci_method": interval.method,
                "gap_points": 100 * observed_gap,
                "verdict": verdict(interval, claimed),
                "tasks": tasks,
                "tasks_for_observed_gap": tasks_needed(claimed, -observed_gap) if observed_gap else None,
                "tasks_for_gap": (
                    tasks_needed(claimed, -direction * gap / 100) or tasks_needed(claimed, direction * gap / 100)
                ),
                "benchmark_tasks": bench.tasks,
                "source": registry.sources[claim.source].title,
            }
        )
    return pd.DataFrame(rows)


def unclaimed(df: pd.DataFrame, registry: Registry | None = None) -> list[tuple[str, str]]:
    """Measured (suite, model) pairs that no claim covers."""
    registry = registry or load_registry()
    covered = {(registry.benchmarks[c.benchmark].suite, a) for c in registry.claims for a in c.aliases}
    return sorted({key[:2] for key in _measured(df) if key[:2] not in covered})


def _n(value: Any, cap: int | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    text = f"{int(value)}"
    return f"{text} (> all {cap})" if cap and value > cap else text


def format_claims(table: pd.DataFrame, gap: float = 5.0) -> str:
    """The claims table as Markdown."""
    if table.empty:
        return "(no measured suite/model pair has a published claim)"
    view = pd.DataFrame(
        {
            "benchmark": table["benchmark"],
            "model": [f"{m} {c}".strip() for m, c in zip(table["model"], table["config"], strict=True)],
            "agent": table["agent"],
            "claimed %": table["claimed"].map(lambda x: f"{100 * x:.1f}"),
            "measured % (95% CI)": [
                f"{100 * m:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"
                for m, lo, hi in zip(table["measured"], table["ci_low"], table["ci_high"], strict=True)
            ],
            "gap pts": table["gap_points"].map(lambda x: f"{x:+.1f}"),
            "verdict": table["verdict"],
            "tasks": table["tasks"],
            "tasks to resolve gap": [
                _n(v, cap) for v, cap in zip(table["tasks_for_observed_gap"], table["benchmark_tasks"], strict=True)
            ],
            f"tasks for ±{gap:g} pts": [
                _n(v, cap) for v, cap in zip(table["tasks_for_gap"], table["benchmark_tasks"], strict=True)
            ],
        }
    )
    if "served_drift" in table and table["served_drift"].astype(bool).any():
        view["served drift (allowed)"] = table["served_drift"]
    sources = "; ".join(sorted(set(table["source"])))
    return view.to_markdown(index=False, disable_numparse=True) + f"\n\nSource: {sources}"
