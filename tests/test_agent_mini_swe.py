"""mini-swe-agent's Model and Environment on inspect, against mini's own expectations; its config and version pin;
a time limit stops its worker thread. (End to end in Docker: test_agent_mini_swe_docker.py.)"""

from __future__ import annotations

import threading
import time
from typing import Any

import anyio
import pytest
from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageAssistant, ChatMessageTool, ModelOutput, get_model
from inspect_ai.tool import ToolCall
from inspect_ai.util import ExecResult, LimitExceededError
from minisweagent.exceptions import FormatError, Submitted

from harness import agent_mini_swe, agent_registry
from harness.agent_registry import check_applies, get_agent
from harness.errors import HarnessError
from harness.mini_swe import InspectModel, LoopCalls, SandboxEnvironment, load_config, to_inspect

SWE = load_config("benchmarks/swebench.yaml")


class Immediate(LoopCalls):
    """LoopCalls that answers every call with the next canned result (no event loop)."""

    def __init__(self, *results: Any) -> None:
        super().__init__(portal=None)  # type: ignore[arg-type]
        self.results = list(results)
        self.calls: list[tuple] = []

    def run(self, func, *args):  # type: ignore[no-untyped-def]
        self.calls.append(args)
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result


def tool_reply(*commands: str, text: str = "THOUGHT: look") -> ModelOutput:
    """A reply with `text` and one bash call per command."""
    calls = [ToolCall(id=f"call-{i}", function="bash", arguments={"command": c}) for i, c in enumerate(commands)]
    return ModelOutput.from_message(ChatMessageAssistant(content=text, tool_calls=calls, model="m"))


def test_query_gives_mini_its_actions_and_the_history_goes_back_unchanged() -> None:
    reply = tool_reply("ls", "cat README")
    model = InspectModel(get_model("mockllm/model"), Immediate(reply), **SWE["model"])
    message = model.query([{"role": "system", "content": "s"}, {"role": "user", "content": "task"}])
    assert message["role"] == "assistant" and message["content"] == "THOUGHT: look"
    assert [a["command"] for a in message["extra"]["actions"]] == ["ls", "cat README"]
    assert [c["function"]["name"] for c in message["tool_calls"]] == ["bash", "bash"]

    outputs = [{"output": "a.py\n", "returncode": 0, "exception_info": ""}]  # the second action never ran
    observations = model.format_observation_messages(message, outputs, {})
    sent = to_inspect([{"role": "system", "content": "s"}, message, *observations])
    assert isinstance(sent[1], ChatMessageAssistant) and sent[1] == reply.message
    tools = [m for m in sent if isinstance(m, ChatMessageTool)]
    assert [t.tool_call_id for t in tools] == [a["tool_call_id"] for a in message["extra"]["actions"]]
    assert "<returncode>0</returncode>" in tools[0].text and "a.py" in tools[0].text  # swebench.yaml's template
    assert "action was not executed" in tools[1].text


def test_a_reply_without_a_bash_call_is_mini_format_error() -> None:
    model = InspectModel(get_model("mockllm/model"), Immediate(ModelOutput.from_content("m", "done!")), **SWE["model"])
    with pytest.raises(FormatError) as caught:
        model.query([{"role": "user", "content": "task"}])
    (message,) = caught.value.messages
    assert message["role"] == "user" and "No tool calls found in the response" in message["content"]
    assert message["extra"]["response"]["choices"][0]["message"]["content"] == "done!"

    unknown = ModelOutput.for_tool_call("m", "python", {"code": "1"})
    model = InspectModel(get_model("mockllm/model"), Immediate(unknown), **SWE["model"])
    with pytest.raises(FormatError) as caught:
        model.query([{"role": "user", "content": "task"}])
    assert "Unknown tool 'python'" in caught.value.messages[0]["content"]


def test_environment_runs_mini_settings_and_its_submission_protocol() -> None:
    calls = Immediate(
        ExecResult(True, 0, "hello\n", ""),
        TimeoutError("Command timed out"),
        ExecResult(True, 0, "COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT\ndiff --git a/x b/x\n", ""),
        ExecResult(False, 1, "COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT\n", ""),
    )
    env = SandboxEnvironment(calls, **SWE["environment"])
    assert env.execute({"command": "echo hello"}) == {"output": "hello\n", "returncode": 0, "exception_info": ""}
    assert calls.calls[0] == ("echo hello", "/testbed", 60)
    timed_out = env.execute({"command": "sleep 100"})
    assert timed_out["returncode"] == -1 and "timed out" in timed_out["exception_info"]
    with pytest.raises(Submitted) as caught:
        env.execute({"command": "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && cat patch.txt"})
    assert caught.value.messages[0]["extra"]["submission"] == "diff --git a/x b/x\n"
    assert env.execute({"command": "false"})["returncode"] == 1  # the sentinel with a failing command: no submit


def test_config_per_suite_with_the_harness_budgets() -> None:
    agent = get_agent("mini-swe-agent")
    swe = agent_mini_swe.mini_config(agent, "swe_verified")
    assert swe["agent"]["step_limit"] == 250 and swe["agent"]["cost_limit"] == 0
    assert swe["environment"]["cwd"] == "/testbed" and swe["environment"]["interpreter"] == ["bash", "-c"]
    assert swe["agent"]["instance_template"] == SWE["agent"]["instance_template"]
    pro = agent_mini_swe.mini_config(agent, "swe_pro")
    assert pro["environment"]["cwd"] == "/app" and "/testbed" not in pro["agent"]["instance_template"]
    tb = agent_mini_swe.mini_config(agent, "terminal_bench")
    assert tb["agent"]["step_limit"] == 300 and tb["environment"]["cwd"] == ""
    assert tb["agent"]["system_template"] == load_config("mini.yaml")["agent"]["system_template"]
    for suite in ("mcp_atlas", "livecodebench", "livecodebench_agentic"):
        with pytest.raises(HarnessError, match=f"cannot run suite {suite}: "):
            check_applies(agent, suite)


def test_installed_version_must_be_the_pin(monkeypatch) -> None:
    agent = get_agent("mini-swe-agent")
    agent_registry.check_installed(agent)
    monkeypatch.setattr(agent_registry.importlib.metadata, "version", lambda name: "2.5.0")
    with pytest.raises(HarnessError) as caught:
        agent_registry.check_installed(agent)
    assert str(caught.value) == (
        "--agent mini-swe-agent: mini-swe-agent 2.5.0 is installed but agents.toml pins 2.4.6; "
        "pip install 'mini-swe-agent==2.4.6'"
    )


def test_the_agents_extra_installs_the_pinned_version() -> None:
    import tomllib
    from pathlib import Path

    agent = get_agent("mini-swe-agent")
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert f"mini-swe-agent=={agent.version}" in pyproject["project"]["optional-dependencies"]["agents"]


def test_time_limit_stops_the_agent_thread(monkeypatch, tmp_path) -> None:
    ended = threading.Event()
    seconds: list[float] = []
    run = agent_mini_swe._run

    def tracked(*args: Any) -> dict:
        started = time.monotonic()
        try:
            return run(*args)
        finally:
            seconds.append(time.monotonic() - started)
            ended.set()

    async def slow_exec(self: SandboxEnvironment, command: str, cwd: str, timeout: int) -> ExecResult[str]:
        await anyio.sleep(30)  # a long command (inspect's local sandbox itself does not stop at a time limit)
        return ExecResult(True, 0, "", "")

    class Model:
        name = "stub"
        calls = 0

        async def generate(self, *args: Any, **kwargs: Any) -> ModelOutput:
            Model.calls += 1
            return tool_reply("sleep 30")

    monkeypatch.setattr(agent_mini_swe, "_run", tracked)
    monkeypatch.setattr(SandboxEnvironment, "_exec", slow_exec)
    monkeypatch.setattr(agent_mini_swe, "get_model", Model)
    config = agent_mini_swe.mini_config(get_agent("mini-swe-agent"), "terminal_bench")
    task = Task(
        dataset=[Sample(input="wait")],
        solver=agent_mini_swe.mini_swe_agent("terminal_bench", config),
        sandbox="local",
        time_limit=2,
    )
    (log,) = eval(task, model="mockllm/model", log_dir=str(tmp_path), display="none")
    assert ended.wait(5) and seconds[0] < 15  # the thread stopped once the command in flight was cancelled
    (sample,) = log.samples or []
    assert sample.limit is not None and sample.limit.type == "time" and sample.error is None
    assert Model.calls == 1


def test_a_token_limit_in_a_model_call_ends_the_sample_as_a_limit(monkeypatch, tmp_path) -> None:
    class Model:
        name = "stub"

        async def generate(self, *args: Any, **kwargs: Any) -> ModelOutput:
            raise LimitExceededError("token", value=11, limit=10)

    monkeypatch.setattr(agent_mini_swe, "get_model", Model)
    config = agent_mini_swe.mini_config(get_agent("mini-swe-agent"), "terminal_bench")
    task = Task(dataset=[Sample(input="x")], solver=agent_mini_swe.mini_swe_agent("terminal_bench", config))
    (log,) = eval(task, model="mockllm/model", log_dir=str(tmp_path), display="none")
    (sample,) = log.samples or []
    assert sample.limit is not None and sample.limit.type == "token" and sample.error is None
