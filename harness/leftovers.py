"""What a run leaves in Docker, and its removal: every container, network and volume a run starts is labelled.

Sandboxes (compose services and the networks and volumes they declare) and LiveCodeBench grader containers carry
`org.harness.run-id=<run id>`; compose adds its project label to the networks and volumes it creates. After a
SIGKILL or a crash these stay up; `harness eval --resume RUN_ID` and `harness clean RUN_ID` remove those of one
run, `harness clean` those of every run (also sandboxes started through `inspect eval`, labelled `unlabelled`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

RUN_LABEL = "org.harness.run-id"
UNLABELLED = "unlabelled"
"""The run id of sandboxes built outside a harness run (e.g. `inspect eval suites/...`)."""
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
    """The labels of anything the harness starts now."""
    return {RUN_LABEL: current_run()}


def label_compose(config: dict[str, Any]) -> dict[str, Any]:
    """A compose config (as a dict) with the run label on every service and every declared network and volume."""
    for section in ("services", "networks", "volumes"):
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


def _selector(run_id: str | None) -> str:
    return RUN_LABEL if run_id is None else f"{RUN_LABEL}={run_id}"


def find(run_id: str | None = None) -> dict[str, list[Any]]:
    """Docker objects of run `run_id` (of every run when None): containers, networks, volumes."""
    import docker

    client = docker.from_env(timeout=120)
    selector = {"label": _selector(run_id)}
    containers = client.containers.list(all=True, filters=selector)
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
