"""Bridge agents without Docker: what gets installed (pinned npm tarballs with integrity), the layered image specs,
how sandboxes are pointed at them, and what the solver refuses."""

from __future__ import annotations

import pytest
from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample

from harness import agent_images
from harness.agent_bridge import solver
from harness.agent_registry import agents, get_agent
from harness.errors import HarnessError
from harness.sandbox import SandboxLimits, agent_and_eval_spec

BRIDGE = ["claude-code", "codex-cli"]


@pytest.mark.parametrize("name", BRIDGE)
def test_bridge_agents_install_a_pinned_npm_tarball_without_web_search(name: str) -> None:
    agent = get_agent(name)
    assert agent.kind == "bridge" and agent.module == "harness.agent_bridge" and agent.install is not None
    assert agent.install.tarball.startswith("https://registry.npmjs.org/")
    assert f"-{agent.version}" in agent.install.tarball and agent.install.integrity.startswith("sha512-")
    assert "livecodebench" in agent.refused and "mcp_atlas" in agent.suites
    assert agent.config.get("web_search") == "disabled" or "WebSearch" in agent.config.get("disallowed_tools", [])


def test_only_bridge_agents_install_anything() -> None:
    assert [a.name for a in agents().values() if a.install is not None] == BRIDGE
    with pytest.raises(HarnessError, match="not a bridge agent"):
        agent_images.tools_image(get_agent("harness"))


def test_layered_image_builds_from_the_task_image_and_the_tools_image() -> None:
    agent = get_agent("claude-code")
    spec = agent_images.layered_image(agent, "registry.example.com:5000/swebench/sweb.eval.x86_64.a:latest", "t:h1")
    assert spec.name == "harness-claude-code/swebench/sweb.eval.x86_64.a"
    assert spec.build_args["TASK_IMAGE"].endswith("sweb.eval.x86_64.a:latest")
    assert spec.build_args["AGENT_TOOLS"] == "t:h1" and spec.build_args["COMMAND"] == "claude"
    assert "glibc" in spec.build_args["REFUSAL"] and "another agent" in spec.build_args["REFUSAL"]


def test_only_the_agent_container_is_pointed_at_the_layered_image() -> None:
    spec = agent_and_eval_spec("task:h1", SandboxLimits(), SandboxLimits())
    task = Task(dataset=MemoryDataset([Sample(input="x", sandbox=spec), Sample(input="y")]))
    pointed = agent_images._pointed(spec, {"task:h1": "harness-codex-cli/task:h2"})
    assert pointed.config.services["default"].image == "harness-codex-cli/task:h2"
    assert pointed.config.services["eval"].image == "task:h1"  # grading keeps the task image
    assert spec.config.services["default"].image == "task:h1"  # the original spec is not changed
    assert agent_images._default_image(task.dataset[1].sandbox) is None


def test_the_solver_refuses_single_turn_suites() -> None:
    with pytest.raises(HarnessError, match="single-turn"):
        solver(get_agent("claude-code"), suite="livecodebench", protocol="single_turn")


def test_bridge_agents_refuse_k8s_before_any_image_work(monkeypatch, results_dir) -> None:
    from harness.run import EvalRequest, run_eval

    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-fake")
    request = EvalRequest(model="deepseek-v4-pro", suites=["terminal_bench"], agent="codex-cli", sandbox="k8s")
    with pytest.raises(HarnessError, match="--agent codex-cli: bridge agents run with --sandbox docker only"):
        run_eval(request)
    assert not (results_dir / "runs").exists()
