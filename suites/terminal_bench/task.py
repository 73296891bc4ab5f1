"""The Terminal-Bench suite: Harbor task directories run in their own environments, scored by their verifiers."""

from __future__ import annotations

from pathlib import Path

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset

from harness.agents import agent_solver
from harness.images import ImageSpec
from harness.scaffold import task_limits
from harness.suite import SuiteDef, SuiteOptions, TaskRequest
from suites.terminal_bench import sandbox
from suites.terminal_bench.dataset import SAMPLES_DIR, TbTask, load_tasks, to_sample
from suites.terminal_bench.oracle import oracle
from suites.terminal_bench.scorer import verifier

NAME = "terminal_bench"


class Options(SuiteOptions):
    tasks_dir: Path | None = None
    """A directory of Harbor-format tasks (e.g. a terminal-bench-2 checkout); default: the bundled samples."""


def tasks(options: Options) -> list[TbTask]:
    found = load_tasks(options.tasks_dir or SAMPLES_DIR)
    return found[: options.limit] if options.limit else found


def images(options: Options) -> list[ImageSpec]:
    return [sandbox.image(t) for t in tasks(options) if not t.config.environment.docker_image]


def build_task(request: TaskRequest) -> Task:
    options = request.options
    assert isinstance(options, Options)
    samples = []
    for t in tasks(options):
        sample = to_sample(t)
        sample.sandbox = sandbox.spec(t)
        samples.append(sample)
    return Task(
        name=NAME,
        dataset=MemoryDataset(samples, name="terminal-bench-samples"),
        solver=agent_solver(request, suite=NAME, protocol="shell", oracle=oracle()),
        scorer=verifier(),
        **task_limits(NAME),
    )


SUITE = SuiteDef(name=NAME, description="Terminal-Bench 2.0 (Harbor task format)", options=Options,
                 build_task=build_task, images=images)
