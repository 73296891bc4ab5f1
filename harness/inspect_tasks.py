"""inspect's entry point (`[project.entry-points.inspect_ai]`): one `@task` per suite of harness/data/suites.toml.

`inspect list tasks` shows them and `inspect eval harness/terminal_bench --model M` runs one: the suite's images
are built or pulled first, and the task carries the retry policy's generate config and hash, as `harness eval`
records them. Task args are `agent` (model, oracle or noop), `agent_name` (who drives the model, `harness agents`)
and the suite's options (`-T data=sample -T limit=2`).
Importing this module also registers the `harness/<alias>` model API (`harness.provider`), so
`--model harness/deepseek-v4-pro` runs an alias with the harness retry policy.
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task
from inspect_ai.model import GenerateConfig

from harness import provider  # noqa: F401  (registers the `harness/<alias>` model API)


def _task(suite: str, agent: str, options: dict[str, Any]) -> Task:
    from harness import images
    from harness.agent_registry import DEFAULT_AGENT, check_usable, get_agent
    from harness.policy import policy
    from harness.suite import get_suite, parse_options
    from harness.tasks import build_suite_task

    agent_name = options.pop("agent_name", DEFAULT_AGENT)  # -T agent_name=claude-code: `harness agents`
    check_usable(get_agent(agent_name), [suite])  # before any image work
    images.prepare(get_suite(suite).images(parse_options(get_suite(suite), options)))
    built = build_suite_task(suite, agent, agent_name, **options)  # a bridge agent's images after the suite's
    rp = policy()
    built.config = GenerateConfig(**rp.generate_config()).merge(built.config)
    built.metadata = {**(built.metadata or {}), "policy_hash": rp.hash}
    return built


@task
def swe_verified(agent: str = "model", **options: Any) -> Task:
    """SWE-bench Verified, graded by the swebench package (options: `harness eval --suite swe_verified --help`)."""
    return _task("swe_verified", agent, options)


@task
def terminal_bench(agent: str = "model", **options: Any) -> Task:
    """Terminal-Bench 2.0 as Harbor runs it; the bundled samples by default, `-T tasks_dir=DIR` for the full set."""
    return _task("terminal_bench", agent, options)


@task
def mcp_atlas(agent: str = "model", **options: Any) -> Task:
    """MCP-Atlas tasks with real MCP servers in the sandbox; claims judged or checked."""
    return _task("mcp_atlas", agent, options)


@task
def livecodebench(agent: str = "model", **options: Any) -> Task:
    """LiveCodeBench code generation, single turn, lcb_runner's grading rules in a sandbox."""
    return _task("livecodebench", agent, options)


@task
def swe_pro(agent: str = "model", **options: Any) -> Task:
    """SWE-bench Pro public set, graded as Scale's swe_bench_pro_eval.py (`-T scripts_dir=DIR` beyond the samples)."""
    return _task("swe_pro", agent, options)


@task
def livecodebench_agentic(agent: str = "model", **options: Any) -> Task:
    """LiveCodeBench problems with a sandbox to run code before answering (not the official protocol)."""
    return _task("livecodebench_agentic", agent, options)
