"""The inspect task every suite runs through, registered so eval logs carry the suite, agent and options.

The task's metadata carries the scaffold hash, the agent (name, version, config hash; for a bridge agent the images
with its CLI, `harness.agent_images`) and the retry policy hash, so a log read on its own still says which
scaffold, agent and policy produced it, whether it was run by `harness eval` or `inspect eval`.
`--shard K/N` is applied here to every suite's samples (`harness.shard`), whatever the suite did itself.
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import Sample

from harness import agent_images
from harness.agent_registry import DEFAULT_AGENT, agent_scaffold_hash, check_usable, get_agent
from harness.errors import HarnessError
from harness.policy import policy
from harness.shard import parse as parse_shard
from harness.suite import AgentKind, TaskRequest, get_suite, parse_options


def build_suite_task(suite: str, agent: str = "model", agent_name: str = DEFAULT_AGENT, **options: Any) -> Task:
    """`suite`'s task for `agent` (model, oracle or noop) driven by `agent_name` (`harness agents`; the fixed
    scaffold by default), with the suite's validated options."""
    definition = get_suite(suite)
    driver = get_agent(agent_name)
    check_usable(driver, [suite])
    parsed = parse_options(definition, options)
    # the whole selection, then this shard of it (a shard may hold none of a small selection: inspect refuses an
    # empty dataset, the run skips the task)
    built = definition.build_task(
        TaskRequest(options=parsed.model_copy(update={"shard": None}), agent=AgentKind(agent), agent_name=driver.name)
    )
    if parsed.shard:
        wanted = parse_shard(parsed.shard)
        built.dataset = built.dataset.filter(lambda sample: wanted.holds(_sample_id(suite, sample)))
    built.metadata = {
        **(built.metadata or {}),
        "scaffold_hash": agent_scaffold_hash(driver, suite, definition.scaffold_hash()),
        **driver.provenance(),
        "policy_hash": policy().hash,
    }
    if driver.kind == "bridge" and AgentKind(agent) is AgentKind.MODEL:  # the CLI in every sandbox it acts in
        built.metadata["agent_images"] = agent_images.install(built, driver)
    return built


def _sample_id(suite: str, sample: Sample) -> str | int:
    if sample.id is None:
        raise HarnessError(f"suite {suite}: --shard needs an id on every sample; the suite's dataset has none")
    return sample.id


@task
def suite_task(suite: str, agent: str = "model", agent_name: str = DEFAULT_AGENT, **options: Any) -> Task:
    """Build `suite`'s task for `agent` (model, oracle or noop) driven by `agent_name`, with the suite's options."""
    return build_suite_task(suite, agent, agent_name, **options)
