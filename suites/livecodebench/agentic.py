"""LiveCodeBench, agentic variant: the model may write and run code in a sandbox before it answers.

This is not LiveCodeBench's protocol (that is `livecodebench`: one turn, no tools), so it is a suite of its own and
its scores carry their own label in every results table. Problems, the official user prompt, answer extraction and
grading are the same; the model gets the scaffold's system prompt and shell tools in a sandbox with the grading
image's python3 and numpy (no network, no tests), and answers through `submit`.
"""

from __future__ import annotations

from inspect_ai import Task
from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageUser

from harness.sandbox import SandboxLimits, sandbox_spec
from harness.suite import SuiteDef, TaskRequest
from suites.livecodebench import dataset
from suites.livecodebench.sandbox import GRADER_IMAGE
from suites.livecodebench.task import Options, dataset_info, images, lcb_task

NAME = "livecodebench_agentic"
PROTOCOL = "shell"
WORKDIR = "/tmp"

INSTRUCTIONS = (
    "You may write and run code in the sandbox (python3 with numpy; no network) to check your program before you "
    "answer. No tests are provided there beyond the examples in the question. When you are done, call `submit` "
    "with your final program enclosed in ```python delimiters, in the format above."
)


def to_sample(problem: dataset.Problem) -> Sample:
    """The official user prompt with how to work and answer here appended."""
    sample = dataset.to_sample(problem)
    (prompt,) = sample.input
    assert isinstance(prompt, ChatMessageUser) and isinstance(prompt.content, str)
    sample.input = [ChatMessageUser(content=f"{prompt.content.rstrip()}\n\n{INSTRUCTIONS}")]
    return sample


def build_task(request: TaskRequest) -> Task:
    # the grading image doubles as the workspace: it has the interpreter the answer is graded with
    workspace = sandbox_spec(GRADER_IMAGE.tag, SandboxLimits(workdir=WORKDIR))
    return lcb_task(request, name=NAME, protocol=PROTOCOL, sample=to_sample, sandbox=workspace)


SUITE = SuiteDef(
    name=NAME,
    description="LiveCodeBench problems, agentic: the model may run code before answering (not the official protocol)",
    options=Options,
    build_task=build_task,
    images=images,
    protocol=PROTOCOL,
    dataset_info=dataset_info,
)
