"""Write a run's SWE-bench artifacts in the official formats, from its inspect logs, into `<run>/swe_verified/`.

- `predictions.jsonl`: one `{"instance_id", "model_name_or_path", "model_patch"}` per instance, the file
  `swebench.harness.run_evaluation --predictions_path` and sb-cli take, to cross-check a score independently;
- `report.json`: the official run report (`make_run_report` fields: resolved_ids, unresolved_ids, empty_patch_ids,
  error_ids, ...) plus the harness's strict verdicts and infrastructure-error labels;
- `run_evaluation/<model>/<instance_id>/`: `patch.diff`, `test_output.txt` and `report.json`, the official log
  layout (`swebench ... --rewrite_reports` can re-grade them).

With several epochs, epoch k > 1 goes to `predictions.epoch<k>.jsonl`, `report.epoch<k>.json` and
`run_evaluation/epoch<k>/`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

NAME = "swe_verified"
EXCLUDE = {"messages", "events", "store", "attachments"}


def _suite_logs(logs_dir: Path) -> list[tuple[Path, str]]:
    """(log file, model alias) for this suite's logs with samples, oldest first (a retried task's newest wins)."""
    from inspect_ai.log import read_eval_log

    found = []
    for path in sorted(logs_dir.rglob("*.eval"), key=lambda p: p.stat().st_mtime):
        header = read_eval_log(str(path), header_only=True)
        if (header.eval.task_args or {}).get("suite") != NAME or header.eval.dataset.sample_ids is None:
            continue
        alias = (header.eval.metadata or {}).get("model_alias") or header.eval.model
        found.append((path, str(alias)))
    return found


def collect(run_dir: Path) -> dict[int, dict[str, dict[str, Any]]]:
    """epoch -> instance_id -> {model, patch, score metadata or None (no score: the sample errored)}."""
    from inspect_ai.log import read_eval_log_samples

    results: dict[int, dict[str, dict[str, Any]]] = {}
    for path, alias in _suite_logs(run_dir / "logs"):
        for sample in read_eval_log_samples(str(path), all_samples_required=False, exclude_fields=EXCLUDE):
            score = next(iter((sample.scores or {}).values()), None)
            entry = {
                "model": alias,
                "patch": None,
                "meta": None,
                "error": sample.error.message if sample.error else None,
            }
            if score is not None:
                entry.update(patch=score.answer or "", meta=dict(score.metadata or {}))
            previous = results.setdefault(sample.epoch, {}).get(str(sample.id))
            if previous is None or score is not None or previous["meta"] is None:
                results[sample.epoch][str(sample.id)] = entry
    return results


def official_report(entries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The official run report's fields, from the scored samples of one epoch."""
    ids: dict[str, set[str]] = {
        k: set()
        for k in (
            "completed",
            "resolved",
            "unresolved",
            "empty_patch",
            "error",
            "incomplete",
            "infra_failure",
            "resolved_strict",
        )
    }
    reasons: dict[str, str] = {}
    violations: dict[str, list[str]] = {}
    sample_errors: dict[str, str] = {}
    for iid, entry in entries.items():
        meta = entry["meta"]
        if meta is None:  # the sample errored before it was scored: no prediction
            ids["incomplete"].add(iid)
            sample_errors[iid] = str(entry.get("error") or "not scored")[:300]
            continue
        infra = meta.get("infra_error")
        if meta.get("empty_patch"):
            ids["empty_patch"].add(iid)
        elif infra and not str(infra).startswith("environment:"):
            ids["error"].add(iid)
            reasons[iid] = str(infra)
        else:
            ids["completed"].add(iid)
            ids["resolved" if meta.get("resolved") else "unresolved"].add(iid)
            if infra:
                ids["infra_failure"].add(iid)
                reasons[iid] = str(infra).split(":", 1)[1]
        if meta.get("resolved_strict"):
            ids["resolved_strict"].add(iid)
        if meta.get("strict_violations"):
            violations[iid] = list(meta["strict_violations"])
    total = len(entries)
    valid = total - len(ids["error"]) - len(ids["incomplete"]) - len(ids["infra_failure"])
    report: dict[str, Any] = {
        "total_instances": total,
        "submitted_instances": total - len(ids["incomplete"]),
        **{f"{k}_instances": len(v) for k, v in ids.items() if k != "resolved_strict"},
        **{f"{k}_ids": sorted(v) for k, v in ids.items() if k != "resolved_strict"},
        "failure_reasons": dict(sorted(reasons.items())),
        "schema_version": 2,
        "harness": {
            "resolved_rate": len(ids["resolved"]) / total if total else None,
            "resolved_rate_valid": len(ids["resolved"]) / valid if valid else None,
            "resolved_strict_instances": len(ids["resolved_strict"]),
            "resolved_strict_ids": sorted(ids["resolved_strict"]),
            "strict_violations": dict(sorted(violations.items())),
            "sample_errors": dict(sorted(sample_errors.items())),
        },
    }
    return report


def _suffix(epoch: int) -> str:
    return "" if epoch == 1 else f".epoch{epoch}"


def export_run(run_dir: Path) -> Path:
    """Write predictions, report and per-instance logs; returns the export directory."""
    out = Path(run_dir) / NAME
    out.mkdir(parents=True, exist_ok=True)
    for epoch, entries in sorted(collect(Path(run_dir)).items()):
        suffix = _suffix(epoch)
        with (out / f"predictions{suffix}.jsonl").open("w") as f:
            for iid, entry in entries.items():
                if entry["patch"] is not None:
                    f.write(
                        json.dumps(
                            {"instance_id": iid, "model_name_or_path": entry["model"], "model_patch": entry["patch"]}
                        )
                        + "\n"
                    )
        (out / f"report{suffix}.json").write_text(json.dumps(official_report(entries), indent=2) + "\n")
        for iid, entry in entries.items():
            if entry["meta"] is None:
                continue
            folder = (
                out
                / "run_evaluation"
                / (f"epoch{epoch}" if epoch > 1 else "")
                / entry["model"].replace("/", "__")
                / iid
            )
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "patch.diff").write_text(entry["patch"] or "")
            (folder / "test_output.txt").write_text(entry["meta"].get("test_output") or "")
            meta = entry["meta"]
            instance_report = {
                iid: {
                    "patch_is_None": False,
                    "patch_exists": bool(entry["patch"]),
                    "patch_successfully_applied": bool(meta.get("patch_successfully_applied")),
                    "resolved": bool(meta.get("resolved")),
                    "tests_status": meta.get("tests_status"),
                    "resolved_strict": bool(meta.get("resolved_strict")),
                    "strict_violations": meta.get("strict_violations") or [],
                    "infra_error": meta.get("infra_error"),
                }
            }
            (folder / "report.json").write_text(json.dumps(instance_report, indent=2) + "\n")
    return out
