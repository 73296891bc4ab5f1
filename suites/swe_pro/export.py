"""Write a run's SWE-bench Pro artifacts in Scale's formats, from its inspect logs, into `<run>/swe_pro/`.

- `patches.json`: `[{"instance_id", "patch", "prefix"}]`, the --patch_path file of Scale's `swe_bench_pro_eval.py`
  (prefix: the model alias), to re-grade a run with Scale's own script;
- `eval_results.json`: `{instance_id: resolved}`, the file Scale's script writes and its published_results hold
  (`harness compare RUN published.json` pairs the two);
- `report.json`: per instance the verdict, strict verdict and violations, infrastructure label and test counts.

With several epochs, epoch k > 1 goes to `patches.epoch<k>.json`, `eval_results.epoch<k>.json` and
`report.epoch<k>.json`.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness.predictions import collect, epoch_suffix

NAME = "swe_pro"


def export_run(run_dir: Path) -> Path:
    """Write patches, eval results and report; returns the export directory."""
    out = Path(run_dir) / NAME
    out.mkdir(parents=True, exist_ok=True)
    for epoch, entries in sorted(collect(Path(run_dir), NAME).items()):
        suffix = epoch_suffix(epoch)
        scored = {iid: e for iid, e in entries.items() if e["meta"] is not None}
        patches = [{"instance_id": iid, "patch": e["patch"] or "", "prefix": e["model"]} for iid, e in scored.items()]
        (out / f"patches{suffix}.json").write_text(json.dumps(patches, indent=2) + "\n")
        results = {iid: bool(e["meta"].get("resolved")) for iid, e in scored.items()}
        (out / f"eval_results{suffix}.json").write_text(json.dumps(results) + "\n")
        report = {
            iid: {
                "resolved": bool(e["meta"].get("resolved")),
                "resolved_strict": bool(e["meta"].get("resolved_strict")),
                "strict_violations": e["meta"].get("strict_violations") or [],
                "infra_error": e["meta"].get("infra_error"),
                "fail_to_pass": e["meta"].get("fail_to_pass"),
                "pass_to_pass": e["meta"].get("pass_to_pass"),
                "empty_patch": bool(e["meta"].get("empty_patch")),
            }
            if e["meta"] is not None
            else {"error": str(e.get("error") or "not scored")[:300]}
            for iid, e in entries.items()
        }
        (out / f"report{suffix}.json").write_text(json.dumps(report, indent=2) + "\n")
    return out
