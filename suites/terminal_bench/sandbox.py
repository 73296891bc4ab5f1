"""The sandbox of a Terminal-Bench task: its environment image, with the task's cpus, memory and network."""

from __future__ import annotations

from inspect_ai.util import SandboxEnvironmentSpec

from harness.images import ImageBuild
from harness.sandbox import SandboxLimits, sandbox_spec
from suites.terminal_bench.dataset import TbTask


def image(task: TbTask) -> ImageBuild:
    return ImageBuild(name=f"harness-tb-{task.name}", context=task.path / "environment")


def spec(task: TbTask) -> SandboxEnvironmentSpec:
    env = task.config.environment
    limits = SandboxLimits(network=env.allow_internet, cpus=env.cpus, memory_mb=env.memory_mb)
    return sandbox_spec(env.docker_image or image(task).tag, limits)
