"""What a run leaves in Docker, and its removal: every container, network and volume a run starts is marked.

LiveCodeBench grader containers and the networks and volumes a sandbox declares carry the Docker label
`org.harness.run-id=<run id>`. Sandbox containers are compose services, and inspect's compose model has no
`labels` key, so each service carries the run in its environment instead: `HARNESS_RUN=<digest of the run id>`
(a digest, so the agent does not read the run's name); compose adds its project label to the containers,
networks and volumes it creates. After a SIGKILL or a crash these stay up; `harness eval --resume RUN_ID` and
`harness clean RUN_ID` remove those of one run, `harness clean` those of every run (also sandboxes started through
`inspect eval`, whose run is `unlabelled`).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from typing import Any

RUN_LABEL = "org.harness.run-id"
UNLABELLED = "unlabelled"
"""The run id of sandboxes built outside a harness run (e.g. `inspect eval suites/...`)."""
RUN_ENV = "HARNESS_RUN"
COMPOSE_PROJECT = "com.docker.compose.project"

_current: str | None = None


@contextlib.contextmanager
def labelled(run_id: str) -> Iterator[None]:
    """Within this block, sandboxes and graders built or started carry `run_id`."""
    global _current
    before, _current = _current, run_id
    try:
        yield
    finally:
        _current = before


def current_run() -> str:
    return _current or UNLABELLED


def labels() -> dict[str, str]:
    """The Docker labels of anything the harness starts now."""
    return {RUN_LABEL: current_run()}


def run_digest(run_id: str) -> str:
    return hashlib.sha256(run_id.encode()).hexdigest()[:16]


def label_compose(config: dict[str, Any]) -> dict[str, Any]:
    """A compose config (as a dict) whose services carry the run in their environment and whose declared networks
    and volumes carry the run label."""
    for name, service in (config.get("services") or {}).items():
        service = dict(service or {})
        env = service.get("environment") or {}
        if isinstance(env, list):  # compose's ["KEY=value"] form
            env = [e for e in env if not str(e).startswith(f"{RUN_ENV}=")] + [f"{RUN_ENV}={run_digest(current_run())}"]
        else:
            env = {**env, RUN_ENV: run_digest(current_run())}
        service["environment"] = env
        config["services"][name] = service
    for section in ("networks", "volumes"):
        for name, entry in (config.get(section) or {}).items():
            entry = dict(entry or {})
            if entry.get("external"):
                continue
            current = entry.get("labels") or {}
            if isinstance(current, list):  # compose's ["key=value"] form
                current = dict(item.split("=", 1) if "=" in item else (item, "") for item in current)
            entry["labels"] = {**current, **labels()}
            config[section][name] = entry
    return config


def _marked(container: Any, run_id: str | None) -> bool:
    """Whether a compose container's environment names run `run_id` (any run when None)."""
    env = (container.attrs.get("Config") or {}).get("Env") or []
    if run_id is None:
        return any(e.startswith(f"{RUN_ENV}=") for e in env)
    return f"{RUN_ENV}={run_digest(run_id)}" in env


def _selector(run_id: str | None) -> str:
    return RUN_LABEL if run_id is None else f"{RUN_LABEL}={run_id}"


def find(run_id: str | None = None) -> dict[str, list[Any]]:
    """Docker objects of run `run_id` (of every run when None): containers, networks, volumes."""
    import docker

    client = docker.from_env(timeout=120)
    selector = {"label": _selector(run_id)}
    found = {c.id: c for c in client.containers.list(all=True, filters=selector, ignore_removed=True)}
    composed = client.containers.list(all=True, filters={"label": COMPOSE_PROJECT}, ignore_removed=True)
    found |= {c.id: c for c in composed if _marked(c, run_id)}
    containers = list(found.values())
    projects = {c.labels.get(COMPOSE_PROJECT) for c in containers} - {None}
    networks = {n.id: n for n in client.networks.list(filters=selector)}
    volumes = {v.name: v for v in client.volumes.list(filters=selector)}
    for project in sorted(projects):
        by_project = {"label": f"{COMPOSE_PROJECT}={project}"}
        networks |= {n.id: n for n in client.networks.list(filters=by_project)}
        volumes |= {v.name: v for v in client.volumes.list(filters=by_project)}
    return {"containers": containers, "networks": list(networks.values()), "volumes": list(volumes.values())}


def remove(run_id: str | None = None) -> int:
    """Remove the containers, then the networks and volumes, of run `run_id` (every run when None); the count."""
    import docker.errors

    found = find(run_id)
    removed = 0
    for kind in ("containers", "networks", "volumes"):
        for item in found[kind]:
            try:
                item.remove(force=True) if kind != "networks" else item.remove()
            except docker.errors.NotFound:
                continue
            removed += 1
    return removed
