"""Sandbox images for bridge agents (`--agent claude-code`, `codex-cli`): each task image with the agent's CLI.

The CLI comes from the npm registry at its pinned version when the agent tools image is built
(sandboxes/agent-tools, `[<agent>.install]` in data/agents.toml); for every task image a sample's sandbox runs, a
thin image adds it (sandboxes/agent-layer: `FROM <task image>` + one COPY). Both are content-tagged builds of
`harness.images`, so the layered tag follows the task image's id and a second run builds nothing. Nothing is
downloaded when a sample runs, and the sandbox keeps its network settings: the agent reaches the model through
inspect's sandbox agent bridge only.

`install(task, agent)` points a task's sandboxes (its own and every sample's) at the layered images, after the
task images exist (`harness eval` and the inspect entry points build them first).
"""

from __future__ import annotations

import re
from typing import Any

from inspect_ai import Task
from inspect_ai.util import ComposeConfig, SandboxEnvironmentSpec

from harness import images
from harness.agent_registry import AgentDef
from harness.errors import HarnessError
from harness.paths import SANDBOXES
from harness.sandbox import AGENT_SERVICE

INSTALL_DIR = "/opt/harness-agents"


def tools_image(agent: AgentDef) -> images.ImageBuild:
    """The image holding `agent`'s CLI laid out as in a task image (under /harness-agents/)."""
    spec = agent.install
    if spec is None:
        raise HarnessError(f"--agent {agent.name}: not a bridge agent; it installs nothing into sandbox images")
    return images.ImageBuild(
        name=f"harness-agent-{agent.name}",
        context=SANDBOXES / "agent-tools",
        build_args={
            "AGENT": agent.name,
            "TARBALL": spec.tarball,
            "INTEGRITY": spec.integrity,
            "ROOT": spec.root,
            "KEEP": " ".join(spec.keep),
            "BINARY": spec.binary,
            "COMMAND": spec.command,
        },
    )


def layered_image(agent: AgentDef, task_image: str, tools_tag: str) -> images.ImageBuild:
    """`task_image` with `agent`'s CLI on the PATH (/usr/local/bin)."""
    assert agent.install is not None
    refusal = (
        f"harness: --agent {agent.name}: its CLI ({agent.install.libc} build of {agent.package and agent.package.name}"
        f"@{agent.version}) does not run on task image {task_image}"
        + (" (it needs glibc >= 2.26; a musl/Alpine image cannot run it)" if agent.install.libc == "glibc" else "")
        + "; run this task with another agent"
    )
    return images.ImageBuild(
        name=f"harness-{agent.name}/{_repository(task_image)}",
        context=SANDBOXES / "agent-layer",
        build_args={
            "AGENT_TOOLS": tools_tag,
            "TASK_IMAGE": task_image,
            "COMMAND": agent.install.command,
            "REFUSAL": refusal,
        },
    )


def _repository(ref: str) -> str:
    """A task image reference as a repository path: registry host and tag dropped (the layered image's content
    tag covers the task image's reference and id)."""
    parts = images.repository(ref).split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    return re.sub(r"[^a-z0-9._/-]", "-", "/".join(parts).lower())


def cli_version(agent: AgentDef, tools_tag: str) -> str:
    """The CLI's own `--version`, run in the tools image (no network); a version other than the pinned one is a
    loud stop, not a mislabelled run."""
    assert agent.install is not None
    binary = f"/harness-agents{INSTALL_DIR}/{agent.name}/{agent.install.binary}"
    result = images.docker("run", "--rm", "--network", "none", "--entrypoint", binary, tools_tag, "--version")
    text = result.stdout.strip()
    if agent.version not in text:
        raise HarnessError(
            f"--agent {agent.name}: the installed CLI says {text!r}, not version {agent.version} "
            f"(data/agents.toml [{agent.name}.install])"
        )
    return text


def install(task: Task, agent: AgentDef) -> dict[str, Any]:
    """Point every sandbox of `task` at its task image with `agent`'s CLI, building the images that are missing;
    returns the manifest record: the tools image, the CLI's version line and {task image: layered image}."""
    specs = [task.sandbox, *(sample.sandbox for sample in task.dataset)]
    task_images = sorted({image for spec in specs if (image := _default_image(spec))})
    if not task_images:
        return {}
    tools = tools_image(agent)
    [tools_tag] = images.ensure_built([tools])
    version = cli_version(agent, tools_tag)
    missing = [image for image in task_images if not images.image_id(image)]
    if missing:
        raise HarnessError(f"--agent {agent.name}: task image {missing[0]} is missing; build the suite's images first")
    layered = {image: layered_image(agent, image, tools_tag) for image in task_images}
    images.ensure_built(layered.values())
    tags = {image: spec.tag for image, spec in layered.items()}
    if task.sandbox is not None:
        task.sandbox = _pointed(task.sandbox, tags)
    for sample in task.dataset:
        if sample.sandbox is not None:
            sample.sandbox = _pointed(sample.sandbox, tags)
    return {
        "tools": {tools_tag: images.image_id(tools_tag)},
        "cli_version": version,
        "layered": {image: {"tag": tag, "id": images.image_id(tag)} for image, tag in tags.items()},
    }


def _default_image(spec: Any) -> str | None:
    if not isinstance(spec, SandboxEnvironmentSpec) or not isinstance(spec.config, ComposeConfig):
        return None
    service = spec.config.services.get(AGENT_SERVICE)
    return service.image if service is not None else None


def _pointed(spec: Any, tags: dict[str, str]) -> Any:
    """`spec` with its agent service (`default`) running the layered image; other services (a SWE suite's
    evaluation container, Terminal-Bench sidecars) keep theirs."""
    image = _default_image(spec)
    if image is None:
        return spec
    config = spec.config.model_copy(deep=True)
    config.services[AGENT_SERVICE].image = tags[image]
    return SandboxEnvironmentSpec(spec.type, config)
