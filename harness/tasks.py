"""The inspect task every suite runs through, registered so eval logs carry the suite, agent and options.

The task's metadata carries the scaffold hash, so a log read on its own still says which scaffold produced it.
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task

from harness.suite import AgentKind, TaskRequest, get_suite, parse_options


def build_suite_task(suite: str, agent: str = "model", **options: Any) -> Task:
    """`suite`'s task for `agent` (model, oracle or noop) with the suite's validated options."""
    definition = get_suite(suite)
    request = TaskRequest(options=parse_options(definition, options), agent=AgentKind(agent))
    built = definition.build_task(request)
    built.metadata = {**(built.metadata or {}), "scaffold_hash": definition.scaffold_hash()}
    return built


@task
def suite_task(suite: str, agent: str = "model", **options: Any) -> Task:
    """Build `suite`'s task for `agent` (model, oracle or noop) with the suite's validated options."""
    return build_suite_task(suite, agent, **options)
