"""`--sandbox k8s`: every sandbox as values of inspect-k8s-sandbox's `agent-env` Helm chart.

The values are rendered from the very compose configs the docker sandboxes run (`harness.sandbox`, each suite's
own overrides), through inspect-k8s-sandbox's own converter (`k8s_sandbox.compose.convert_compose_to_helm_values`);
there is no second copy of any spec. The harness then adds what its policy needs and compose cannot say:
- images: each local image name is replaced by its registry reference from the image map (`harness images push`),
  pulled with the map's `imagePullSecrets` when the registry needs one;
- network: a service with `network_mode: none` stays `networkIsolated`; services on an internal network reach only
  each other; only a sandbox whose task asks for the internet gets `allowEntities: [world]` (the chart's default is
  no egress at all);
- privileges: every container runs with `allowPrivilegeEscalation: false` and `privileged: false`, no service
  account token, and no host mounts or Docker socket (refused already by `harness.sandbox`);
- pids: Docker's `pids_limit` has no per-container Kubernetes field; the cluster's kubelet `podPidsLimit` applies
  (README, "Running on Kubernetes"). `stop_grace_period`, `init` and `depends_on` have no chart equivalent
  either (`DOCKER_ONLY`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from inspect_ai import Task
from inspect_ai.util import ComposeConfig, SandboxEnvironmentSpec

from harness.errors import HarnessError

DOCKER_ONLY = ("pids_limit", "stop_grace_period", "depends_on", "x-local")
"""Compose keys with no counterpart in the chart, dropped before conversion (see the module docstring).
`depends_on`: the k8s sandbox starts a sample only once every service's pod is ready (helm install --wait);
`x-local`: on a cluster every image comes from a registry."""
NO_PRIVILEGE = {"allowPrivilegeEscalation": False, "privileged": False}


def _chart_dir() -> Path:
    try:
        import k8s_sandbox
    except ImportError as ex:
        raise HarnessError("--sandbox k8s needs inspect-k8s-sandbox: pip install 'harness[k8s]'") from ex
    return Path(k8s_sandbox.__file__).parent / "resources" / "helm" / "agent-env"


@cache
def chart_defaults() -> dict[str, Any]:
    """The chart's own values.yaml (what Helm merges the rendered values over)."""
    return yaml.safe_load((_chart_dir() / "values.yaml").read_text())


@cache
def values_schema() -> dict[str, Any]:
    """The chart's values.schema.json, shipped in the inspect-k8s-sandbox wheel."""
    return json.loads((_chart_dir() / "values.schema.json").read_text())


def _wants_internet(services: Mapping[str, Any], networks: Mapping[str, Any]) -> bool:
    """Whether a service has a network that is neither `none` nor internal-only."""
    internal = {name for name, net in networks.items() if isinstance(net, dict) and net.get("internal")}
    for service in services.values():
        if service.get("network_mode") == "none":
            continue
        if service.get("networks") and set(service["networks"]) <= internal:
            continue
        return True
    return False


def _k8s_name(name: str) -> str:
    return name.lower().replace("_", "-")


def helm_values(
    config: ComposeConfig,
    image_map: Mapping[str, str] | None = None,
    runtime_class: str | None = None,
    pull_secret: str | None = None,
) -> dict[str, Any]:
    """The chart values for one sandbox's compose config."""
    from k8s_sandbox.compose import convert_compose_to_helm_values

    compose = config.model_dump(mode="json", exclude_none=True, by_alias=True)
    internet = _wants_internet(compose.get("services", {}), compose.get("networks") or {})
    if compose.get("networks"):  # k8s names: lower case, `-` not `_` (the chart's schema); Docker labels dropped
        compose["networks"] = {
            _k8s_name(n): {k: v for k, v in (spec or {}).items() if k != "labels"}
            for n, spec in compose["networks"].items()
        }
    for service in compose.get("services", {}).values():
        if isinstance(service.get("networks"), list):
            service["networks"] = [_k8s_name(n) for n in service["networks"]]
        for key in DOCKER_ONLY:
            service.pop(key, None)
        service["image"] = (image_map or {}).get(service.get("image", ""), service.get("image"))
        service["security_opt"] = ["no-new-privileges:true"]
    with tempfile.NamedTemporaryFile("w", suffix="-compose.yaml") as f:
        yaml.safe_dump(compose, f, sort_keys=False)
        f.flush()
        try:
            values = convert_compose_to_helm_values(Path(f.name))
        except Exception as ex:  # the converter's own error names the key it cannot convert
            raise HarnessError(f"k8s values: {str(ex).splitlines()[0]}") from ex
    for service in values["services"].values():
        service["securityContext"] = {**service.get("securityContext", {}), **NO_PRIVILEGE}
        if runtime_class:
            service["runtimeClassName"] = runtime_class
    values["automountServiceAccountToken"] = False
    if pull_secret:
        values["imagePullSecrets"] = [{"name": pull_secret}]
    if internet:
        values["allowEntities"] = ["world"]
    return values


def merged_with_chart(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values as Helm sees them: the chart's values.yaml with `values` merged over it (maps key by key)."""

    def merge(base: Any, over: Any) -> Any:
        if isinstance(base, dict) and isinstance(over, dict):
            return {**base, **{k: merge(base.get(k), v) for k, v in over.items()}}
        return copy.deepcopy(over)

    return merge(chart_defaults(), dict(values))


def validate(values: Mapping[str, Any]) -> None:
    """Check the values against the chart's schema, as `helm install` does; a one-line error otherwise."""
    import jsonschema

    try:
        jsonschema.validate(merged_with_chart(values), values_schema())
    except jsonschema.ValidationError as ex:
        where = ".".join(map(str, ex.absolute_path)) or "values"
        raise HarnessError(f"k8s values: {where}: {ex.message}") from ex


def k8s_spec(
    spec: SandboxEnvironmentSpec, out_dir: Path, image_map: Mapping[str, Any], runtime_class: str | None
) -> SandboxEnvironmentSpec:
    """A docker sandbox spec as a k8s one whose values file is written (content-addressed) into `out_dir`.
    `image_map` is what `harness images push` wrote ({registry, images, pull_secret}) or empty."""
    from k8s_sandbox import K8sSandboxEnvironmentConfig

    if spec.type != "docker" or not isinstance(spec.config, ComposeConfig):
        raise HarnessError(f"--sandbox k8s: cannot convert a {spec.type} sandbox without a compose config")
    values = helm_values(spec.config, image_map.get("images"), runtime_class, image_map.get("pull_secret"))
    validate(values)
    text = yaml.safe_dump(values, sort_keys=False)
    path = out_dir / f"values-{hashlib.sha256(text.encode()).hexdigest()[:16]}.yaml"
    out_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(text)
    return SandboxEnvironmentSpec("k8s", K8sSandboxEnvironmentConfig(values=path))


def to_k8s(task: Task, out_dir: Path, image_map: Mapping[str, Any], runtime_class: str | None = None) -> Task:
    """Switch a task's sandboxes (its own and every sample's) to k8s, in place; returns the task."""
    if task.sandbox is not None:
        task.sandbox = k8s_spec(task.sandbox, out_dir, image_map, runtime_class)
    for sample in task.dataset:
        if isinstance(sample.sandbox, SandboxEnvironmentSpec):
            sample.sandbox = k8s_spec(sample.sandbox, out_dir, image_map, runtime_class)
    return task
