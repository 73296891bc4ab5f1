"""Sandbox specs: inspect-ai docker sandboxes rendered from `sandboxes/compose.default.yaml` plus task overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml
from inspect_ai.util import ComposeConfig, SandboxEnvironmentSpec

from harness.errors import HarnessError
from harness.leftovers import label_compose
from harness.paths import SANDBOXES

DEFAULT_COMPOSE = SANDBOXES / "compose.default.yaml"


@dataclass(frozen=True)
class SandboxLimits:
    """Per-task overrides of the defaults; None keeps the default."""

    network: bool = False
    cpus: float | None = None
    memory_mb: int | None = None
    pids: int | None = None
    workdir: str | None = None
    environment: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] | None = None
    """Replaces the image's entrypoint (e.g. `[]` for images whose ENTRYPOINT is a shell)."""


@cache
def _defaults() -> dict[str, Any]:
    data = yaml.safe_load(DEFAULT_COMPOSE.read_text())
    try:
        return dict(data["services"]["default"])
    except (KeyError, TypeError) as ex:
        raise HarnessError(f"{DEFAULT_COMPOSE}: needs services.default") from ex


def compose_config(
    image: str,
    limits: SandboxLimits = SandboxLimits(),
    extra_services: dict[str, dict[str, Any]] | None = None,
    allow_privileged: bool = False,
) -> ComposeConfig:
    """The compose config for one sandbox running `image` with the defaults and `limits` applied; a privileged
    extra service only where the caller's policy allows it; every service carries the run label
    (`harness.leftovers`)."""
    service = dict(_defaults())
    service["image"] = image
    if limits.network:
        service.pop("network_mode", None)
    if limits.cpus is not None:
        service["cpus"] = float(limits.cpus)
    if limits.memory_mb is not None:
        service["mem_limit"] = f"{int(limits.memory_mb)}m"
    if limits.pids is not None:
        service["pids_limit"] = int(limits.pids)
    if limits.workdir:
        service["working_dir"] = limits.workdir
    if limits.environment:
        service["environment"] = dict(limits.environment)
    if limits.entrypoint is not None:
        service["entrypoint"] = list(limits.entrypoint)
    services: dict[str, Any] = {"default": service}
    for name, extra in (extra_services or {}).items():
        _refuse_host_access(name, extra, allow_privileged=allow_privileged)
        services[name] = extra
    return ComposeConfig.model_validate(label_compose({"services": services}))


def sandbox_spec(
    image: str, limits: SandboxLimits = SandboxLimits(), extra_services: dict[str, dict[str, Any]] | None = None
) -> SandboxEnvironmentSpec:
    """An inspect `SandboxEnvironmentSpec` for a docker sandbox running `image`."""
    return SandboxEnvironmentSpec("docker", compose_config(image, limits, extra_services))


AGENT_SERVICE = "default"
EVAL_SERVICE = "eval"


def agent_and_eval_spec(image: str, agent: SandboxLimits, evaluation: SandboxLimits) -> SandboxEnvironmentSpec:
    """Two containers from one image: `default`, where the agent works, and `eval`, which nobody touches until
    grading applies the patch and runs the tests (the repository suites' fresh evaluation container)."""
    service = compose_config(image, evaluation).services["default"]
    return sandbox_spec(
        image, agent, extra_services={EVAL_SERVICE: service.model_dump(exclude_none=True, by_alias=True)}
    )


def _refuse_host_access(name: str, service: dict[str, Any], allow_privileged: bool = False) -> None:
    for volume in service.get("volumes") or []:
        text = volume if isinstance(volume, str) else str(volume.get("source", ""))
        if "docker.sock" in text:
            raise HarnessError(f"service {name}: mounting the Docker socket into a sandbox is not allowed")
        if text.startswith(("/", ".", "~")) and not (isinstance(volume, str) and volume.endswith(":ro")):
            raise HarnessError(f"service {name}: host mount {text!r} must be read-only (append ':ro')")
    if service.get("privileged") and not allow_privileged:
        raise HarnessError(f"service {name}: privileged sandboxes are not allowed")
