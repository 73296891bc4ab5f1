"""A run's predictions per suite, read back from its inspect logs: the patch and score of every scored sample.

The repository suites export them in their upstream formats (SWE-bench's predictions.jsonl, SWE-bench Pro's patch
JSON) so a score can be cross-checked with the official tools.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

EXCLUDE = {"messages", "events", "store", "attachments"}


def _suite_logs(logs_dir: Path, suite: str) -> list[tuple[Path, str]]:
    """(log file, model alias) for the suite's logs with samples, oldest first (a retried task's newest wins)."""
    from inspect_ai.log import read_eval_log

    found = []
    for path in sorted(logs_dir.rglob("*.eval"), key=lambda p: p.stat().st_mtime):
        header = read_eval_log(str(path), header_only=True)
        if (header.eval.task_args or {}).get("suite") != suite or header.eval.dataset.sample_ids is None:
            continue
        alias = (header.eval.metadata or {}).get("model_alias") or header.eval.model
        found.append((path, str(alias)))
    return found


def collect(run_dir: Path, suite: str) -> dict[int, dict[str, dict[str, Any]]]:
    """epoch -> instance_id -> {model, patch, meta: score metadata or None (no score: the sample errored), error}."""
    from inspect_ai.log import read_eval_log_samples

    results: dict[int, dict[str, dict[str, Any]]] = {}
    for path, alias in _suite_logs(Path(run_dir) / "logs", suite):
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


def epoch_suffix(epoch: int) -> str:
    """'' for the first epoch, '.epoch<k>' after it (file names of the exports)."""
    return "" if epoch == 1 else f".epoch{epoch}"
