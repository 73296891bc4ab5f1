"""`harness merge RUN_DIR... --out DIR`: one run from the shards of a run (`harness eval --shard K/N`).

The shards must have measured the same thing: the same model and agent, scaffold, retry policy, dataset, suite
options (but the shard) and epochs; anything else is refused, naming what differs. A sample found in two shards is
refused too. The merged run directory has every shard's logs, one manifest (the shards' sections unioned, samples
and cost recomputed from the merged samples table, where each shard came from) and the results tables, so
`harness report`, `claims`, `compare` and `nightly --run-dir` read it as they read a single run. A missing shard
is an error unless `--partial`, which records it (and marks the merged run unsuccessful).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import manifest
from harness.agent_registry import DEFAULT_AGENT
from harness.digest import digest
from harness.errors import HarnessError
from harness.shard import parse as parse_shard

MODEL_KEYS = ("alias", "kind", "provider", "inspect_model", "base_url", "generate", "model_args", "price_key")


@dataclass(frozen=True)
class ShardRun:
    """One input run: its directory, manifest and shard (None: an unsharded run)."""

    path: Path
    record: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def shard(self) -> str | None:
        return (self.record.get("run") or {}).get("shard")


def identity(record: dict[str, Any]) -> dict[str, Any]:
    """What must be equal across shards, by the name a refusal uses."""
    model = record.get("model") or {}
    suites = record.get("suites") or {}
    run = record.get("run") or {}
    return {
        "model": {k: model.get(k) for k in MODEL_KEYS} | {"price_plan": model.get("price_plan")},
        "agent": model.get("kind"),
        "agent name": (record.get("agent") or {}).get("agent_name") or DEFAULT_AGENT,  # older runs: the scaffold
        "suites": sorted(suites),
        "scaffold hash": {name: info.get("scaffold_hash") for name, info in suites.items()},
        "policy hash": (record.get("policy") or {}).get("hash"),
        "dataset hash": {name: digest(info.get("dataset")) for name, info in suites.items()},
        "suite options": {
            name: digest({k: v for k, v in (info.get("options") or {}).items() if k != "shard"})
            for name, info in suites.items()
        },
        "budgets": {name: digest(info.get("budgets")) for name, info in suites.items()},
        "epochs": run.get("epochs"),
    }


def read_runs(paths: list[Path]) -> list[ShardRun]:
    runs = []
    for path in paths:
        if not (path / "manifest.json").is_file() or not (path / "logs").is_dir():
            raise HarnessError(f"{path}: not a run directory (needs manifest.json and logs/)")
        try:
            runs.append(ShardRun(path, manifest.read(path)))
        except json.JSONDecodeError as ex:
            raise HarnessError(f"{path}/manifest.json: not valid JSON ({ex.msg}); re-run or remove the shard") from ex
    if len(runs) < 2:
        raise HarnessError("harness merge: give two or more run directories (the shards of one run)")
    return runs


def check_same(runs: list[ShardRun]) -> None:
    """Refuse shards that measured different things, naming the first difference."""
    first = identity(runs[0].record)
    for run in runs[1:]:
        other = identity(run.record)
        for key, value in first.items():
            if other[key] != value:
                raise HarnessError(
                    f"harness merge: mixed {key}: {runs[0].name} has {_show(value)}, {run.name} has "
                    f"{_show(other[key])}; merge only shards of one run"
                )


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 160 else text[:157] + "..."


def missing_shards(runs: list[ShardRun]) -> tuple[int | None, list[int]]:
    """The shard count and the shards (1-based) no input has; sharded and unsharded runs do not mix."""
    shards = [r.shard for r in runs]
    if all(s is None for s in shards):
        return None, []
    if any(s is None for s in shards):
        unsharded = [r.name for r in runs if r.shard is None]
        raise HarnessError(f"harness merge: {', '.join(unsharded)} ran without --shard; merge only shards of one run")
    parsed = [parse_shard(s) for s in shards]  # type: ignore[arg-type]
    counts = sorted({s.count for s in parsed})
    if len(counts) > 1:
        raise HarnessError(f"harness merge: mixed shard counts {counts}; merge the K/N shards of one N")
    seen: dict[int, str] = {}
    for run, shard in zip(runs, parsed, strict=True):
        if shard.index in seen:
            raise HarnessError(f"harness merge: shard {shard} given twice ({seen[shard.index]} and {run.name})")
        seen[shard.index] = run.name
    return counts[0], [k for k in range(1, counts[0] + 1) if k not in seen]


def check_no_duplicates(runs: list[ShardRun]) -> None:
    """Refuse a sample (suite, task, epoch) that two inputs ran."""
    from harness.results.tables import load

    owner: dict[tuple[str, str, int], str] = {}
    clashes = []
    for run in runs:
        df = load([run.path / "logs"])
        for suite, task, epoch in zip(df["suite"], df["task"], df["epoch"], strict=True):
            key = (str(suite), str(task), int(epoch))
            if key in owner and owner[key] != run.name:
                clashes.append(f"{suite}/{task} epoch {epoch} ({owner[key]}, {run.name})")
            owner.setdefault(key, run.name)
    if clashes:
        more = f" and {len(clashes) - 5} more" if len(clashes) > 5 else ""
        raise HarnessError(f"harness merge: samples in more than one input: {'; '.join(clashes[:5])}{more}")


def _copy_logs(runs: list[ShardRun], dest: Path) -> None:
    dest.mkdir(parents=True)
    for run in runs:
        for log in sorted((run.path / "logs").glob("*.eval")):
            target = dest / log.name
            if target.exists():
                target = dest / f"{run.name}-{log.name}"
            shutil.copy2(log, target)


def merged_record(runs: list[ShardRun], out: Path, count: int | None, missing: list[int]) -> dict[str, Any]:
    """The merged manifest before samples and cost: the first shard's sections, the others' unioned in."""
    records = [r.record for r in runs]
    base = json.loads(json.dumps(records[0]))
    images: dict[str, dict[str, Any]] = {}
    for record in records:
        for kind, entries in (record.get("images") or {}).items():
            images.setdefault(kind, {}).update(entries or {})
    for info in base.get("suites", {}).values():
        (info.get("options") or {}).pop("shard", None)
    versions = [r.get("versions") for r in records]
    sandboxes = sorted({str((r.get("run") or {}).get("sandbox") or "docker") for r in records})
    return {
        **base,
        "run_id": out.name,
        "started": min(str(r.get("started", "")) for r in records),
        "invocations": sorted(i for r in records for i in r.get("invocations", [])),
        "command": ["harness", "merge", *(str(r.path) for r in runs), "--out", str(out)],
        "versions": versions[0] if all(v == versions[0] for v in versions) else {"by_shard": versions},
        "images": images,
        "run": {**base.get("run", {}), "shard": None, "sandbox": ",".join(sandboxes)},  # "docker,k8s" if mixed
        "resumed": any(r.get("resumed") for r in records),
        "merged": {
            "shards": count,
            "missing_shards": missing,
            "from": [
                {
                    "run_id": r.record.get("run_id"),
                    "path": str(r.path.resolve()),
                    "shard": r.shard,
                    "samples": r.record.get("samples"),
                    "cost_usd": (r.record.get("cost") or {}).get("cost_usd"),
                    "success": r.record.get("success"),
                    "stop_reason": r.record.get("stop_reason"),
                }
                for r in runs
            ],
        },
    }


def merge(paths: list[Path], out: Path, *, partial: bool = False) -> dict[str, Any]:
    """Merge shard runs into `out`; returns the merged manifest."""
    from harness.results.calls import response_models
    from harness.results.tables import write_tables

    runs = read_runs(paths)
    check_same(runs)
    count, missing = missing_shards(runs)
    if missing and not partial:
        raise HarnessError(
            f"harness merge: shard(s) {', '.join(f'{k}/{count}' for k in missing)} missing; run them, "
            "or pass --partial to merge what is there (recorded as incomplete)"
        )
    check_no_duplicates(runs)
    if out.exists() and any(out.iterdir()):
        raise HarnessError(f"--out {out}: exists and is not empty; choose a new directory")
    record = merged_record(runs, out, count, missing)
    _copy_logs(runs, out / "logs")
    manifest.write(out, record)  # the tables read the run id and dataset from it
    samples = write_tables(out)
    cost = manifest.cost_section(samples)
    shard_costs = [(r.record.get("cost") or {}).get("cost_usd") for r in runs]
    known = None if any(c is None for c in shard_costs) else sum(shard_costs)  # type: ignore[arg-type]
    stops = [f"{r.name}: {r.record['stop_reason']}" for r in runs if r.record.get("stop_reason")]
    record |= {
        "samples": {
            "planned": sum(int((r.record.get("samples") or {}).get("planned", 0)) for r in runs),
            "logged": len(samples),
        },
        "cost": {**cost, "price_plan": (record.get("cost") or {}).get("price_plan"), "shards_usd": known},
        "finished": max(str(r.record.get("finished", "")) for r in runs),
        "success": all(r.record.get("success") for r in runs) and not missing,
        "stop_reason": "; ".join(stops) or None,
    }
    record["model"]["response_models"] = response_models(samples)
    manifest.write(out, record)
    _after_run(out, record)
    return record


def _after_run(out: Path, record: dict[str, Any]) -> None:
    """The suites' exports (e.g. SWE-bench predictions.jsonl) for the merged run, as after a single run."""
    from harness.suite import get_suite, parse_options

    for name, info in record.get("suites", {}).items():
        suite = get_suite(name)
        if suite.after_run is not None:
            suite.after_run(out, parse_options(suite, info.get("options") or {}))
