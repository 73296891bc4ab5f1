"""The MCP-Atlas suite: rows in MCP-Atlas format, their MCP servers in the sandbox, claims judged or checks run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.solver import Generate, Solver, TaskState, solver

from harness.agents import agent_solver
from harness.errors import HarnessError
from harness.images import ImageSpec
from harness.scaffold import budgets, task_limits
from harness.suite import AgentKind, NameList, SuiteDef, SuiteOptions, TaskRequest
from suites.mcp_atlas import dataset, judge, sandbox
from suites.mcp_atlas.catalog import catalog, split_tool
from suites.mcp_atlas.oracle import oracle
from suites.mcp_atlas.replay import call_reasons, replay_scorer
from suites.mcp_atlas.scorer import mcp_atlas_scorer
from suites.mcp_atlas.tools import connected_tools

NAME = "mcp_atlas"
SYSTEM_PROMPT = (Path(__file__).parent / "prompts" / "agent_system.txt").read_text()
"""MCP-Atlas's own agent prompt (see README); part of this suite's scaffold hash."""


class Options(SuiteOptions):
    tasks_file: Path | None = None
    """A local CSV, parquet or YAML file of MCP-Atlas rows; default: the bundled offline set (`--data sample`) or
    ScaleAI/MCP-Atlas at the pinned revision (`--data full`)."""
    data_dir: Path | None = None
    """MCP-Atlas's /data files (copied into each sandbox); tasks whose servers read /data are skipped without it."""
    task_ids: NameList | None = None
    """Run only these TASK ids (comma-separated or repeated)."""
    online: bool = False
    """Allow servers that need the internet (the sandbox then gets a network)."""
    judge_model: str = judge.config().default_model
    """The claims judge: a model alias, provider/model, or `scripted` (with --judge-script)."""
    judge_script: Path | None = None
    """For `--judge-model scripted`: a JSON map of claim -> outcome (tests)."""
    replay: bool = False
    """Score the oracle's replay of the reference tool calls (recorded outputs vs ours) instead of answers; for
    `harness validate mcp_atlas --replay`."""


def _source(options: Options) -> Path | None:
    if options.tasks_file:
        return options.tasks_file
    return dataset.SAMPLE_TASKS if options.data == "sample" else None


def tasks(options: Options) -> list[dataset.McpTask]:
    source = _source(options)
    found = dataset.load_file(source) if source else dataset.load_file(dataset.download_hf())
    if options.task_ids:
        unknown = sorted(set(options.task_ids) - {t.task_id for t in found})
        if unknown:
            raise HarnessError(f"--task-ids: {', '.join(unknown)} not in {source or dataset.HF_DATASET}")
        found = [t for t in found if t.task_id in set(options.task_ids)]
    if options.data_dir is not None and not options.data_dir.is_dir():
        raise HarnessError(f"--data-dir {options.data_dir}: no such directory")
    return found[: options.limit] if options.limit else found


def samples(options: Options) -> list[Sample]:
    out = []
    for task in tasks(options):
        sample = dataset.to_sample(task, online=options.online, data_dir=options.data_dir)
        if options.replay:  # replay what can run; skip only tasks with no runnable call
            reasons = call_reasons(task, online=options.online, has_data=bool(sample.metadata["data_dir"]))
            runnable = [name for name, reason in reasons.items() if reason is None]
            sample.metadata["skip_reason"] = (
                None
                if runnable
                else ("; ".join(sorted({r for r in reasons.values() if r})) or "no tool calls recorded")
            )
        if not sample.metadata["skip_reason"]:  # a network only when an internet server will run (--online)
            names = [*sample.metadata["agent_tools"], *(c.name for c in task.tool_calls)]
            network = options.online and any(catalog().servers[split_tool(n)[0]].network for n in names)
            sample.sandbox = sandbox.spec(network=network)
        out.append(sample)
    return out


def images(options: Options) -> list[ImageSpec]:
    tasks(options)  # bad --tasks-file, --data-dir or --task-ids fail here, before any image or sandbox work
    if not options.replay:
        _check_judge(options)  # and a judge that cannot be built or called
    return [sandbox.image()]


def dataset_info(options: Options) -> dict[str, Any]:
    source = _source(options)
    all_samples = samples(options)
    skipped = {str(s.id): s.metadata["skip_reason"] for s in all_samples if s.metadata["skip_reason"]}
    info: dict[str, Any] = {
        "source": str(source) if source else dataset.HF_DATASET,
        "sha256": dataset.sha256_file(source) if source else dataset.HF_SHA256,
        "tasks": len(all_samples),
        "skipped": len(skipped),
        "skip_reasons": skipped,
        "judge_prompt_version": judge.config().version,
        "judge_prompt_sha256": judge.config().prompt_sha256,
        "judge_model": options.judge_model,
    }
    if not source:
        info["revision"] = dataset.HF_REVISION
    return info


def _check_judge(options: Options) -> None:
    """Fail before any image or sandbox work when claims need a judge that cannot be built or has no API key."""
    rows = [dataset.to_sample(t, online=options.online, data_dir=options.data_dir).metadata for t in tasks(options)]
    needs_judge = any(not row["skip_reason"] and not row["task"]["checks"] for row in rows)
    spec = judge.JudgeSpec(options.judge_model, options.judge_script)
    if needs_judge or spec.model != judge.SCRIPTED or spec.script is not None:
        judge.check(spec)  # a judge that cannot work is bad input even where no claim needs it
    if needs_judge and spec.api_key_env and not os.environ.get(spec.api_key_env):
        raise HarnessError(
            f"--judge-model {spec.model}: set {spec.api_key_env} (the judge's API key), or choose "
            f"another judge with --judge-model"
        )


@solver
def mcp_agent(request: TaskRequest) -> Solver:
    """Per sample: copy /data, then the oracle, the no-op, or the scaffold with this sample's MCP tools."""
    options = request.options
    assert isinstance(options, Options)
    reference = oracle(replay=options.replay, online=options.online)
    fixed = (
        None
        if request.agent is AgentKind.MODEL
        else agent_solver(request, suite=NAME, protocol="mcp", oracle=reference)
    )

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if state.metadata.get("skip_reason"):
            return state
        if state.metadata.get("data_dir"):
            await sandbox.copy_data(Path(state.metadata["data_dir"]))
        if fixed is not None:
            return await fixed(state, generate)
        async with connected_tools(state.metadata["agent_tools"], timeout=budgets(NAME).command_timeout) as tools:
            agent = agent_solver(
                request,
                suite=NAME,
                protocol="mcp",
                oracle=reference,
                extra_tools=list(tools.values()),
                system_prompt=SYSTEM_PROMPT,
            )
            return await agent(state, generate)

    return solve


def build_task(request: TaskRequest) -> Task:
    options = request.options
    assert isinstance(options, Options)
    if options.replay and request.agent is AgentKind.MODEL:
        raise HarnessError(
            "--replay replays the reference tool calls (oracle or noop), not a model's; drop it or "
            "use `harness validate mcp_atlas --replay`"
        )
    all_samples = samples(options)
    if options.replay:
        grader = replay_scorer()
    else:
        grader = mcp_atlas_scorer(options.judge_model, str(options.judge_script) if options.judge_script else None)
    return Task(
        name=NAME,
        dataset=MemoryDataset(all_samples, name="mcp-atlas"),
        solver=mcp_agent(request),
        scorer=grader,
        **task_limits(NAME),
    )


SUITE = SuiteDef(
    name=NAME,
    description="MCP-Atlas format tool tasks with real MCP servers in the sandbox",
    options=Options,
    build_task=build_task,
    images=images,
    protocol="mcp",
    system_prompt=SYSTEM_PROMPT,
    dataset_info=dataset_info,
)
