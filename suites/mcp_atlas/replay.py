"""Trajectory replay: a parity check of the server wiring (`harness validate mcp_atlas --replay`).

A task's recorded TRAJECTORY tool calls are replayed in order against our servers in a fresh sandbox (by the
oracle, which always does this) and every output is compared with the recorded tool message after whitespace
normalisation. Each call ends as one of `STATUSES`:
- `match`: same output, or the same except the fields `servers.toml` declares volatile for that tool (`volatile`
  then names them), or a recorded output the row itself marks volatile (the bundled set);
- `differed`: another output (`detail`: where it first differs);
- `unrecorded`: no tool message answered the call, so nothing to compare;
- `data_missing`: it differed and a /data path it names (or its server reads) is absent here: the data given
  with --data-dir is incomplete, an infrastructure error, not a difference of the servers;
- `skipped`: its server cannot run here (the reason).
A task passes only when every call ran and matched. A call that differed or was unrecorded fails it; else missing
data makes it an infrastructure error naming the paths; a task with skipped calls and nothing worse is `skipped`:
listed with its reasons, neither passed nor failed.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from inspect_ai.scorer import Score, Target, mean, scorer
from inspect_ai.solver import TaskState
from inspect_ai.util import sandbox

from harness.parity import ParityResult, docker_answers, shared_root
from harness.scaffold import budgets
from harness.scoring import infra_errors, mean_valid, verdict
from suites.mcp_atlas.catalog import Volatile, catalog, split_tool, unavailable_reason
from suites.mcp_atlas.dataset import McpTask, ToolCall
from suites.mcp_atlas.tools import connected_tools, normalise, run_calls

SUITE = "mcp_atlas"
STATUSES = ("match", "differed", "unrecorded", "data_missing", "skipped")
DATA_ROOT = "/data"
LISTED_ENTRY = re.compile(r"^\[(?:FILE|DIR)\] (.+?)\s*$", re.MULTILINE)
"""An entry of a directory listing as filesystem and desktop-commander print it."""


@dataclass
class CallCheck:
    """One replayed call and its status (see the module docstring); `detail` says why, `volatile` names the
    declared fields left out of the comparison."""

    task: str
    index: int
    tool: str
    status: str
    detail: str = ""
    volatile: str = ""


def first_difference(expected: str, actual: str, width: int = 60) -> str:
    a, b = normalise(expected), normalise(actual)
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"at char {at}: recorded {a[at : at + width]!r} vs ours {b[at : at + width]!r}"


def call_reasons(task: McpTask, *, online: bool, has_data: bool) -> dict[str, str | None]:
    """Tool name -> why its server cannot run here (None when it can)."""
    return {
        c.name: unavailable_reason(split_tool(c.name)[0], online=online, has_data=has_data) for c in task.tool_calls
    }


def declared_volatile(tool: str) -> Volatile | None:
    """What `servers.toml` declares volatile in `tool`'s output (`<server>_<tool>`), if anything."""
    server, bare = split_tool(tool)
    return catalog().servers[server].volatile.get(bare)


def _json_object(text: str) -> tuple[str, dict[str, Any]] | None:
    """(text before the first `{`, the JSON object from there) when the output is one, else None."""
    at = text.find("{")
    if at < 0:
        return None
    try:
        value = json.loads(text[at:])
    except ValueError:
        return None
    return (text[:at], value) if isinstance(value, dict) else None


def without_fields(text: str, fields: list[str]) -> str | None:
    """`text` with the declared top-level JSON fields removed, normalised; None when it holds no JSON object."""
    parsed = _json_object(text)
    if parsed is None:
        return None
    prefix, value = parsed
    kept = {k: v for k, v in value.items() if k not in fields}
    return normalise(prefix) + " " + json.dumps(kept, sort_keys=True)


def compare(call: ToolCall, ours: str) -> tuple[str, str, str]:
    """(status, detail, volatile fields) of our output against the recorded one."""
    if call.volatile:
        return "match", "", "whole output (marked volatile in the row)"
    if call.output is None:
        return "unrecorded", ours[:200], ""
    if normalise(call.output) == normalise(ours):
        return "match", "", ""
    declared = declared_volatile(call.name)
    if declared is not None and not declared.fields:
        return "match", "", f"whole output: {declared.reason}"
    if declared is not None:
        a, b = without_fields(call.output, declared.fields), without_fields(ours, declared.fields)
        if a is not None and a == b:
            return "match", "", f"{', '.join(declared.fields)}: {declared.reason}"
    return "differed", first_difference(call.output, ours), ""


def recorded_ok(call: ToolCall) -> bool:
    """The recorded call read what it asked for: its output is there and is no error message."""
    text = (call.output or "").strip().lower()
    return bool(text) and not text.startswith("error") and "enoent" not in text and "no such file" not in text


def data_paths(call: ToolCall) -> list[str]:
    """The /data paths a call names in its arguments, the entries its recorded listing of one such directory
    showed, and the files its server itself reads."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str) and (value == DATA_ROOT or value.startswith(DATA_ROOT + "/")):
            found.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(call.arguments)
    listed = [p for p in found if p == DATA_ROOT or p.startswith(DATA_ROOT + "/")]
    if len(listed) == 1:  # a directory listing recorded upstream names the entries that were there
        found += [f"{listed[0].rstrip('/')}/{m.group(1)}" for m in LISTED_ENTRY.finditer(call.output or "")]
    found += catalog().servers[split_tool(call.name)[0]].data_paths
    return list(dict.fromkeys(found))


async def missing_paths(paths: list[str]) -> set[str]:
    """Those of `paths` that do not exist in the sample's sandbox (one exec)."""
    if not paths:
        return set()
    script = 'for p in "$@"; do [ -e "$p" ] || printf "%s\\n" "$p"; done'
    result = await sandbox().exec(["sh", "-c", script, "sh", *paths])
    return {line for line in result.stdout.splitlines() if line}


async def replay_calls(task: McpTask, *, online: bool, has_data: bool) -> list[CallCheck]:
    """Replay the task's reference tool calls in the current sample's sandbox; one check per call."""
    calls = task.tool_calls
    reasons = call_reasons(task, online=online, has_data=has_data)
    runnable = [c for c in calls if reasons[c.name] is None]
    outputs: dict[int, str] = {}
    if runnable:
        async with connected_tools({c.name for c in runnable}, timeout=budgets(SUITE).command_timeout) as tools:
            results = await run_calls(runnable, tools)
        by_call = {id(r.call): r.output for r in results}
        outputs = {i: by_call[id(c)] for i, c in enumerate(calls) if id(c) in by_call}
    checks = []
    for i, call in enumerate(calls):
        if reasons[call.name]:
            checks.append(CallCheck(task.task_id, i, call.name, "skipped", reasons[call.name] or ""))
            continue
        status, detail, volatile = compare(call, outputs[i])
        checks.append(CallCheck(task.task_id, i, call.name, status, detail, volatile))
    # a difference caused by incomplete /data is an infrastructure error naming the path
    suspects = {c.index: data_paths(calls[c.index]) for c in checks if c.status == "differed"}
    suspects = {i: paths for i, paths in suspects.items() if paths and recorded_ok(calls[i])}
    absent = await missing_paths(sorted({p for paths in suspects.values() for p in paths}))
    for check in checks:
        gone = [p for p in suspects.get(check.index, []) if p in absent]
        if gone:
            check.status, check.detail = "data_missing", f"{', '.join(gone)} absent from --data-dir ({check.detail})"
    return checks


def as_metadata(checks: list[CallCheck]) -> list[dict[str, Any]]:
    return [asdict(c) for c in checks]


def counts(checks: list[dict[str, Any]]) -> dict[str, int]:
    """Calls replayed, matched, differed (differed or unrecorded), data_missing and skipped."""
    by = Counter(c["status"] for c in checks)
    return {
        "replayed": len(checks) - by["skipped"],
        "matched": by["match"],
        "differed": by["differed"] + by["unrecorded"],
        "data_missing": by["data_missing"],
        "skipped": by["skipped"],
    }


def task_verdict(checks: list[dict[str, Any]]) -> tuple[str, str]:
    """(`passed` | `failed` | `data_missing` | `skipped`, why) for one task's checks."""
    n = counts(checks)
    summary = ", ".join(f"{v} {k}" for k, v in n.items() if v) or "nothing replayed"
    if n["differed"] or not (n["replayed"] or n["skipped"]):  # a difference missing data cannot explain, or
        return "failed", summary  # nothing replayed at all (the no-op), fails the task
    if n["data_missing"]:
        named = [c["detail"].split(" absent")[0].split(", ") for c in checks if c["status"] == "data_missing"]
        paths = sorted({p for names in named for p in names})
        return "data_missing", f"incomplete /data, absent: {', '.join(paths)} ({summary})"
    if n["skipped"]:
        reasons = sorted({c["detail"] for c in checks if c["status"] == "skipped"})
        return "skipped", f"{summary}; not replayed: {'; '.join(reasons)}"
    return "passed", summary


@scorer(metrics=[mean(), mean_valid(), infra_errors()])
def replay_scorer():
    """1 when every recorded call ran and matched; a task with skipped calls is skipped (an infrastructure error
    marked `skipped`), one whose /data is incomplete an infrastructure error; the no-op replays nothing: 0."""

    async def score(state: TaskState, target: Target) -> Score:
        if reason := state.metadata.get("skip_reason"):
            return verdict(
                0.0,
                infra_error="server_unavailable",
                explanation=f"skipped: {reason}",
                skipped=True,
                skip_reason=reason,
            )
        checks = state.metadata.get("replay", [])
        outcome, why = task_verdict(checks)
        details = {"replay": checks, "replay_counts": counts(checks), "replay_verdict": outcome}
        if outcome == "skipped":
            return verdict(
                0.0, infra_error="replay_incomplete", explanation=why, skipped=True, skip_reason=why, **details
            )
        if outcome == "data_missing":
            return verdict(0.0, infra_error="data_missing", explanation=why, **details)
        return verdict(1.0 if outcome == "passed" else 0.0, explanation=why, **details)

    return score


def replay(options: Any, log_dir: Path | None = None) -> list[CallCheck]:
    """Replay every task of `options` (the suite's Options) with the oracle; one check per recorded call."""
    from inspect_ai import eval as inspect_eval

    from harness.images import ensure_base, ensure_built
    from harness.suite import AgentKind, TaskRequest
    from suites.mcp_atlas import sandbox
    from suites.mcp_atlas.task import build_task

    ensure_base()
    ensure_built([sandbox.image()])
    task = build_task(TaskRequest(options.model_copy(update={"replay": True}), AgentKind.ORACLE))
    checks: list[CallCheck] = []
    with tempfile.TemporaryDirectory(prefix="mcp-replay-") as tmp:
        logs = inspect_eval(
            task,
            model="mockllm/model",
            log_dir=str(log_dir or tmp),
            display="none",
            fail_on_error=False,
            retry_on_error=0,
        )
        for log in logs:  # samples are read from the log file, so before the temporary directory goes
            for sample in log.samples or []:
                if sample.error:
                    checks.append(CallCheck(str(sample.id), -1, "-", "error", sample.error.message.splitlines()[0]))
                elif reason := sample.metadata.get("skip_reason"):
                    checks.append(CallCheck(str(sample.id), -1, "-", "skipped", reason))
                else:
                    checks.extend(CallCheck(**c) for c in sample.metadata.get("replay", []))
    return checks


def report(checks: list[CallCheck]) -> str:
    """One line per task (its verdict and counts by status), then one per call that did not match."""
    lines = [f"{'task':<14} {'verdict':<13} " + " ".join(f"{s:>12}" for s in STATUSES)]
    for task in dict.fromkeys(c.task for c in checks):
        mine = [asdict(c) for c in checks if c.task == task]
        outcome = "error" if any(c["status"] == "error" for c in mine) else task_verdict(mine)[0]
        by = Counter(c["status"] for c in mine)
        lines.append(f"{task:<14} {outcome:<13} " + " ".join(f"{by[s]:>12}" for s in STATUSES))
    lines += [f"  {c.status}: {c.task} #{c.index} {c.tool}: {c.detail}" for c in checks if c.status != "match"]
    return "\n".join(lines)


def validate(options: Any) -> int:
    """Print the replay report for `options`' tasks; 0 when no task failed or errored (skipped ones are listed)."""
    checks = replay(options)
    print(report(checks))
    verdicts = Counter()
    for task in dict.fromkeys(c.task for c in checks):
        mine = [asdict(c) for c in checks if c.task == task]
        verdicts["error" if any(c["status"] == "error" for c in mine) else task_verdict(mine)[0]] += 1
    n = counts([asdict(c) for c in checks if c.status != "error"])
    print(
        f"\ntasks: {', '.join(f'{v} {k}' for k, v in verdicts.items())}; calls: "
        f"{', '.join(f'{v} {k}' for k, v in n.items())}",
        file=sys.stderr,
    )
    return 0 if not (verdicts["failed"] or verdicts["error"] or verdicts["data_missing"]) else 1


def replay_parity(data_root: Path) -> tuple[str, str, list[str]]:
    """`make parity`'s MCP-Atlas check: the shared sample rows replayed against our servers offline.

    `data_root` holds `sample_tasks.csv` and `data/` (../shared/data/mcp-atlas). Returns (status, line,
    differences): `skipped` with the reason when the rows are absent; `different` when a task that ran differed
    (or errored); else `identical`. The line counts tasks by verdict; only a task whose every call ran and
    matched counts as replayed in full (skipped calls never do).
    """
    from suites.mcp_atlas.task import Options

    rows, data = data_root / "sample_tasks.csv", data_root / "data"
    if not rows.is_file() or not data.is_dir():
        return "skipped", f"{rows} or {data} not found", []
    checks = replay(Options(data="full", tasks_file=rows, data_dir=data))
    verdicts: Counter[str] = Counter()
    for task in dict.fromkeys(c.task for c in checks):
        mine = [asdict(c) for c in checks if c.task == task]
        verdicts["error" if any(c["status"] == "error" for c in mine) else task_verdict(mine)[0]] += 1
    total = sum(verdicts.values())
    rest = ", ".join(f"{v} {k}" for k, v in sorted(verdicts.items()) if k != "passed")
    line = f"{verdicts['passed']}/{total} sample rows replay fully offline, every call matching ({rest})"
    differences = [
        f"{c.task} #{c.index} {c.tool}: {c.status}: {c.detail}"
        for c in checks
        if c.status in ("differed", "unrecorded", "data_missing", "error")
    ]
    return ("different" if verdicts["failed"] or verdicts["error"] else "identical"), line, differences


def check() -> ParityResult:
    """`make parity`'s entry: `replay_parity` on ../shared/data/mcp-atlas (skipped without it or without Docker)."""
    if not docker_answers():
        return ParityResult("skipped", "no Docker engine answers `docker info`")
    status, line, differences = replay_parity(shared_root() / "data" / "mcp-atlas")
    return ParityResult(status, line, differences)  # type: ignore[arg-type]
