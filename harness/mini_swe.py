"""mini-swe-agent's Environment and Model on inspect: the sample's sandbox and the sample's model.

mini's `DefaultAgent` is synchronous and runs in a worker thread (`in_worker_thread`); what it calls here runs on
the sample's event loop through `LoopCalls`, so commands go to the sample's sandbox and model calls through
inspect's model for the sample (`harness/<alias>`: retry policy, guard, token and cost accounting, transcript).

- `SandboxEnvironment` is mini's `DockerEnvironment` with `docker exec` replaced by `sandbox().exec`: the same
  interpreter, cwd, env and timeout settings, stderr merged into stdout as `docker exec` does there, and mini's own
  `_check_finished` (the `COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT` sentinel line and return code 0).
- `InspectModel` speaks mini's message format as its `LitellmModel` does: mini's bash tool, its
  `parse_toolcall_actions` (a `FormatError` when a reply has no valid bash call) and
  `format_toolcall_observation_messages` with the config's templates. An assistant message keeps inspect's own
  output (`extra.response`), so the next call sends it back unchanged (reasoning blocks included).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

# mini prints a banner and reads a user .env file (which could set API keys in this process) on import
os.environ.setdefault("MSWEA_SILENT_STARTUP", "1")
os.environ.setdefault("MSWEA_GLOBAL_CONFIG_DIR", str(Path(tempfile.gettempdir()) / "harness-mini-swe-agent"))

import anyio
from anyio.from_thread import BlockingPortal
from inspect_ai.model import (
    ChatMessage,
    ChatMessageSystem,
    ChatMessageTool,
    ChatMessageUser,
    GenerateConfig,
    Model,
    ModelOutput,
)
from inspect_ai.tool import ToolInfo
from inspect_ai.util import ExecResult, sandbox
from minisweagent.config import get_config_from_spec
from minisweagent.environments.docker import DockerEnvironment
from minisweagent.exceptions import FormatError
from minisweagent.models.utils.actions_toolcall import (
    BASH_TOOL,
    format_toolcall_observation_messages,
    parse_toolcall_actions,
)
from minisweagent.models.utils.openai_multimodal import expand_multimodal_content
from pydantic import BaseModel, ConfigDict

T = TypeVar("T")

FINISH_REASONS = {"max_tokens": "length", "model_length": "length"}
"""inspect's stop reasons that OpenAI (and so mini's templates) name differently."""


def load_config(spec: str) -> dict[str, Any]:
    """One of mini's config files, by its path relative to the installed package's `minisweagent/config`."""
    return get_config_from_spec(spec)


class AgentStopped(Exception):
    """The agent phase ended (time limit, cancellation): the agent's thread makes no further call."""


class LoopCalls:
    """Runs coroutines on the sample's event loop from the agent's thread; after `stop()` it refuses them."""

    def __init__(self, portal: BlockingPortal) -> None:
        self._portal = portal
        self._stopped = threading.Event()

    def run(self, func: Callable[..., Awaitable[T]], *args: Any) -> T:
        if self._stopped.is_set():
            raise AgentStopped("the agent phase has ended")
        try:
            return self._portal.call(func, *args)
        except BaseException as ex:
            if self._stopped.is_set():  # the call was cancelled with the agent phase
                raise AgentStopped("the agent phase has ended") from ex
            raise

    def stop(self) -> None:
        self._stopped.set()


async def in_worker_thread(run: Callable[[LoopCalls], T]) -> T:
    """`run(calls)` in a worker thread of its own, its `calls` on this event loop, in this task's context (the
    sample's sandbox, transcript, usage and limits). When this task is cancelled (a time limit), the call in flight
    is cancelled with it and the thread's next call raises `AgentStopped`."""
    try:
        async with BlockingPortal() as portal:  # its calls run in this task's cancel scope
            calls = LoopCalls(portal)
            try:
                return await anyio.to_thread.run_sync(
                    partial(run, calls),
                    abandon_on_cancel=True,  # cancelled: return at once, `calls.stop()` ends the thread
                    limiter=anyio.CapacityLimiter(1),  # not inspect's shared pool, which a long agent would hold
                )
            finally:
                calls.stop()
    except BaseExceptionGroup as group:  # the portal's task group wraps what its body raised (e.g. a token limit)
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise


class SandboxEnvironmentConfig(BaseModel):
    """The settings of mini's `DockerEnvironmentConfig` that apply to a container the sample already has."""

    model_config = ConfigDict(extra="ignore")  # environment_class, image, ...: the sample's sandbox replaces them

    cwd: str = ""
    """Working directory of each command; empty: the container's own."""
    env: dict[str, str] = {}
    timeout: int = 30
    interpreter: list[str] = ["bash", "-lc"]


class SandboxEnvironment(DockerEnvironment):
    """mini's DockerEnvironment, acting on the sample's sandbox (`inspect_ai.util.sandbox()`) through `calls`."""

    def __init__(self, calls: LoopCalls, **kwargs: Any) -> None:
        self.logger = logging.getLogger("minisweagent.environment")
        self.container_id = None
        self.config = SandboxEnvironmentConfig(**kwargs)
        self._calls = calls

    def execute(self, action: dict, cwd: str = "", *, timeout: int | None = None) -> dict[str, Any]:
        command = action.get("command", "")
        try:
            result = self._calls.run(self._exec, command, cwd or self.config.cwd, timeout or self.config.timeout)
            output: dict[str, Any] = {"output": result.stdout, "returncode": result.returncode, "exception_info": ""}
        except AgentStopped:
            raise
        except Exception as e:  # as DockerEnvironment reports a timeout or a failed `docker exec`
            output = {
                "output": "",
                "returncode": -1,
                "exception_info": f"An error occurred while executing the command: {e}",
                "extra": {"exception_type": type(e).__name__, "exception": str(e)},
            }
        self._check_finished(output)
        return output

    async def _exec(self, command: str, cwd: str, timeout: int) -> ExecResult[str]:
        # `docker exec` there merges stderr into stdout (subprocess stderr=STDOUT); `sh` does it here, in order
        merged = ["sh", "-c", '"$@" 2>&1', "sh", *self.config.interpreter, command]
        return await sandbox().exec(merged, cwd=cwd or None, env=self.config.env, timeout=timeout)

    def cleanup(self) -> None:
        """Nothing to remove: the sandbox is the sample's, and inspect removes it."""


class InspectModelConfig(BaseModel):
    """The settings of mini's `LitellmModelConfig` that apply to inspect's model."""

    model_config = ConfigDict(extra="ignore")  # model_name: the harness's model replaces it

    observation_template: str
    format_error_template: str
    model_kwargs: dict[str, Any] = {}
    """Only `parallel_tool_calls` reaches inspect (`drop_params` and the like are litellm's own)."""
    multimodal_regex: str = ""


BASH_TOOL_INFO = ToolInfo.model_validate(
    {
        "name": BASH_TOOL["function"]["name"],
        "description": BASH_TOOL["function"]["description"],
        "parameters": BASH_TOOL["function"]["parameters"],
    }
)
"""mini's one tool, as inspect describes tools to a provider."""


class InspectModel:
    """mini's Model protocol on an inspect model, in the message format of mini's LitellmModel."""

    def __init__(self, model: Model, calls: LoopCalls, **kwargs: Any) -> None:
        self.config = InspectModelConfig(**kwargs)
        self._model = model
        self._calls = calls
        parallel = self.config.model_kwargs.get("parallel_tool_calls")
        self._generate_config = GenerateConfig(parallel_tool_calls=parallel)

    def query(self, messages: list[dict], **kwargs: Any) -> dict:
        output = self._calls.run(self._generate, to_inspect(messages))
        response = output.model_dump(mode="json")
        # the harness prices every call from its own tables (harness.cost); mini's cost_limit is off (agents.toml)
        accounting = {"cost": 0.0}
        try:
            actions = parse_toolcall_actions(
                mini_tool_calls(output),
                format_error_template=self.config.format_error_template,
                template_kwargs={"finish_reason": FINISH_REASONS.get(output.stop_reason, output.stop_reason)},
            )
        except FormatError as e:
            e.messages[0]["extra"].update(accounting, response=response)
            raise
        message = assistant_message(output)
        message["extra"] = {"actions": actions, "response": response, **accounting, "timestamp": time.time()}
        return message

    async def _generate(self, messages: list[ChatMessage]) -> ModelOutput:
        return await self._model.generate(messages, tools=[BASH_TOOL_INFO], config=self._generate_config)

    def format_message(self, **kwargs: Any) -> dict:
        return expand_multimodal_content(kwargs, pattern=self.config.multimodal_regex)

    def format_observation_messages(
        self, message: dict, outputs: list[dict], template_vars: dict | None = None
    ) -> list[dict]:
        return format_toolcall_observation_messages(
            actions=message.get("extra", {}).get("actions", []),
            outputs=outputs,
            observation_template=self.config.observation_template,
            template_vars=template_vars,
            multimodal_regex=self.config.multimodal_regex,
        )

    def get_template_vars(self, **kwargs: Any) -> dict[str, Any]:
        return self.config.model_dump()

    def serialize(self) -> dict:
        return {
            "info": {
                "config": {
                    "model": {**self.config.model_dump(mode="json"), "model_name": self._model.name},
                    "model_type": f"{self.__class__.__module__}.{self.__class__.__name__}",
                }
            }
        }


def mini_tool_calls(output: ModelOutput) -> list[SimpleNamespace]:
    """The reply's tool calls in the shape mini's `parse_toolcall_actions` reads (OpenAI's: JSON arguments)."""
    return [
        SimpleNamespace(
            id=call.id,
            # an unparseable argument string stays unparseable, so mini reports it as its own format error
            function=SimpleNamespace(name=call.function, arguments=call.parse_error or json.dumps(call.arguments)),
        )
        for call in output.message.tool_calls or []
    ]


def assistant_message(output: ModelOutput) -> dict:
    """The reply as mini keeps it (an OpenAI chat message)."""
    calls = mini_tool_calls(output)
    return {
        "role": "assistant",
        "content": output.message.text or None,
        "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.function.name, "arguments": c.function.arguments}}
            for c in calls
        ]
        or None,
    }


def to_inspect(messages: list[dict]) -> list[ChatMessage]:
    """mini's history as inspect messages: an assistant message is inspect's own output, sent back unchanged."""
    converted: list[ChatMessage] = []
    for message in messages:
        role = message["role"]
        if role == "system":
            converted.append(ChatMessageSystem(content=message["content"]))
        elif role == "user":
            converted.append(ChatMessageUser(content=message["content"]))
        elif role == "assistant":
            converted.append(ModelOutput.model_validate(message["extra"]["response"]).message)
        elif role == "tool":
            converted.append(
                ChatMessageTool(content=message["content"], tool_call_id=message["tool_call_id"], function="bash")
            )
        else:
            raise ValueError(f"mini-swe-agent message with role {role!r} cannot be sent to a model")
    return converted
