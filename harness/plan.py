"""`harness plan`: how big a run is before it starts: sandboxes, image bytes, model calls, cost, wall time.

Figures per suite come from `data/plan.toml` (dataset sizes with their source; token profiles, image sizes and
minutes per sample, which are assumptions and say so) or a `--profile` file overriding them. `--data sample`
counts the bundled samples themselves. Cost is priced per call with the price table (`data/prices.toml`) for every
priced model. Nothing here touches the network or Docker.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai.model import ModelUsage
from pydantic import BaseModel, ConfigDict, ValidationError

from harness.errors import HarnessError
from harness.paths import PACKAGE_DATA, REPO_ROOT

PLAN_FILE = PACKAGE_DATA / "plan.toml"


class Tokens(BaseModel):
    """Per attempt, summed over its model calls."""

    model_config = ConfigDict(extra="forbid")
    calls: float
    input: float
    cache_read: float = 0
    output: float


class SuiteProfile(BaseModel):
    """One suite's planning figures (see plan.toml)."""

    model_config = ConfigDict(extra="forbid")
    full_samples: int | None = None
    full_samples_from: str | None = None
    release: str | None = None
    source: str
    checked: str
    sandboxes_per_sample: float
    shared_image_mb: float
    image_mb_per_sample: float
    minutes_per_sample: float
    tokens: Tokens


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except OSError as ex:
        raise HarnessError(f"--profile {path}: cannot read ({ex.strerror})") from ex
    except tomllib.TOMLDecodeError as ex:
        raise HarnessError(f"{path}: not valid TOML ({ex})") from ex


def profiles(override: Path | None = None) -> dict[str, SuiteProfile]:
    """plan.toml, with `override`'s tables merged over it (key by key; `tokens` too)."""
    data = _read(PLAN_FILE)
    for name, table in (_read(override) if override else {}).items():
        if not isinstance(table, dict):
            raise HarnessError(f"{override}: {name} must be a table like [{name}]")
        merged = {**data.get(name, {}), **table}
        merged["tokens"] = {**data.get(name, {}).get("tokens", {}), **table.get("tokens", {})}
        data[name] = merged
    out = {}
    for name, table in data.items():
        try:
            out[name] = SuiteProfile.model_validate(table)
        except ValidationError as ex:
            err = ex.errors()[0]
            where = override if override and name in _read(override) else PLAN_FILE
            raise HarnessError(f"{where}: [{name}] {'.'.join(map(str, err['loc']))}: {err['msg']}") from ex
    return out


def full_samples(profile: SuiteProfile) -> int:
    """The official dataset's rows: recorded, or computed from the data file it names."""
    if profile.full_samples_from:
        table = _read(REPO_ROOT / profile.full_samples_from)
        files = table["releases"][profile.release or "release_v6"]
        return sum(int(table["files"][name]["rows"]) for name in files)
    if profile.full_samples is None:
        raise HarnessError(f"{PLAN_FILE}: a suite needs full_samples or full_samples_from")
    return profile.full_samples


def sample_count(suite: str) -> int:
    """The bundled samples of a suite (built offline, as `--data sample` runs them)."""
    from harness.tasks import suite_task

    return len(suite_task(suite=suite, agent="oracle", data="sample").dataset)


@dataclass(frozen=True)
class Estimate:
    suite: str
    samples: int
    attempts: int
    sandboxes: int
    image_gb: float
    model_calls: int
    sandbox_hours: float
    profile: SuiteProfile

    def cost(self, price_key: str) -> float | None:
        """USD for the attempts under `price_key`'s default plan, priced per call."""
        from harness.cost import usage_cost

        t = self.profile.tokens
        calls = max(t.calls, 1)
        per_call = ModelUsage(
            input_tokens=round(t.input / calls),
            output_tokens=round(t.output / calls),
            input_tokens_cache_read=round(t.cache_read / calls),
            total_tokens=round((t.input + t.output + t.cache_read) / calls),
        )
        usd = usage_cost(price_key, per_call)
        return None if usd is None else usd * t.calls * self.attempts


def estimate(suite: str, profile: SuiteProfile, data: str, epochs: int, shards: int = 1) -> Estimate:
    """One suite's figures; image bytes are per shard (each shard pulls the shared images and its samples')."""
    samples = full_samples(profile) if data == "full" else sample_count(suite)
    attempts = samples * epochs
    return Estimate(
        suite=suite,
        samples=samples,
        attempts=attempts,
        sandboxes=math.ceil(attempts * profile.sandboxes_per_sample),
        image_gb=(profile.shared_image_mb + math.ceil(samples / shards) * profile.image_mb_per_sample) / 1024,
        model_calls=math.ceil(attempts * profile.tokens.calls),
        sandbox_hours=attempts * profile.minutes_per_sample / 60,
        profile=profile,
    )


def priced_models() -> dict[str, str]:
    """Alias -> price key for every API model with a price."""
    from harness.cost import price_for
    from harness.models import price_key, registry

    keys = {alias: price_key(alias) for alias, entry in registry().items() if entry.get("kind") == "model"}
    return {alias: key for alias, key in keys.items() if price_for(key) is not None}


def plan(
    suites: list[str],
    *,
    data: str,
    epochs: int,
    concurrency: int,
    shards: int,
    models: list[str] | None = None,
    profile_file: Path | None = None,
) -> str:
    """The estimate as text: one block per suite, then totals and cost per model."""
    known = profiles(profile_file)
    missing = [s for s in suites if s not in known]
    if missing:
        raise HarnessError(
            f"no planning profile for {', '.join(missing)} in {PLAN_FILE}; add a [{missing[0]}] table "
            "(or pass --profile FILE with one)"
        )
    rows = [estimate(s, known[s], data, epochs, shards) for s in suites]
    priced = priced_models()
    chosen = models or list(priced)
    unknown = [m for m in chosen if m not in priced]
    if unknown:
        raise HarnessError(f"--models {', '.join(unknown)}: no price in prices.toml; priced: {', '.join(priced)}")
    lines = [f"Plan: --data {data}, {epochs} epoch(s), {concurrency} concurrent sandboxes x {shards} shard(s)", ""]
    for e in rows:
        p = e.profile
        lines += [
            f"{e.suite}: {e.samples} samples x {epochs} = {e.attempts} attempts"
            + (f" (source: {p.source}, checked {p.checked})" if data == "full" else " (bundled samples)"),
            f"  sandboxes {e.sandboxes:,}   images to pull {e.image_gb:,.1f} GB per shard (assumed sizes)",
            f"  model calls {e.model_calls:,}   sandbox time {e.sandbox_hours:,.1f} h "
            f"({p.minutes_per_sample:g} min per attempt, assumed)",
        ]
    total_hours = sum(e.sandbox_hours for e in rows)
    wall = total_hours / (concurrency * shards)
    lines += [
        "",
        f"total: {sum(e.attempts for e in rows):,} attempts, {sum(e.sandboxes for e in rows):,} sandboxes, "
        f"{sum(e.model_calls for e in rows):,} model calls, "
        f"{sum(e.image_gb for e in rows):,.1f} GB of images per shard",
        f"wall time: {wall:,.1f} h per shard at {concurrency} concurrent sandboxes "
        f"({total_hours:,.1f} sandbox-hours over {shards} shard(s))",
        "",
        "expected cost per model (assumed token profiles, default price plans):",
    ]
    width = max(map(len, chosen), default=5)
    for alias in chosen:
        costs = [e.cost(priced[alias]) for e in rows]
        per_suite = ", ".join(f"{e.suite} ${c:,.2f}" for e, c in zip(rows, costs, strict=True) if c is not None)
        lines.append(f"  {alias:<{width}}  ${sum(c or 0 for c in costs):>10,.2f}   ({per_suite})")
    return "\n".join(lines)
