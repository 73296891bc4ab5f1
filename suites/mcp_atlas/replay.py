"""Trajectory replay: a parity check of the server wiring (`harness validate mcp_atlas --replay`).

A task's recorded TRAJECTORY tool calls are replayed in order against our servers in a fresh sandbox (by the
oracle, which always does this) and every output is compared with the recorded tool message after whitespace
normalisation. Calls to servers that cannot run here are reported as skipped with the reason, never as matches.
With `--replay` the suite scores these comparisons instead of the answer: 1 when no compared output differs.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from inspect_ai.scorer import Score, Target, mean, scorer
from inspect_ai.solver import TaskState

from harness.scaffold import budgets
from harness.scoring import infra_errors, mean_valid, verdict
from suites.mcp_atlas.catalog import split_tool, unavailable_reason
from suites.mcp_atlas.dataset import McpTask
from suites.mcp_atlas.tools import connected_tools, normalise, run_calls

SUITE = "mcp_atlas"
STATUSES = ("match", "mismatch", "skipped", "unrecorded", "volatile")


@dataclass
class CallCheck:
    """One replayed call: `match`, `mismatch`, `skipped` (server unavailable), `unrecorded` (no tool message) or
    `volatile` (recorded, but it changes from run to run); for the last two `detail` is our output."""

    task: str
    index: int
    tool: str
    status: str
    detail: str = ""


def first_difference(expected: str, actual: str, width: int = 60) -> str:
    a, b = normalise(expected), normalise(actual)
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"at char {at}: recorded {a[at : at + width]!r} vs ours {b[at : at + width]!r}"


def call_reasons(task: McpTask, *, online: bool, has_data: bool) -> dict[str, str | None]:
    """Tool name -> why its server cannot run here (None when it can)."""
    return {
        c.name: unavailable_reason(split_tool(c.name)[0], online=online, has_data=has_data) for c in task.tool_calls
    }


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
        elif call.volatile:
            checks.append(CallCheck(task.task_id, i, call.name, "volatile", outputs[i]))
        elif call.output is None:
            checks.append(CallCheck(task.task_id, i, call.name, "unrecorded", outputs[i]))
        elif normalise(call.output) == normalise(outputs[i]):
            checks.append(CallCheck(task.task_id, i, call.name, "match"))
        else:
            checks.append(CallCheck(task.task_id, i, call.name, "mismatch", first_difference(call.output, outputs[i])))
    return checks


def as_metadata(checks: list[CallCheck]) -> list[dict[str, Any]]:
    return [asdict(c) for c in checks]


@scorer(metrics=[mean(), mean_valid(), infra_errors()])
def replay_scorer():
    """1 when the replay ran at least one call and no compared output differed (the no-op runs none: 0)."""

    async def score(state: TaskState, target: Target) -> Score:
        if reason := state.metadata.get("skip_reason"):
            return verdict(0.0, infra_error="server_unavailable", explanation=f"skipped: {reason}", skipped=True)
        checks = state.metadata.get("replay", [])
        ran = [c for c in checks if c["status"] != "skipped"]
        ok = bool(ran) and not any(c["status"] == "mismatch" for c in ran)
        counts = {s: sum(c["status"] == s for c in checks) for s in STATUSES}
        return verdict(
            1.0 if ok else 0.0,
            passed=ok,
            replay=checks,
            explanation=", ".join(f"{n} {s}" for s, n in counts.items() if n) or "nothing replayed",
        )

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
    """One line per task (counts by status) and one per mismatch or error."""
    lines = [f"{'task':<28} " + " ".join(f"{s:>10}" for s in STATUSES)]
    for task in dict.fromkeys(c.task for c in checks):
        mine = [c for c in checks if c.task == task]
        lines.append(f"{task:<28} " + " ".join(f"{sum(c.status == s for c in mine):>10}" for s in STATUSES))
    lines += [
        f"  {c.status}: {c.task} #{c.index} {c.tool}: {c.detail}" for c in checks if c.status in ("mismatch", "error")
    ]
    return "\n".join(lines)


def validate(options: Any) -> int:
    """Print the replay report for `options`' tasks; 0 when something matched and nothing differed or failed."""
    checks = replay(options)
    print(report(checks))
    bad = [c for c in checks if c.status in ("mismatch", "error")]
    matched = sum(c.status == "match" for c in checks)
    print(
        f"\n{matched} matched, {len(bad)} mismatched or failed, "
        f"{sum(c.status == 'skipped' for c in checks)} skipped (server unavailable)",
        file=sys.stderr,
    )
    return 0 if matched and not bad else 1
