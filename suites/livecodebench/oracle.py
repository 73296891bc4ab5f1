"""The LiveCodeBench oracle: answers with the problem's reference program (no model call).

LiveCodeBench publishes no reference solutions, so only the bundled fixtures have them
(samples/solutions/<question_id>/reference.py); the answer is fenced the way a model's would be.
"""

from __future__ import annotations

from pathlib import Path

from inspect_ai.model import ModelOutput
from inspect_ai.solver import Generate, Solver, TaskState, solver

from harness.errors import HarnessError

SOLUTIONS = Path(__file__).resolve().parent / "samples" / "solutions"


def program(question_id: str, variant: str = "reference") -> str:
    path = SOLUTIONS / question_id / f"{variant}.py"
    if not path.is_file():
        raise HarnessError(
            f"{path}: no {variant} program for {question_id}; the livecodebench oracle runs only on "
            "the bundled samples (--data sample)"
        )
    return path.read_text()


def fenced(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```\n"


@solver
def oracle() -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        state.output = ModelOutput.from_content(model="oracle", content=fenced(program(str(state.sample_id))))
        state.messages.append(state.output.message)
        return state

    return solve
