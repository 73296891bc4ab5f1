"""The inspect task every suite runs through, registered so eval logs carry the suite, agent and options.

The task's metadata carries the scaffold hash and the retry policy hash, so a log read on its own still says which
scaffold and policy produced it, whether it was run by `harness eval` or `inspect eval`.
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task

from harness.policy import policy
from harness.suite import AgentKind, TaskRequest, get_suite, parse_options


def build_suite_task(suite: str, agent: str = "model", **options: Any) -> Task:
    """`suite`'s task for `agent` (model, oracle or noop) with the suite's validated options."""
    definition = get_suite(suite)
    request = TaskRequest(options=parse_options(definition, options), agent=AgentKind(agent))
    built = definition.build_task(request)
    built.metadata = {
        **(built.metadata or {}),
        "scaffold_hash": definition.scaffold_hash(),
        "policy_hash": policy().hash,
    }
    return built


@task
def suite_task(suite: str, agent: str = "model", **options: Any) -> Task:
    """Build `suite`'s task for `agent` (model, oracle or noop) with the suite's validated options."""
    return build_suite_task(suite, agent, **options)
