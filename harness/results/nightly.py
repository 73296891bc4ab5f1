"""`harness nightly` (`make nightly MODEL=...`): run the fixed subset and gate on the committed baseline.

The subset is `data/nightly.toml` (versioned). The run's per-attempt results are paired with the baseline in
`results/baselines/<model>/` by (suite, task, epoch) and compared per suite with the paired test of
`harness.results.compare` (McNemar exact for binary scores, a sign-flip permutation test for rewards). The
exit code is 1 when a suite is significantly lower than its baseline or when the share of attempts with an
infrastructure/harness error exceeds the threshold, else 0. `nightly.md` (for a CI job summary) and the usual
report go into the run directory. `--update-baseline` records the run as the new baseline instead.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import HarnessError
from harness.paths import PACKAGE_DATA, REPO_ROOT
from harness.results.compare import Comparison, compare_frames, format_comparison
from harness.results.tables import format_summary, load, summary, with_agent

NIGHTLY_FILE = PACKAGE_DATA / "nightly.toml"
BASELINES = REPO_ROOT / "results" / "baselines"
BASELINE_COLUMNS = [
    "suite",
    "task",
    "epoch",
    "score",
    "passed",
    "errored",
    "infra_error",
    "error_class",
    "limit",
    "cost_usd",
    "agent_name",
    "scaffold_hash",
    "policy_hash",
    "dataset_revision",
]


class NightlyConfig(BaseModel):
    """The nightly subset and the gate's thresholds."""

    model_config = ConfigDict(extra="forbid")

    version: int
    epochs: int = Field(ge=1)
    alpha: float = Field(gt=0, lt=1)
    max_infra_error_rate: float = Field(ge=0, le=1)
    suites: dict[str, dict[str, Any]]


def load_config(path: Path = NIGHTLY_FILE) -> NightlyConfig:
    try:
        with Path(path).open("rb") as f:
            return NightlyConfig.model_validate(tomllib.load(f))
    except tomllib.TOMLDecodeError as ex:
        raise HarnessError(f"{path}: not valid TOML ({ex})") from ex
    except ValidationError as ex:
        err = ex.errors()[0]
        raise HarnessError(f"{path}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from ex


def present_suites(config: NightlyConfig, only: list[str] | None = None) -> tuple[list[str], list[str]]:
    """The subset's suites whose adapters exist in this checkout, and the ones skipped."""
    from harness.suite import get_suite, suite_names

    wanted = only or list(config.suites)
    present, skipped = [], []
    for name in wanted:
        if name not in config.suites:
            raise HarnessError(
                f"suite {name} is not in the nightly subset ({NIGHTLY_FILE}); valid: {', '.join(config.suites)}"
            )
        if name not in suite_names():
            skipped.append(name)
            continue
        try:
            get_suite(name)
        except ModuleNotFoundError:
            skipped.append(name)
            continue
        present.append(name)
    return present, skipped


def merged_options(config: NightlyConfig, suites: list[str]) -> dict[str, Any]:
    """One options dict for the run (an option applies to the suites that know it); conflicts are errors."""
    options: dict[str, Any] = {}
    for name in suites:
        for key, value in config.suites[name].items():
            if key in options and options[key] != value:
                raise HarnessError(f"{NIGHTLY_FILE}: option {key} differs between suites; run them separately")
            options[key] = value
    return options


def baseline_dir(model: str) -> Path:
    return BASELINES / model.replace("/", "_")


def write_baseline(df: pd.DataFrame, dest: Path, config: NightlyConfig) -> Path:
    """Record a run's per-attempt outcomes (samples.csv) and where they came from (baseline.json)."""
    models = sorted(df["model"].unique())
    if len(models) != 1:
        raise HarnessError(f"a baseline holds one model; the run has {models}")
    dest.mkdir(parents=True, exist_ok=True)
    df[BASELINE_COLUMNS].sort_values(["suite", "task", "epoch"]).to_csv(dest / "samples.csv", index=False)
    meta = {
        "model": models[0],
        "run_id": str(df["run_id"].iloc[0]),
        "subset_version": config.version,
        "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
        "suites": sorted(df["suite"].unique()),
        "attempts": len(df),
    }
    (dest / "baseline.json").write_text(json.dumps(meta, indent=2) + "\n")
    return dest


def read_baseline(dest: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    samples, meta_file = dest / "samples.csv", dest / "baseline.json"
    if not samples.is_file() or not meta_file.is_file():
        raise HarnessError(f"{dest}: not a baseline (needs samples.csv and baseline.json)")
    meta = json.loads(meta_file.read_text())
    df = pd.read_csv(samples, dtype={"task": str})
    df["errored"] = df["errored"].astype(bool)
    return with_agent(df).assign(model=meta["model"], run_id=f"baseline:{meta['run_id']}"), meta


def check_baseline_option(path: Path, model: str, update: bool) -> None:
    """An explicit `--baseline` must be a baseline directory (or, with `--update-baseline`, a directory to write);
    only the default `results/baselines/<model>/` may be absent (the run then gets a candidate baseline)."""
    if path.exists() and not path.is_dir():
        raise HarnessError(f"--baseline {path}: is a file; pass a baseline directory (samples.csv and baseline.json)")
    if update:
        return
    if not path.exists():
        raise HarnessError(
            f"--baseline {path}: no such directory; pass a recorded baseline, or omit --baseline to use "
            f"{baseline_dir(model)} (a candidate baseline is written when that is absent)"
        )
    if not (path / "samples.csv").is_file() or not (path / "baseline.json").is_file():
        raise HarnessError(
            f"--baseline {path}: not a baseline (needs samples.csv and baseline.json); record one with "
            f"`harness nightly --model {model} --update-baseline --baseline {path}`"
        )
    try:
        empty = pd.read_csv(path / "samples.csv").empty
    except pd.errors.EmptyDataError:
        empty = True
    if empty:
        raise HarnessError(f"--baseline {path}: samples.csv holds no attempts; record the baseline again")


def check_run_model(df: pd.DataFrame, model: str, run_dir: Path) -> None:
    """The run being gated must be of `--model` (its baseline is that model's)."""
    names = set(df["model"].astype(str)) | set(df["provider_model"].astype(str))
    if model not in names:
        raise HarnessError(
            f"--model {model}: the run in --run-dir {run_dir} is of model {', '.join(sorted(df['model'].unique()))}; "
            "pass that model or a run of this one"
        )


@dataclass
class Gate:
    """The verdict of one nightly run against its baseline."""

    comparisons: list[Comparison]
    infra_rate: float
    max_infra_rate: float
    alpha: float
    notes: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.significant and c.diff.estimate < 0]

    @property
    def infra_failed(self) -> bool:
        return self.infra_rate > self.max_infra_rate

    @property
    def ok(self) -> bool:
        return not self.regressions and not self.infra_failed


def gate(current: pd.DataFrame, baseline: pd.DataFrame, meta: dict[str, Any], config: NightlyConfig) -> Gate:
    """Compare a run with a baseline, suite by suite."""
    notes = []
    if meta.get("subset_version") != config.version:
        notes.append(f"baseline recorded for subset version {meta.get('subset_version')}, now {config.version}")
    for column in ("agent_name", "scaffold_hash", "policy_hash", "dataset_revision"):
        before, now = set(baseline[column].dropna().astype(str)), set(current[column].dropna().astype(str))
        if before and now and before != now:
            notes.append(
                f"{column} changed since the baseline: {', '.join(sorted(before))} -> {', '.join(sorted(now))}"
                + ("; a baseline of another agent is not comparable" if column == "agent_name" else "")
            )
    keys = ["suite", "task", "epoch"]
    base_keys = set(map(tuple, baseline[keys].astype(str).values))
    cur_keys = set(map(tuple, current[keys].astype(str).values))
    if cur_keys - base_keys:
        notes.append(f"{len(cur_keys - base_keys)} attempt(s) have no baseline partner (new tasks or epochs)")
    if base_keys - cur_keys:
        notes.append(f"{len(base_keys - cur_keys)} baseline attempt(s) were not run this time")
    current = current.assign(epoch=current["epoch"].astype(int))
    comparisons = (
        compare_frames(baseline.assign(epoch=baseline["epoch"].astype(int)), current, config.alpha)
        if base_keys & cur_keys
        else []
    )
    rate = float(current["errored"].mean()) if len(current) else 0.0
    return Gate(comparisons, rate, config.max_infra_error_rate, config.alpha, notes)


def format_gate(result: Gate, df: pd.DataFrame, model: str, baseline: Path) -> str:
    """nightly.md: the verdict first, then the per-suite comparisons and the run's summary."""
    status = "PASS" if result.ok else "FAIL"
    lines = [
        f"# Nightly regression: {model}: {status}",
        "",
        f"- baseline: `{baseline}`",
        f"- infrastructure/harness error rate: {result.infra_rate:.1%} "
        f"(threshold {result.max_infra_rate:.0%}){' EXCEEDED' if result.infra_failed else ''}",
    ]
    for c in result.regressions:
        lines.append(f"- REGRESSION in {c.suite}: {c.mean_a:.3f} -> {c.mean_b:.3f} (p = {c.p_value:.4g})")
    lines += [f"- note: {n}" for n in result.notes]
    lines += [
        "",
        *[format_comparison(c) for c in result.comparisons],
        "## This run",
        "",
        format_summary(summary(df)),
        "",
    ]
    return "\n".join(lines)


def run_nightly(
    model: str,
    *,
    script: Path | None = None,
    suites: list[str] | None = None,
    epochs: int | None = None,
    baseline: Path | None = None,
    update_baseline: bool = False,
    run_dir: Path | None = None,
    shard: str | None = None,
) -> int:
    """Run (or reuse `run_dir`), then gate or record the baseline; returns the exit code. With `shard`, run only
    that shard of the subset and stop: the merged shards (`harness merge`) are gated with `run_dir`."""
    from harness.results.report import write_report
    from harness.run import EvalRequest, run_eval

    config = load_config()
    if shard and (run_dir is not None or update_baseline):
        raise HarnessError("--shard runs one shard of the subset; gate or record the merged run with --run-dir")
    if baseline is not None:
        check_baseline_option(baseline, model, update_baseline)
    if run_dir is None:
        present, skipped = present_suites(config, suites)
        for name in skipped:
            print(f"[nightly] suite {name}: no adapter in this checkout; skipped")
        if not present:
            raise HarnessError("no suite of the nightly subset is present in this checkout")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        part = f"-shard{shard.replace('/', 'of')}" if shard else ""
        outcome = run_eval(
            EvalRequest(
                model=model,
                suites=present,
                options=merged_options(config, present) | ({"shard": shard} if shard else {}),
                epochs=epochs or config.epochs,
                script=script,
                run_id=f"nightly-{stamp}-{model.replace('/', '_')}{part}",
                command=["harness", "nightly", "--model", model, *(["--shard", shard] if shard else [])],
            )
        )
        run_dir = outcome.run_dir
        if outcome.interrupted:  # a partial run is not gated against the baseline
            print(f"[nightly] interrupted; continue with `harness eval --resume {run_dir.name}`")
            return outcome.exit_code
        if shard:
            print(f"[nightly] shard {shard} done: {run_dir}; gate the merged shards with --run-dir")
            return 0 if outcome.success else 1
    df = load([run_dir])
    if df.empty:
        raise HarnessError(f"{run_dir}: the run has no samples")
    check_run_model(df, model, run_dir)
    write_report(df, run_dir)
    target = baseline or baseline_dir(model)
    if update_baseline:
        write_baseline(df, target, config)
        print(f"[nightly] baseline for {model} written to {target}; review and commit it")
        return 0
    if not (target / "baseline.json").is_file():
        candidate = write_baseline(df, run_dir / "baseline", config)
        print(
            f"[nightly] no baseline at {target}: this run's candidate baseline is {candidate}; "
            f"commit it as {baseline_dir(model)} after review"
        )
        rate = float(df["errored"].mean())
        result = Gate([], rate, config.max_infra_error_rate, config.alpha, ["no baseline: nothing compared"])
    else:
        base_df, meta = read_baseline(target)
        result = gate(df, base_df, meta, config)
    text = format_gate(result, df, model, target)
    (run_dir / "nightly.md").write_text(text)
    print(text)
    print(f"run directory: {run_dir}")
    return 0 if result.ok else 1
