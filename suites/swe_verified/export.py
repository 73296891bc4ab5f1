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

from harness.predictions import collect, epoch_suffix

NAME = "swe_verified"


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


def export_run(run_dir: Path) -> Path:
    """Write predictions, report and per-instance logs; returns the export directory."""
    out = Path(run_dir) / NAME
    out.mkdir(parents=True, exist_ok=True)
    for epoch, entries in sorted(collect(Path(run_dir), NAME).items()):
        suffix = epoch_suffix(epoch)
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
