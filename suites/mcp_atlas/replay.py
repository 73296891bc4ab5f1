"""Trajectory replay: a parity check of the server wiring (`harness validate mcp_atlas --replay`).

Each task's recorded TRAJECTORY tool calls are replayed in order against our servers in a fresh sandbox; every
output is compared with the recorded tool message after whitespace normalisation. Calls to servers that cannot
run here are reported as skipped with the reason, never counted as matches.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset
from inspect_ai.scorer import Score, Target, mean, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver

from harness.scaffold import budgets
from suites.mcp_atlas import dataset, sandbox
from suites.mcp_atlas.catalog import split_tool, unavailable_reason
from suites.mcp_atlas.tools import connected_tools, normalise, run_calls

SUITE = "mcp_atlas"


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
    return f"at char {at}: recorded {a[at:at + width]!r} vs ours {b[at:at + width]!r}"


def _unavailable(name: str, *, online: bool, has_data: bool) -> str | None:
    return unavailable_reason(split_tool(name)[0], online=online, has_data=has_data)


@solver
def replay_solver(online: bool) -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        task = dataset.McpTask.model_validate(state.metadata["task"])
        has_data = bool(state.metadata.get("data_dir"))
        calls = task.tool_calls
        reasons = {c.name: _unavailable(c.name, online=online, has_data=has_data) for c in calls}
        runnable = [c for c in calls if reasons[c.name] is None]
        outputs: dict[int, str] = {}
        if runnable:
            if has_data:
                await sandbox.copy_data(Path(state.metadata["data_dir"]))
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
                checks.append(CallCheck(task.task_id, i, call.name, "mismatch",
                                        first_difference(call.output, outputs[i])))
        state.metadata["replay"] = [asdict(c) for c in checks]
        return state

    return solve


@scorer(metrics=[mean()])
def replay_scorer():
    async def score(state: TaskState, target: Target) -> Score:
        checks = state.metadata.get("replay", [])
        compared = [c for c in checks if c["status"] in ("match", "mismatch")]
        ok = bool(compared) and all(c["status"] == "match" for c in compared)
        return Score(value=1.0 if ok else 0.0, metadata={"replay": checks})

    return score


def replay_task(options: Any) -> Task:
    """An inspect task replaying `options`' tasks (the suite's Options: tasks, --data-dir, --online)."""
    from suites.mcp_atlas.task import tasks

    samples = []
    for t in tasks(options):
        sample = dataset.to_sample(t, online=options.online, data_dir=options.data_dir)
        sample.sandbox = sandbox.spec(network=options.online)
        samples.append(sample)
    return Task(name=f"{SUITE}_replay", dataset=MemoryDataset(samples, name="mcp-atlas-replay"),
                solver=replay_solver(options.online), scorer=replay_scorer())


def replay(options: Any, log_dir: Path | None = None) -> list[CallCheck]:
    """Replay every task of `options` (building the sandbox image first); returns one check per recorded call."""
    from inspect_ai import eval as inspect_eval

    from harness.images import ensure_base, ensure_built

    ensure_base()
    ensure_built([sandbox.image()])
    checks: list[CallCheck] = []
    with tempfile.TemporaryDirectory(prefix="mcp-replay-") as tmp:
        logs = inspect_eval(replay_task(options), model="mockllm/model", log_dir=str(log_dir or tmp),
                            display="none", fail_on_error=False, retry_on_error=0)
        for log in logs:  # samples are read from the log file, so before the temporary directory goes
            for sample in log.samples or []:
                if sample.error:
                    checks.append(CallCheck(str(sample.id), -1, "-", "error", sample.error.message.splitlines()[0]))
                    continue
                score = next(iter((sample.scores or {}).values()), None)
                checks.extend(CallCheck(**c) for c in ((score.metadata or {}).get("replay", []) if score else []))
    return checks


def report(checks: list[CallCheck]) -> str:
    """One line per task (counts by status) and one per mismatch or error."""
    statuses = ("match", "mismatch", "skipped", "unrecorded", "volatile")
    lines = [f"{'task':<28} " + " ".join(f"{s:>10}" for s in statuses)]
    for task in dict.fromkeys(c.task for c in checks):
        mine = [c for c in checks if c.task == task]
        lines.append(f"{task:<28} " + " ".join(f"{sum(c.status == s for c in mine):>10}" for s in statuses))
    for c in checks:
        if c.status in ("mismatch", "error"):
            lines.append(f"  {c.status}: {c.task} #{c.index} {c.tool}: {c.detail}")
    return "\n".join(lines)


def validate(options: Any, *, replay_calls: bool = True) -> int:
    """The `harness validate mcp_atlas --replay` hook: print the report; 0 when every compared output matches."""
    checks = replay(options) if replay_calls else []
    print(report(checks))
    bad = [c for c in checks if c.status in ("mismatch", "error")]
    matched = sum(c.status == "match" for c in checks)
    print(f"\n{matched} matched, {len(bad)} mismatched or failed, "
          f"{sum(c.status == 'skipped' for c in checks)} skipped (server unavailable)", file=sys.stderr)
    return 0 if matched and not bad else 1
