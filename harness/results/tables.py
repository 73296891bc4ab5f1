"""Tidy results tables from `.eval` logs, built on `inspect_ai.analysis.samples_df`.

`load(paths)` gives one row per (run, suite, task, epoch, model) with the columns in `SAMPLE_COLUMNS`:
- outcome: `score` (the suite scorer's value), `passed`, `strict` (from the `harness.scoring.verdict`
  metadata), `limit` (a budget the agent hit: a model failure);
- failures that are not the model's: `error` (the sample raised; its message) and `infra_error` (the scorer
  reported an infrastructure failure: its class); `error_class` is the exception class of the first or the
  class of the second; `errored` is either; `retries` (sandbox retries of the sample);
- calls (`calls.py`): `model_calls` (logical calls), `api_attempts` (requests sent), `api_retries` (the
  difference), `unpriced_calls`, `response_models` (`name=count;...` of the `response.model`s the vendors
  answered with), `served_drift` (answers from another model than the alias requested), `price_windows`
  (`plan/window=count;...` of the priced agent calls);
- usage: `input_tokens` (cache misses only, as inspect counts them), `cache_read_tokens`, `cache_write_tokens`,
  `output_tokens`, `reasoning_tokens` of the agent model; `cost_usd` (the agent model's calls, priced per call
  from `data/prices.toml` under the price plan the run recorded; NaN when a call has no price) and
  `judge_cost_usd` (any other model the sample called, e.g. a grading judge);
- time: `total_time`, `working_time` (seconds);
- provenance: `scaffold_hash`, `policy_hash`, `dataset`, `dataset_revision`, `model` (alias),
  `provider_model` (inspect's provider/model id), `agent` (model, oracle or noop), `agent_name`, `agent_version`
  and `agent_config_hash` (the agent that drove the model, `--agent`), `route` (the alias's API route), `run_id`
  (the id in the manifest of the run directory holding the log, so the shards of a merged run read as one run; else
  the log's), `log`.
A suite may add columns from its score metadata (`SuiteDef.attempt_columns`, e.g. Terminal-Bench's `trial_error`).

A measurement is (suite, model, agent_name) (`MEASUREMENT`): rows of different agents are never pooled into one
score, and the route is part of the model alias. `summary(df)` aggregates per measurement, `run_summary(df)` per
run; `write_tables(run_dir)` writes all of them as CSV and Parquet into the run directory.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from inspect_ai.model import ModelUsage

from harness import manifest
from harness.agent_registry import DEFAULT_AGENT
from harness.errors import HarnessError
from harness.models import price_key, served_drift_check
from harness.results.calls import Call, call_columns, read_calls
from harness.results.stats import score_interval

KEY = ["run_id", "suite", "task", "epoch", "model"]
MEASUREMENT = ["suite", "model", "agent_name"]
"""What one score is of: a suite, a model alias (which names its route) and the agent that drove it."""
SAMPLE_COLUMNS = [
    *KEY,
    "provider_model",
    "agent",
    "agent_name",
    "agent_version",
    "agent_config_hash",
    "route",
    "score",
    "passed",
    "strict",
    "limit",
    "error",
    "error_class",
    "infra_error",
    "errored",
    "retries",
    "api_retries",
    "api_attempts",
    "model_calls",
    "unpriced_calls",
    "response_models",
    "served_drift",
    "price_windows",
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "total_tokens",
    "cost_usd",
    "judge_cost_usd",
    "total_time",
    "working_time",
    "scaffold_hash",
    "policy_hash",
    "dataset",
    "dataset_revision",
    "started_at",
    "log",
    "score_metadata",
]


def log_files(paths: Iterable[str | Path]) -> list[str]:
    """`.eval` files under run directories, log directories or given directly."""
    files: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(str(f) for f in sorted(p.rglob("*.eval")))
        elif p.is_file() and p.suffix == ".eval":
            files.append(str(p))
        elif p.is_file():
            raise HarnessError(f"{p}: not an inspect .eval log (pass a run directory or .eval files)")
        else:
            raise HarnessError(f"{p}: no such run directory or log file")
    return files


def _score_details(scores: Any) -> dict[str, Any]:
    """`score_<scorer>` values plus `score_<scorer>_metadata`, from the sample summaries."""
    out: dict[str, Any] = {}
    for name, score in (scores or {}).items():
        if isinstance(score, dict):
            out[name] = score.get("value")
            if score.get("metadata"):
                out[f"{name}_metadata"] = score["metadata"]
    return out


def _columns() -> list[Any]:
    from inspect_ai.analysis import EvalDataset, EvalInfo, EvalModel, EvalTask, SampleColumn, SampleSummary

    # Score values *with* their metadata from the summaries (inspect's SampleScores reads whole samples).
    summary = [c for c in SampleSummary if c.name != "score_*"]
    return [
        *EvalInfo,
        *EvalTask,
        *EvalModel,
        *EvalDataset,
        *summary,
        SampleColumn("score_*", path="scores", value=_score_details, full=False),
        SampleColumn("started_at", path="started_at"),
    ]


def _json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _present(value: Any) -> bool:
    """Not None, NaN, NA or an empty string."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return False
    return not (isinstance(value, str) and not value)


def _scorer_names(raw: pd.DataFrame) -> list[str]:
    names = []
    for column in raw.columns:
        if column.startswith("score_") and not column.endswith("_metadata"):
            names.append(column)
    return names


def _score_fields(row: pd.Series, scorers: list[str]) -> dict[str, Any]:
    """The first scorer with a value: its value and the harness verdict metadata."""
    for column in scorers:
        value = row.get(column)
        if not _present(value):
            continue
        meta = _json(row.get(f"{column}_metadata"))
        meta = meta if isinstance(meta, dict) else {}
        try:
            score = float(value)
        except (TypeError, ValueError):
            score = {"C": 1.0, "I": 0.0}.get(str(value), math.nan)
        passed = meta.get("passed")
        return {
            "score": score,
            "passed": bool(passed) if passed is not None else score >= 1.0,
            "strict": _strict(meta.get("strict")),
            "infra_error": meta.get("infra_error") or None,
            "score_metadata": json.dumps(meta, default=str) if meta else None,
        }
    return {"score": math.nan, "passed": None, "strict": None, "infra_error": None, "score_metadata": None}


def _strict(value: Any) -> float | None:
    """The strict verdict as one type for every suite: SWE's `resolved_strict` is a bool, Terminal-Bench's
    `reward_strict` a reward; both become a float (1.0/0.0 for a bool), None when the suite has none."""
    return None if value is None else float(value)


def error_class(message: str | None) -> str | None:
    """`RuntimeError('x')` -> `RuntimeError`; `InfraError('eval_incomplete: x')` -> `eval_incomplete` (the fault
    `harness.scoring.InfraError` names); anything else -> `error`."""
    if not message:
        return None
    match = re.match(r"\s*([A-Za-z_][\w.]*)\(", message)
    if not match:
        return "error"
    name = match.group(1).rsplit(".", 1)[-1]
    fault = re.match(r"""\s*[\w.]*InfraError\(['"]([\w:.-]+?):\s""", message) if name == "InfraError" else None
    return fault.group(1) if fault else name


@cache
def _manifest(run_dir: str) -> dict[str, Any]:
    """The run's manifest, read once per `load` (an unreadable one counts as absent)."""
    try:
        return manifest.read(Path(run_dir))
    except HarnessError:
        return {}


def _run_manifest(log: str) -> dict[str, Any]:
    """The manifest of the run directory a log sits in (`<run>/logs/x.eval`), if any."""
    parent = Path(log).parent
    return _manifest(str(parent.parent)) if parent.name == "logs" else {}


def _start(started: Any, created: Any) -> datetime | None:
    """When the sample started (else when its log was created), for usage without model events."""
    for value in (started, created):
        if isinstance(value, datetime):
            return value
        if isinstance(value, str) and value:
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                continue
    return None


def _usage_columns(usage: dict[str, ModelUsage], agent_model: str) -> dict[str, int]:
    mine = usage.get(agent_model) or ModelUsage()
    return {
        "input_tokens": mine.input_tokens,
        "cache_read_tokens": mine.input_tokens_cache_read or 0,
        "cache_write_tokens": mine.input_tokens_cache_write or 0,
        "output_tokens": mine.output_tokens,
        "reasoning_tokens": mine.reasoning_tokens or 0,
        "total_tokens": mine.total_tokens,
    }


def _row(r: pd.Series, scorers: list[str], calls: dict[str, dict[tuple[str, int], list[Call]]]) -> dict[str, Any]:
    eval_meta = _json(r.get("metadata"))
    eval_meta = eval_meta if isinstance(eval_meta, dict) else {}
    run = _run_manifest(r["log"])
    suite = r.get("task_arg_suite") if _present(r.get("task_arg_suite")) else r.get("task_name")
    suite_manifest = run.get("suites", {}).get(suite, {})
    dataset = suite_manifest.get("dataset") or {}
    alias = eval_meta.get("model_alias") or run.get("model", {}).get("alias")
    agent_key = eval_meta.get("price_key") or (price_key(alias) if alias else None)
    plans = eval_meta.get("price_plans") or {agent_key: eval_meta.get("price_plan")}  # older logs: one plan
    provider_model = str(r.get("model"))
    usage_raw = _json(r.get("model_usage"))
    usage = (
        {k: ModelUsage.model_validate(v) for k, v in (usage_raw or {}).items()} if isinstance(usage_raw, dict) else {}
    )
    task, epoch = str(r.get("id")), int(r.get("epoch", 1))
    sample_calls = calls.get(r["log"], {}).get((task, epoch), [])
    error = r.get("error") if _present(r.get("error")) else None
    fields = _score_fields(r, scorers)
    return {
        "run_id": run.get("run_id") or eval_meta.get("harness_run_id") or r.get("run_id"),  # merged: the merge's
        "suite": suite,
        "task": task,
        "epoch": epoch,
        "model": alias or provider_model,
        "provider_model": provider_model,
        "agent": r.get("task_arg_agent"),
        **_agent_columns(eval_meta, r),
        "route": route_of(alias or provider_model),
        **fields,
        "limit": r.get("limit") if _present(r.get("limit")) else None,
        "error": error,
        "error_class": error_class(error) or fields["infra_error"],
        "errored": bool(error) or bool(fields["infra_error"]),
        "retries": int(r["retries"]) if _present(r.get("retries")) else 0,
        **_usage_columns(usage, provider_model),
        **call_columns(
            sample_calls,
            usage,
            provider_model,
            agent_key,
            plans,
            _start(r.get("started_at"), r.get("created")),
            drifted=served_drift_check(alias),
        ),
        "total_time": r.get("total_time"),
        "working_time": r.get("working_time"),
        "scaffold_hash": eval_meta.get("scaffold_hash") or suite_manifest.get("scaffold_hash"),
        "policy_hash": eval_meta.get("policy_hash") or run.get("policy", {}).get("hash"),
        "dataset": dataset.get("id") or dataset.get("name") or r.get("dataset_name"),
        "dataset_revision": dataset.get("revision") or dataset.get("digest") or dataset.get("sha"),
        "started_at": r.get("started_at") if _present(r.get("started_at")) else None,
        "log": r["log"],
        "created": r.get("created"),
    }


def _agent_columns(eval_meta: dict[str, Any], r: pd.Series) -> dict[str, Any]:
    """The agent that drove the model (logs from before `--agent` were all the fixed scaffold's)."""
    name = eval_meta.get("agent_name") or (
        r.get("task_arg_agent_name") if _present(r.get("task_arg_agent_name")) else None
    )
    return {
        "agent_name": name or DEFAULT_AGENT,
        "agent_version": eval_meta.get("agent_version"),
        "agent_config_hash": eval_meta.get("agent_config_hash"),
    }


def route_of(alias: str) -> str:
    """The API route of a model alias: what follows `@` (`deepseek-v4-pro@anthropic`: anthropic), else `native`."""
    return alias.split("@", 1)[1] if "@" in alias else "native"


def family_of(alias: str) -> str:
    """The model an alias serves, whatever its route: the part before `@`."""
    return alias.split("@", 1)[0]


def measurement_label(model: str, agent_name: Any) -> str:
    """`model`, or `model [agent]` for an agent other than the fixed scaffold."""
    return model if not _present(agent_name) or agent_name == DEFAULT_AGENT else f"{model} [{agent_name}]"


def _unreadable(log: str, ex: Exception) -> HarnessError:
    if isinstance(ex, KeyError) and ex.args:
        reason = f"no entry {ex.args[0]!r}"
    else:
        reason = (str(ex).strip().splitlines() or [type(ex).__name__])[0][:160]
    return HarnessError(f"{log}: not a readable inspect log ({reason}); remove it or pass other runs")


def _first_unreadable(files: list[str]) -> tuple[str, Exception] | None:
    """The first log whose header or sample summaries cannot be read, and why (None: all read)."""
    from inspect_ai.log import read_eval_log, read_eval_log_sample_summaries

    for log in files:
        try:
            read_eval_log(log, header_only=True)
            read_eval_log_sample_summaries(log)
        except Exception as ex:
            return log, ex
    return None


def load(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Per-attempt table from run directories, log directories or `.eval` files (see the module docstring).

    A sample that was re-run (a retried or resumed eval) appears once: the row from the latest log wins.
    """
    from inspect_ai.analysis import samples_df

    files = log_files(paths)
    if not files:
        return pd.DataFrame(columns=SAMPLE_COLUMNS)
    try:
        raw = samples_df(files, columns=_columns(), quiet=True)
    except Exception as ex:
        bad = _first_unreadable(files)
        if bad is None:
            raise
        raise _unreadable(*bad) from ex
    if raw.empty:
        return pd.DataFrame(columns=SAMPLE_COLUMNS)
    scorers = _scorer_names(raw)
    _manifest.cache_clear()  # once per load: a run rewrites its manifest
    calls = {}
    for log in raw["log"].unique():
        try:
            calls[str(log)] = read_calls(str(log))
        except Exception as ex:
            bad = _first_unreadable([str(log)])
            if bad is None:
                raise  # a readable log: a bug here, not the user's file
            raise _unreadable(*bad) from ex
    df = pd.DataFrame([_row(r, scorers, calls) for _, r in raw.iterrows()])
    df = df.sort_values("created", kind="stable").drop_duplicates(KEY, keep="last")
    df = df.drop(columns="created").sort_values(KEY, kind="stable").reset_index(drop=True)[SAMPLE_COLUMNS]
    return _with_suite_columns(df)


def _with_suite_columns(df: pd.DataFrame) -> pd.DataFrame:
    """`df` plus the columns suites add from their score metadata (SuiteDef.attempt_columns)."""
    from harness.suite import get_suite

    extra: dict[int, dict[str, Any]] = {}
    for suite in df["suite"].dropna().unique():
        try:
            columns = get_suite(str(suite)).attempt_columns
        except (HarnessError, ImportError):
            continue  # a log of a suite this checkout does not have
        if columns is None:
            continue
        for index, meta in df.loc[df["suite"] == suite, "score_metadata"].items():
            extra[index] = columns(json.loads(meta) if isinstance(meta, str) else {})
    if not extra:
        return df
    return df.join(pd.DataFrame.from_dict(extra, orient="index"))


def _mean(series: pd.Series) -> float:
    return float(series.mean()) if len(series.dropna()) else math.nan


def _known_sum(values: pd.Series) -> float:
    """The sum, NaN when any value is unknown (or there is none)."""
    return float(values.sum(min_count=1)) if values.notna().all() else math.nan


def cost_figures(group: pd.DataFrame) -> dict[str, float]:
    """Solved attempts (errors are not solved), USD of the agent model and of judges (NaN when any attempt's cost
    is unknown), USD per attempt and per solved attempt."""
    solved = float(group.loc[~group["errored"], "passed"].fillna(False).astype(bool).sum())
    total = _known_sum(group["cost_usd"])
    return {
        "solved": solved,
        "cost_usd": total,
        "judge_cost_usd": _known_sum(group["judge_cost_usd"]),
        "cost_per_task": total / len(group) if len(group) else math.nan,
        "cost_per_solved": total / solved if solved else math.nan,
    }


def group_summary(group: pd.DataFrame) -> dict[str, Any]:
    """Scores (both denominators, CI), counts, cost and time for one set of attempts."""
    scores = group["score"].where(~group["errored"], 0.0).fillna(0.0)
    valid = group[~group["errored"]]
    by_task = [list(g) for _, g in scores.groupby([group["suite"], group["task"]], sort=True)]
    ci = score_interval(by_task)
    strict = group["strict"].dropna()
    return {
        "n": len(group),
        "tasks": group[["suite", "task"]].drop_duplicates().shape[0],
        "epochs": int(group["epoch"].nunique()),
        "score": float(scores.mean()),
        "ci_low": ci.low,
        "ci_high": ci.high,
        "ci_method": ci.method,
        "score_valid": _mean(valid["score"]),
        "n_valid": len(valid),
        "strict": float(strict.astype(float).mean()) if len(strict) else math.nan,
        "errors": int(group["errored"].sum()),
        "infra_errors": int(group["infra_error"].notna().sum()),
        "limits": int(group["limit"].notna().sum()),
        "retries": int(group["retries"].sum()),
        **cost_figures(group),
        "tokens": int(group["total_tokens"].sum()),
        "mean_time": _mean(group["total_time"]),
        "total_time": float(group["total_time"].sum()),
    }


SUMMARY_COLUMNS = [
    "suite",
    "model",
    "agent_name",
    "route",
    "n",
    "tasks",
    "epochs",
    "score",
    "ci_low",
    "ci_high",
    "ci_method",
    "score_valid",
    "n_valid",
    "strict",
    "solved",
    "errors",
    "infra_errors",
    "limits",
    "retries",
    "cost_usd",
    "judge_cost_usd",
    "cost_per_task",
    "cost_per_solved",
    "tokens",
    "mean_time",
    "total_time",
]


def with_agent(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with an `agent_name` column: tables from before `--agent` were all the fixed scaffold's."""
    if "agent_name" in df:
        return df.assign(agent_name=df["agent_name"].fillna(DEFAULT_AGENT))
    return df.assign(agent_name=DEFAULT_AGENT)


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per measurement (suite, model, agent): score with errors as failures (and its 95% CI), score with errors
    excluded, counts, cost, cost per solved task and time."""
    if df.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    df = with_agent(df)
    rows = [
        {"suite": suite, "model": model, "agent_name": agent, "route": route_of(model), **group_summary(group)}
        for (suite, model, agent), group in df.groupby(MEASUREMENT, sort=True)
    ]
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def run_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per run: model, agent, suites, attempts, errors, cost, and the provenance hashes."""
    columns = [
        "run_id",
        "model",
        "agent_name",
        "provider_model",
        "suites",
        "n",
        "score",
        "errors",
        "cost_usd",
        "total_time",
        "scaffold_hashes",
        "policy_hash",
    ]
    if df.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for run_id, g in df.groupby("run_id", sort=True):
        rows.append(
            {
                "run_id": run_id,
                "model": ",".join(sorted(g["model"].unique())),
                "agent_name": ",".join(sorted(g["agent_name"].unique())),
                "provider_model": ",".join(sorted(g["provider_model"].unique())),
                "suites": ",".join(sorted(g["suite"].unique())),
                "n": len(g),
                "score": float(g["score"].where(~g["errored"], 0.0).fillna(0.0).mean()),
                "errors": int(g["errored"].sum()),
                "cost_usd": _known_sum(g["cost_usd"]),
                "total_time": float(g["total_time"].sum()),
                "scaffold_hashes": ",".join(sorted(set(g["scaffold_hash"].dropna()))),
                "policy_hash": ",".join(sorted(set(g["policy_hash"].dropna()))),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def write_tables(run_dir: Path) -> pd.DataFrame:
    """samples / summary / runs tables as CSV and Parquet in the run directory; returns the samples table."""
    df = load([run_dir / "logs"])
    for name, table in (("samples", df), ("summary", summary(df)), ("runs", run_summary(df))):
        table.to_csv(run_dir / f"{name}.csv", index=False)
        table.to_parquet(run_dir / f"{name}.parquet", index=False)
    return df


def format_summary(table: pd.DataFrame) -> str:
    """The short console table: score with its 95% CI, both denominators, errors and cost, per measurement."""
    if table.empty:
        return "(no samples)"
    view = pd.DataFrame(
        {
            "suite": table["suite"],
            "model": table["model"],
            "agent": table["agent_name"],
            "n": table["n"],
            "score": table["score"].map(lambda x: f"{x:.3f}"),
            "95% CI": [f"[{lo:.3f}, {hi:.3f}]" for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)],
            "score_valid": table["score_valid"].map(lambda x: "n/a" if pd.isna(x) else f"{x:.3f}"),
            "errors": table["errors"],
            "cost_usd": table["cost_usd"].map(lambda x: "n/a" if pd.isna(x) else f"{x:.4f}"),
        }
    )
    return view.to_markdown(index=False, disable_numparse=True)


def print_summary(run_dir: Path) -> None:
    print(format_summary(summary(load([run_dir / "logs"]))))
