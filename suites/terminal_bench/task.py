"""The Terminal-Bench suite: task directories run as Harbor trials (environment, agent phase, verifier).

Each sample is one task; `--epochs`/`--trials` k gives k trials per task, each in a fresh environment (inspect
starts a new sandbox per epoch). The score is the mean reward over tasks x trials; `harness report` gives both
denominators, the 95% CI and every trial with a Harbor error class (`attempt_columns`).
"""

from __future__ import annotations

import fnmatch
import sys
from pathlib import Path
from typing import Any

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset
from pydantic import Field

from harness import build_failures, shard
from harness.agents import agent_solver
from harness.errors import HarnessError
from harness.images import ImageBuild, ImageSpec
from harness.scaffold import task_limits
from harness.suite import NameList, SuiteDef, SuiteOptions, TaskRequest
from suites.terminal_bench import sandbox
from suites.terminal_bench.agent import agent_phase
from suites.terminal_bench.dataset import (
    SAMPLES_DIR,
    TbTask,
    git_revision,
    infer_version,
    load_tasks,
    to_sample,
    tree_digest,
)
from suites.terminal_bench.oracle import oracle
from suites.terminal_bench.scorer import ENVIRONMENT_ERROR, verifier

NAME = "terminal_bench"
LEADERBOARD_MULTIPLIER = 1.0


class Options(SuiteOptions):
    tasks_dir: Path | None = None
    """A directory of tasks (e.g. a terminal-bench-2 checkout), or one task; default: the bundled samples."""
    task_names: NameList | None = None
    """Only tasks whose name matches one of these glob patterns (comma-separated on the command line)."""
    timeout_multiplier: float = Field(default=LEADERBOARD_MULTIPLIER, gt=0)
    """Scales the agent, verifier and build timeouts (Harbor's --timeout-multiplier); the leaderboard needs 1.0."""
    force_build: bool = False
    """Build environment/Dockerfile even where task.toml names a prebuilt docker_image (Harbor's --force-build)."""
    allow_task_privileges: bool = False
    """Accept task compose files that ask for privileges (privileged, cap_add, unconfined security_opt, ...;
    privileges.toml); refused by default."""
    dataset_name: str = "terminal-bench"
    """Recorded in the manifest."""
    dataset_version: str | None = None
    """Recorded in the manifest (2.0, 2.1, ...); default: read from the tasks directory's name."""


def tasks(options: Options) -> list[TbTask]:
    if options.tasks_dir is None and options.data == "full":
        raise HarnessError(
            "suite terminal_bench: --data full needs --tasks-dir <a terminal-bench-2 checkout> "
            "(the harness does not download tasks)"
        )
    found = load_tasks(options.tasks_dir or SAMPLES_DIR)
    if options.task_names:
        found = [t for t in found if any(fnmatch.fnmatchcase(t.name, p) for p in options.task_names)]
        if not found:
            raise HarnessError(f"suite terminal_bench: --task-names {','.join(options.task_names)} matches no task")
    found = found[: options.limit] if options.limit else found
    return shard.select(found, options.shard, key=lambda t: t.name)  # only this shard's images are built


def build_policy(options: Options) -> sandbox.BuildPolicy:
    return sandbox.BuildPolicy(
        timeout_multiplier=options.timeout_multiplier,
        force_build=options.force_build,
        allow_privileges=options.allow_task_privileges,
    )


def images(options: Options) -> list[ImageSpec]:
    specs: dict[str, ImageSpec] = {}
    for task in tasks(options):
        for spec in sandbox.images(task, build_policy(options)):
            specs.setdefault(getattr(spec, "tag", None) or getattr(spec, "ref", ""), spec)
    return list(specs.values())


def dataset_info(options: Options) -> dict[str, Any]:
    found = tasks(options)
    root = options.tasks_dir or SAMPLES_DIR
    return {
        "name": options.dataset_name if options.tasks_dir else "terminal-bench-samples",
        "version": options.dataset_version or (infer_version(root.resolve()) if options.tasks_dir else "bundled"),
        "path": str(root.resolve()),
        "git_revision": git_revision(root),
        "digest": tree_digest(found),
        "n_tasks": len(found),
        "formats": sorted({t.format for t in found}),
        "timeout_multiplier": options.timeout_multiplier,
        "leaderboard_timeouts": options.timeout_multiplier == LEADERBOARD_MULTIPLIER,
    }


def trial_metadata(task: TbTask, policy: sandbox.BuildPolicy) -> dict[str, Any]:
    multiplier = policy.timeout_multiplier
    return {
        "agent_timeout_sec": task.config.agent.timeout_sec * multiplier,
        "verifier_timeout_sec": task.config.verifier.timeout_sec * multiplier,
        "timeout_multiplier": multiplier,
        "environment": sandbox.describe(task, policy),
    }


def attempt_columns(meta: dict[str, Any]) -> dict[str, Any]:
    """Results-table columns of one trial: its Harbor error class (errors.toml) and whether the agent timed out."""
    return {"trial_error": meta.get("trial_error"), "agent_timed_out": bool(meta.get("agent_timed_out"))}


def environment_error(task: TbTask, policy: sandbox.BuildPolicy) -> str | None:
    """Why the task's environment could not be built in this run (the build log's tail), or None."""
    for spec in sandbox.images(task, policy):
        if isinstance(spec, ImageBuild) and (message := build_failures.failure(spec.tag)):
            return message
    return None


def build_task(request: TaskRequest) -> Task:
    options = request.options
    assert isinstance(options, Options)
    if options.timeout_multiplier != LEADERBOARD_MULTIPLIER:
        print(
            f"[terminal_bench] timeout_multiplier {options.timeout_multiplier:g}: not a leaderboard-valid run "
            "(the leaderboard requires 1.0)",
            file=sys.stderr,
        )
    samples = []
    for task in tasks(options):
        sample = to_sample(task)
        sample.metadata = {**(sample.metadata or {}), **trial_metadata(task, build_policy(options))}
        if error := environment_error(task, build_policy(options)):
            sample.metadata[ENVIRONMENT_ERROR] = error  # no sandbox: the trial is recorded as an error row
        else:
            sample.sandbox = sandbox.spec(task, build_policy(options))
        samples.append(sample)
    solver = agent_solver(request, suite=NAME, protocol="shell", oracle=oracle())
    return Task(
        name=NAME,
        dataset=MemoryDataset(samples, name=NAME),
        solver=agent_phase(solver),
        scorer=verifier(),
        **task_limits(NAME),
    )


SUITE = SuiteDef(
    name=NAME,
    description="Terminal-Bench 2.0 (Harbor task format; TB1 tasks too)",
    options=Options,
    build_task=build_task,
    images=images,
    dataset_info=dataset_info,
    attempt_columns=attempt_columns,
    build_failures="record",
)
