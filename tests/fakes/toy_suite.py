"""A suite with no sandbox for run-level tests (retry policy, cost cap, stop-run, resume) without Docker.

Samples ask for a sum; the scaffold's MCP protocol gets one Python tool, `add`; the answer is scored with the
harness verdict. `use_toy_suite(monkeypatch)` registers it as suite `toy` with small budgets.
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import Score, Target, accuracy, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import tool

from harness.agents import agent_solver
from harness.scaffold import task_limits
from harness.scoring import verdict
from harness.suite import SuiteDef, SuiteOptions, TaskRequest

NAME = "toy"
PAIRS = [(2, 3), (4, 5), (6, 7)]


@tool
def add():
    async def execute(a: int, b: int) -> str:
        """Add two integers.

        Args:
          a: The first integer.
          b: The second integer.
        """
        return str(a + b)

    return execute


@solver
def oracle() -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        state.output.completion = state.target.text
        return state

    return solve


@scorer(metrics=[accuracy()])
def answer_matches():
    async def score(state: TaskState, target: Target) -> Score:
        answer = state.output.completion.strip()
        return verdict(1.0 if answer == target.text else 0.0, answer=answer)

    return score


def build_task(request: TaskRequest) -> Task:
    pairs = PAIRS[: request.options.limit] if request.options.limit else PAIRS
    samples = [
        Sample(id=f"sum-{a}-{b}", input=f"What is {a} + {b}? Submit only the number.", target=str(a + b))
        for a, b in pairs
    ]
    return Task(
        name=NAME,
        dataset=MemoryDataset(samples, name="toy-sums"),
        solver=agent_solver(request, suite=NAME, protocol="mcp", oracle=oracle(), extra_tools=[add()]),
        scorer=answer_matches(),
        **task_limits(NAME),
    )


SUITE = SuiteDef(
    name=NAME,
    description="sums with an `add` tool (tests only)",
    options=SuiteOptions,
    build_task=build_task,
    images=lambda options: [],
    protocol="mcp",
)


def use_toy_suite(monkeypatch: Any) -> None:
    """Register the toy suite and give it budgets (max 6 steps, 60 s), for this test only; no Docker is touched."""
    from harness import images, scaffold, suite

    monkeypatch.setattr(images, "require_engine", lambda: None)
    monkeypatch.setattr(images, "ensure_base", lambda: "harness-base:none")
    monkeypatch.setattr(images, "image_id", lambda ref: None)

    registry = {**suite._registry(), NAME: {"module": "fakes.toy_suite", "description": SUITE.description}}
    monkeypatch.setattr(suite, "_registry", lambda: registry)
    cfg = scaffold.config().model_copy(deep=True)
    cfg.budgets[NAME] = scaffold.Budgets(
        max_steps=6, max_tokens=0, time_limit=60, command_timeout=10, max_tool_output=4096
    )
    monkeypatch.setattr(scaffold, "config", lambda: cfg)
