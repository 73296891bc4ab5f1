"""`--agent mini-swe-agent`: mini-swe-agent's own DefaultAgent and config, on the sample's sandbox and model.

As SWE-bench's bash-only leaderboard runs it: mini on the host with `benchmarks/swebench.yaml` (system and
instance templates, one bash tool, every command in a fresh `bash -c` in the task container, the submission
sentinel), and the problem statement as its task. Terminal-Bench gets mini's `mini.yaml`, the config of the `mini`
command that Harbor's mini-swe-agent agent runs (agents.toml `config.configs`). The classes acting on inspect are in
harness.mini_swe.

Budgets: mini's `step_limit` is the suite's turn budget (scaffold.toml `max_steps`), and a run that reaches it ends
as an inspect `turn` limit; its `cost_limit` is off (agents.toml `cost_limit`: the harness prices and budgets the
calls itself). inspect's time and token limits bind too: on a time limit the calls in flight are cancelled and the
agent's thread stops before its next command or model call.

On the repository suites the graded patch is mini's submission (`repo_agent.SUBMITTED_PATCH`), as on the
leaderboard; empty when mini did not submit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from inspect_ai.log import transcript
from inspect_ai.model import Model, get_model
from inspect_ai.solver import Generate, Solver, TaskState
from inspect_ai.solver import solver as inspect_solver
from inspect_ai.tool import Tool, ToolSource
from inspect_ai.util import LimitExceededError
from pydantic import BaseModel, ConfigDict

from harness.agent_registry import AGENTS_FILE, AgentDef
from harness.errors import HarnessError
from harness.repo_agent import SUBMITTED_PATCH
from harness.scaffold import budgets

if TYPE_CHECKING:
    from harness.mini_swe import LoopCalls

MINI_STATE = "harness:mini_swe_agent"
"""Sample store key: mini's exit status, submission and model-call count (its messages become the sample's)."""


class MiniSettings(BaseModel):
    """agents.toml `[mini-swe-agent.config]`."""

    model_config = ConfigDict(extra="forbid")

    configs: dict[str, str]
    """Suite -> mini's config file (relative to the installed package's `minisweagent/config`)."""
    cost_limit: float
    """mini's per-instance dollar limit; 0 turns it off."""


@dataclass(frozen=True)
class SuiteSetup:
    """What mini is given in a suite: its `{{task}}`, the commands' working directory, whether it submits a patch."""

    task: Callable[[TaskState], str]
    cwd: Callable[[], str]
    """Empty: the container's own working directory."""
    submits_patch: bool


def _swe_verified_task(state: TaskState) -> str:
    return str(state.metadata["instance"]["problem_statement"])


def _swe_pro_task(state: TaskState) -> str:
    from suites.swe_pro.dataset import Instance, task_text

    return task_text(Instance.model_validate(state.metadata["instance"]))


def _swe_verified_cwd() -> str:
    from suites.swe_verified.config import settings

    return settings().sandbox.workdir


def _swe_pro_cwd() -> str:
    from suites.swe_pro.config import settings

    return settings().sandbox.workdir


SUITES = {
    "swe_verified": SuiteSetup(_swe_verified_task, _swe_verified_cwd, submits_patch=True),
    "swe_pro": SuiteSetup(_swe_pro_task, _swe_pro_cwd, submits_patch=True),
    "terminal_bench": SuiteSetup(lambda state: state.input_text, lambda: "", submits_patch=False),
}

LEADERBOARD_CWD = "/testbed"
"""The repository directory swebench.yaml names in its prompt and environment."""


def mini_config(agent: AgentDef, suite: str) -> dict[str, Any]:
    """mini's config for `suite` (agent, environment and model sections) with the harness's budgets applied."""
    from harness.mini_swe import load_config  # imports mini-swe-agent quietly

    try:
        settings = MiniSettings.model_validate(agent.config)
    except ValueError as ex:
        raise HarnessError(f"{AGENTS_FILE}: [{agent.name}.config]: {ex}") from ex
    if suite not in settings.configs or suite not in SUITES:
        raise HarnessError(f"{AGENTS_FILE}: [{agent.name}.config] configs has no mini config for suite {suite}")
    config = load_config(settings.configs[suite])
    cwd = SUITES[suite].cwd()
    agent_section = {
        **config["agent"],
        "step_limit": budgets(suite).max_steps,
        "cost_limit": settings.cost_limit,
        "output_path": None,
    }
    if cwd and cwd != LEADERBOARD_CWD:  # e.g. SWE-bench Pro's /app: the prompt names the directory the repo is in
        agent_section["instance_template"] = agent_section["instance_template"].replace(LEADERBOARD_CWD, cwd)
    return {
        "agent": agent_section,
        "environment": {**config.get("environment", {}), "cwd": cwd},
        "model": config["model"],
    }


def solver(
    agent: AgentDef,
    *,
    suite: str,
    protocol: str,
    extra_tools: Sequence[Tool | ToolSource] = (),
    system_prompt: str | None = None,
) -> Solver:
    """The agent's entry point (harness.agents.agent_solver); its pin is checked by harness.tasks."""
    if extra_tools:
        raise HarnessError(f"--agent {agent.name}: suite {suite} gives the agent tools; mini-swe-agent has only bash")
    return mini_swe_agent(suite=suite, config=mini_config(agent, suite))


@inspect_solver
def mini_swe_agent(suite: str, config: dict[str, Any]) -> Solver:
    """mini's DefaultAgent with `config` on the sample's sandbox and model."""
    setup = SUITES[suite]

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        from harness.mini_swe import in_worker_thread, to_inspect  # imports mini-swe-agent, its pin checked

        if setup.submits_patch:
            state.store.set(SUBMITTED_PATCH, "")  # nothing submitted (yet): an empty patch, as on the leaderboard
        info = await in_worker_thread(partial(_run, config, get_model(), setup.task(state)))
        state.messages = to_inspect([m for m in info.pop("messages") if m["role"] != "exit"])  # the log's view
        state.store.set(MINI_STATE, info)
        transcript().info(f"mini-swe-agent: {info['exit_status']} after {info['n_calls']} model calls")
        if info["exit_status"] == "Submitted" and setup.submits_patch:
            state.store.set(SUBMITTED_PATCH, info["submission"])
        if info["exit_status"] == "LimitsExceeded":
            limit = config["agent"]["step_limit"]
            raise LimitExceededError(
                "turn", value=info["n_calls"], limit=limit, message=f"mini-swe-agent reached its step limit ({limit})"
            )
        return state

    return solve


def _run(config: dict[str, Any], model: Model, task: str, calls: LoopCalls) -> dict[str, Any]:
    """Run mini's DefaultAgent (in the worker thread): its exit status, submission and model calls."""
    from minisweagent.agents.default import DefaultAgent

    from harness.mini_swe import InspectModel, SandboxEnvironment

    agent = DefaultAgent(
        InspectModel(model, calls, **config["model"]),
        SandboxEnvironment(calls, **config["environment"]),
        **config["agent"],
    )
    info = agent.run(task)
    return {
        "exit_status": info.get("exit_status"),
        "submission": info.get("submission", ""),
        "n_calls": agent.n_calls,
        "messages": agent.messages,
    }
