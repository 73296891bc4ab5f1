"""The run manifest, `results/runs/<id>/manifest.json`: everything needed to say what exactly was measured.

Sections: versions; model (alias, provider model id, endpoint, settings, price plan, every `response.model`
seen); suites (options, dataset ids/revisions/digests, protocol, scaffold hash and budgets); images (base and
built ids; pulled images with their registry digests; images that were already present locally apart, with their
local id and a registry digest where one exists; failed builds a suite recorded; with --sandbox k8s the registry
image map); policy (parameters and hash); run settings (epochs, seed, concurrency, cost cap, shard, sandbox,
command line); `merged` (`harness merge`: the shards it came from); timing; and, once the run ends, samples, cost
(from the samples table) and the guard's stop reason.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import __version__
from harness.paths import REPO_ROOT

if TYPE_CHECKING:
    import pandas as pd


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def git_sha() -> str | None:
    result = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if result.returncode != 0:
        return None
    dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain"], capture_output=True, text=True)
    return result.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def versions() -> dict[str, Any]:
    return {
        "harness": __version__,
        "git_sha": git_sha(),
        "python": sys.version.split()[0],
        "inspect_ai": _version("inspect-ai"),
        "swebench": _version("swebench"),
        "openai": _version("openai"),
        "anthropic": _version("anthropic"),
    }


def model_section(model: Any, plan: str | None) -> dict[str, Any]:
    """The model as run: alias, provider model id, endpoint, settings and price; never a key."""
    from harness.cost import price_for

    section: dict[str, Any] = {
        "alias": model.alias,
        "kind": model.kind,
        "provider": model.provider,
        "inspect_model": model.inspect_model,
        "base_url": model.base_url,
        "generate": model.generate,
    }
    if model.needs_api:
        price = price_for(model.price_key, plan=plan) if model.price_key else None
        section |= {
            "model_id": model.model_id,
            "model_source": model.source,
            "model_checked": model.checked,
            "model_args": model.model_args,
            "api_key_env": model.api_key_env,
            "price_key": model.price_key,
            "price_plan": plan,
            "price_usd_per_1m": price.model_dump(mode="json", by_alias=True) if price else None,
        }
    return section


def _known(value: float) -> float | None:
    return None if math.isnan(value) else value


def cost_section(samples: pd.DataFrame) -> dict[str, Any]:
    """From the samples table (`harness.results.load`), per run and per suite: samples, solved, USD of the agent
    model and of judges, USD per sample and per solved task (None where a cost is unknown), tokens."""
    from harness.results.tables import cost_figures

    def block(group: pd.DataFrame) -> dict[str, Any]:
        figures = cost_figures(group)
        return {
            "samples": len(group),
            "solved": int(figures["solved"]),
            "cost_usd": _known(figures["cost_usd"]),
            "judge_cost_usd": _known(figures["judge_cost_usd"]),
            "usd_per_sample": _known(figures["cost_per_task"]),
            "usd_per_solved": _known(figures["cost_per_solved"]),
            "input_tokens": int(group["input_tokens"].sum()),
            "cache_read_tokens": int(group["cache_read_tokens"].sum()),
            "output_tokens": int(group["output_tokens"].sum()),
        }

    return {**block(samples), "suites": {str(name): block(group) for name, group in samples.groupby("suite")}}


def write(run_dir: Path, manifest: dict[str, Any]) -> Path:
    path = run_dir / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n")
    return path


def read(run_dir: Path) -> dict[str, Any]:
    """The run's manifest ({} when there is none); an unreadable or malformed one is a one-line error."""
    from harness.errors import HarnessError, read_json

    path = run_dir / "manifest.json"
    if not path.exists():
        return {}
    data = read_json(path, "run manifest")
    if not isinstance(data, dict):
        raise HarnessError(f"run manifest {path}: expected a JSON object, found {type(data).__name__}")
    return data
