"""Build the per-sample table from `.eval` logs with `inspect_ai.analysis`, and the per-(suite, model) summary."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from harness.errors import HarnessError

SAMPLE_COLUMNS = ["run_id", "suite", "task", "epoch", "model", "score", "passed", "strict", "error",
                  "infra_error", "retries", "input_tokens", "cache_read_tokens", "output_tokens",
                  "reasoning_tokens", "total_time", "working_time", "scaffold_hash", "policy_hash"]


def _log_files(paths: Iterable[str | Path]) -> list[str]:
    files: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(str(f) for f in sorted(p.rglob("*.eval")))
        elif p.is_file():
            files.append(str(p))
        else:
            raise HarnessError(f"{p}: no such run directory or log file")
    return files


def _score_fields(row: pd.Series) -> dict[str, Any]:
    """The first score's value and harness metadata (passed, strict, infra_error)."""
    for column in row.index:
        if column.startswith("score_") and not column.endswith(("_answer", "_explanation", "_metadata")):
            value = row[column]
            meta_raw = row.get(f"{column}_metadata")
            meta = json.loads(meta_raw) if isinstance(meta_raw, str) and meta_raw else (meta_raw or {})
            return {"score": float(value) if value is not None and not pd.isna(value) else float("nan"),
                    "passed": meta.get("passed"), "strict": meta.get("strict"),
                    "infra_error": meta.get("infra_error")}
    return {"score": float("nan"), "passed": None, "strict": None, "infra_error": None}


def _score_columns(scores: Any) -> dict[str, Any]:
    """`score_<name>` and `score_<name>_metadata`: SampleSummary's own score column drops the metadata that holds
    the harness's passed/strict/infra_error (it replaces that column: one column per name pattern)."""
    if not isinstance(scores, dict):
        return {}
    columns: dict[str, Any] = {}
    for name, s in scores.items():
        if isinstance(s, dict):
            columns[name] = s.get("value")
            if s.get("metadata"):
                columns[f"{name}_metadata"] = s["metadata"]
    return columns


def load(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Per-sample table from run directories or `.eval` files."""
    from inspect_ai.analysis import EvalInfo, EvalModel, EvalTask, SampleColumn, SampleSummary, samples_df

    files = _log_files(paths)
    if not files:
        return pd.DataFrame(columns=SAMPLE_COLUMNS)
    scores = SampleColumn("score_*", path="scores", value=_score_columns)
    raw = samples_df(files, columns=[*EvalInfo, *EvalTask, *EvalModel, *SampleSummary, scores], quiet=True)
    rows = []
    for _, r in raw.iterrows():
        eval_meta = json.loads(r["metadata"]) if isinstance(r.get("metadata"), str) and r["metadata"] else {}
        rows.append({
            "run_id": eval_meta.get("harness_run_id") or r.get("eval_id"),
            "suite": r.get("task_arg_suite") or r.get("task_name"),
            "task": str(r.get("id")),
            "epoch": int(r.get("epoch", 1)),
            "model": eval_meta.get("model_alias") or r.get("model"),
            **_score_fields(r),
            "error": r.get("error") if isinstance(r.get("error"), str) and r.get("error") else None,
            "retries": int(r.get("retries") or 0) if not pd.isna(r.get("retries")) else 0,
            "total_time": r.get("total_time"),
            "working_time": r.get("working_time"),
            "policy_hash": eval_meta.get("policy_hash"),
        })
    return pd.DataFrame(rows)


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per-(suite, model): n, score (errors as failures), score (errors excluded), errors."""
    if df.empty:
        return pd.DataFrame(columns=["suite", "model", "n", "score", "score_valid", "errors"])
    failed = df["error"].notna() | df["infra_error"].notna()
    out = []
    for (suite, model), group in df.assign(_failed=failed).groupby(["suite", "model"], sort=True):
        valid = group[~group["_failed"]]
        out.append({"suite": suite, "model": model, "n": len(group),
                    "score": group["score"].fillna(0).mean(),
                    "score_valid": valid["score"].mean() if len(valid) else float("nan"),
                    "errors": int(group["_failed"].sum())})
    return pd.DataFrame(out)


def write_tables(run_dir: Path) -> pd.DataFrame:
    df = load([run_dir / "logs"])
    df.to_csv(run_dir / "samples.csv", index=False)
    summary(df).to_csv(run_dir / "summary.csv", index=False)
    return df


def print_summary(run_dir: Path) -> None:
    df = load([run_dir / "logs"])
    table = summary(df)
    print(table.to_markdown(index=False, floatfmt=".3f") if not table.empty else "(no samples)")
