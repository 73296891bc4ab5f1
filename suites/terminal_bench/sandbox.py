"""The environment of a Terminal-Bench task: its image (prebuilt or built), limits, network and extra services.

As Harbor's Docker environment: `[environment].docker_image` is used when set, else environment/Dockerfile is
built (within `build_timeout_sec` x timeout_multiplier); cpus and memory_mb become container limits;
`allow_internet = false` takes the network away. The task's docker-compose.yaml is layered on top: its `main`
(Harbor) or `client` (TB1) service adjusts the task container, every other service runs beside it.

Task privileges (privileges.toml): compose keys that weaken the sandbox (`privileged`, `cap_add`, unconfined
`security_opt`, ...) are refused unless the run allows them (--allow-task-privileges). Sidecars get the default
CPU, memory and pid limits unless they set their own.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from inspect_ai.util import ComposeConfig, SandboxEnvironmentSpec

from harness.errors import HarnessError
from harness.images import ImageBuild, ImagePull, ImageSpec
from harness.leftovers import label_compose
from harness.sandbox import SandboxLimits, _defaults, _refuse_host_access, compose_config
from suites.terminal_bench.dataset import TbTask

SERVICE = "default"
"""inspect's name for the task container (Harbor calls it `main`, Terminal-Bench 1 `client`)."""
INTERNAL_NETWORK = "tb_internal"
"""With allow_internet = false and extra services: a network without egress that joins them."""
CONTROLLED = {
    "build",
    "image",
    "command",
    "entrypoint",
    "container_name",
    "network_mode",
    "networks",
    "cpus",
    "mem_limit",
    "deploy",
    "x-local",
    "x-default",
}
"""Keys of the task container that the harness sets itself; the task's compose file cannot override them."""
TEMPLATE = re.compile(r"\$\{[^}]+\}")
HOST_NAMESPACES = ("network_mode", "pid", "ipc", "userns_mode", "uts")
"""An extra service may not share these namespaces with the host."""
PRIVILEGES_FILE = Path(__file__).parent / "privileges.toml"
SIDECAR_LIMITS = ("cpus", "mem_limit", "pids_limit")
"""Limits every sidecar gets from the sandbox defaults unless it sets its own."""


@dataclass(frozen=True)
class BuildPolicy:
    """How a run gets its images: Harbor's --timeout-multiplier (scales build_timeout_sec) and --force-build."""

    timeout_multiplier: float = 1.0
    force_build: bool = False
    """Build environment/Dockerfile even when [environment].docker_image is set (Harbor's --force-build)."""
    allow_privileges: bool = False
    """Accept the compose keys privileges.toml refuses (--allow-task-privileges)."""


@cache
def privilege_policy() -> dict[str, dict[str, Any]]:
    """Compose key -> {values, reason}, from privileges.toml."""
    with PRIVILEGES_FILE.open("rb") as f:
        return dict(tomllib.load(f)["keys"])


def refused_privileges(service: dict[str, Any]) -> list[str]:
    """The keys of one compose service that privileges.toml refuses, with the offending values."""
    found = []
    for key, rule in privilege_policy().items():
        value = service.get(key)
        if value in (None, False, [], {}, ""):
            continue
        entries = value if isinstance(value, list) else list(value) if isinstance(value, dict) else [value]
        bad = [str(e) for e in entries if any(fnmatch.fnmatchcase(str(e).lower(), g) for g in rule["values"])]
        if bad:
            found.append(f"{key}: {', '.join(bad)}")
    return found


def check_privileges(task: TbTask, services: dict[str, Any], allow: bool) -> None:
    """Refuse a task whose compose file asks for privileges, unless the run allows them."""
    if allow:
        return
    for name, service in services.items():
        if bad := refused_privileges(dict(service or {})):
            raise HarnessError(
                f"task {task.name}: docker-compose.yaml service {name}: {bad[0]} weakens the sandbox "
                f"({privilege_policy()[bad[0].split(':')[0]]['reason']}); rerun with --allow-task-privileges to accept"
            )


def image_name(task: TbTask) -> str:
    slug = re.sub(r"[^a-z0-9._-]", "-", task.name.lower()).strip(".-") or "task"
    return f"harness-tb-{slug}"


def build_timeout(task: TbTask, policy: BuildPolicy) -> float:
    return task.config.environment.build_timeout_sec * policy.timeout_multiplier


def _load_compose(task: TbTask) -> dict[str, Any]:
    if task.compose_file is None:
        return {}
    try:
        data = yaml.safe_load(task.compose_file.read_text()) or {}
    except yaml.YAMLError as ex:
        raise HarnessError(
            f"task {task.name}: {task.compose_file} is not valid YAML ({str(ex).splitlines()[0]})"
        ) from ex
    if not isinstance(data, dict) or not isinstance(data.get("services", {}), dict):
        raise HarnessError(
            f"task {task.name}: {task.compose_file.name} field services: must be a mapping ({task.compose_file})"
        )
    return data


def _main_service_name(task: TbTask, services: dict[str, Any]) -> str | None:
    if task.format == "tb1":
        return "client" if "client" in services else next(iter(services), None)
    return "main" if "main" in services else None


def _untemplated(values: Any) -> Any:
    """Drop list entries / dict items that reference the official harnesses' ${VARS} (logs mounts, TEST_DIR)."""
    if isinstance(values, list):
        return [v for v in values if not TEMPLATE.search(str(v))]
    if isinstance(values, dict):
        return {k: v for k, v in values.items() if not TEMPLATE.search(str(v))}
    return values


def _extra_build(task: TbTask, service: str, build: Any, policy: BuildPolicy) -> ImageBuild:
    assert task.compose_file is not None
    spec = {"context": build} if isinstance(build, str) else dict(build or {})
    context = (task.compose_file.parent / str(spec.get("context", "."))).resolve()
    return ImageBuild(
        name=f"{image_name(task)}-{service}",
        context=context,
        dockerfile=str(spec.get("dockerfile", "Dockerfile")),
        build_args={k: str(v) for k, v in (spec.get("args") or {}).items()},
        timeout=build_timeout(task, policy),
    )


def main_image(task: TbTask, policy: BuildPolicy = BuildPolicy()) -> ImageSpec:
    """The prebuilt docker_image when set (unless --force-build and there is a Dockerfile), else a build."""
    env = task.config.environment
    if env.docker_image and (not policy.force_build or task.build_context is None):
        return ImagePull(env.docker_image)
    assert task.build_context is not None
    return ImageBuild(
        name=image_name(task),
        context=task.build_context,
        dockerfile=task.dockerfile,
        timeout=build_timeout(task, policy),
    )


def images(task: TbTask, policy: BuildPolicy = BuildPolicy()) -> list[ImageSpec]:
    """Every image the task needs: its container's, and those of extra services built from a context."""
    specs = [main_image(task, policy)]
    services = _load_compose(task).get("services") or {}
    main = _main_service_name(task, services)
    for name, service in services.items():
        if name != main and isinstance(service, dict) and service.get("build") is not None:
            specs.append(_extra_build(task, name, service["build"], policy))
    return specs


def _image_ref(spec: ImageSpec) -> str:
    return spec.tag if isinstance(spec, ImageBuild) else spec.ref


def compose(task: TbTask, policy: BuildPolicy = BuildPolicy()) -> ComposeConfig:
    """The compose project of one trial: the task container plus the task's extra services."""
    env = task.config.environment
    data = _load_compose(task)
    services: dict[str, Any] = dict(data.get("services") or {})
    check_privileges(task, services, policy.allow_privileges)
    main = _main_service_name(task, services)
    overrides = {k: v for k, v in (services.pop(main, None) or {}).items() if k not in CONTROLLED} if main else {}
    if task.format == "tb1":  # Harbor's TerminalBenchMapper drops the client service's volumes (e.g. `./:/app`)
        overrides.pop("volumes", None)
    _refuse_host_access(main or SERVICE, overrides, allow_privileged=policy.allow_privileges)
    extras: dict[str, dict[str, Any]] = {}
    for name, service in services.items():
        service = {k: v for k, v in dict(service or {}).items() if k != "container_name"}
        for key in HOST_NAMESPACES:
            if str(service.get(key, "")).startswith("host"):
                raise HarnessError(f"task {task.name}: docker-compose.yaml service {name}: {key}: host is not allowed")
        if service.get("build") is not None:
            service["image"] = _extra_build(task, name, service.pop("build"), policy).tag
            service["x-local"] = True
        for key in SIDECAR_LIMITS:
            if key in _defaults():
                service.setdefault(key, _defaults()[key])
        service.setdefault("init", True)  # a server as PID 1 ignores SIGTERM; stop it promptly
        service.setdefault("stop_grace_period", "1s")
        extras[name] = service
    isolated = not env.allow_internet
    limits = SandboxLimits(network=not isolated or bool(extras), cpus=env.cpus, memory_mb=env.memory_mb)
    config = compose_config(
        _image_ref(main_image(task, policy)), limits, extras, allow_privileged=policy.allow_privileges
    ).model_dump(mode="json", by_alias=True, exclude_none=True)
    default = config["services"][SERVICE]
    for key, value in overrides.items():
        value = _untemplated(value) if key in ("environment", "volumes") else value
        if value not in ([], {}, None):
            default[key] = value
    for service in config["services"].values():
        _rename_dependency(service, main)
    if isolated and extras:
        config["networks"] = {INTERNAL_NETWORK: {"internal": True}}
        for service in config["services"].values():
            service.pop("network_mode", None)
            service["networks"] = [INTERNAL_NETWORK]
    for key in ("volumes", "networks"):
        if isinstance(data.get(key), dict):
            config[key] = {**data[key], **config.get(key, {})}
    return ComposeConfig.model_validate(label_compose(config))


def _rename_dependency(service: dict[str, Any], main: str | None) -> None:
    depends = service.get("depends_on")
    if not main or not depends:
        return
    if isinstance(depends, list):
        service["depends_on"] = [SERVICE if d == main else d for d in depends]
    elif isinstance(depends, dict) and main in depends:
        depends[SERVICE] = depends.pop(main)


def spec(task: TbTask, policy: BuildPolicy = BuildPolicy()) -> SandboxEnvironmentSpec:
    return SandboxEnvironmentSpec("docker", compose(task, policy))


def describe(task: TbTask, policy: BuildPolicy = BuildPolicy()) -> dict[str, Any]:
    """What the environment is, for the sample metadata."""
    env = task.config.environment
    services = _load_compose(task).get("services") or {}
    main = _main_service_name(task, services)
    image = main_image(task, policy)
    return {
        "image": _image_ref(image),
        "prebuilt": isinstance(image, ImagePull),
        "allow_internet": env.allow_internet,
        "cpus": env.cpus,
        "memory_mb": env.memory_mb,
        "storage_mb": env.storage_mb,
        "extra_services": sorted(n for n in services if n != main),
    }
