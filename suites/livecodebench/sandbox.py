"""The grading sandbox: long-lived grader containers shared by the samples of a run, one problem at a time each.

Single-turn generation needs no sandbox, so samples get none: a container per sample would cap concurrent model
calls at inspect's `max_sandboxes` and spend seconds of container start and stop per problem. Instead `workers`
grader containers (image `harness-lcb`, built FROM harness-base:bookworm) run `lcb_grader.py`'s fork-server,
with the harness sandbox defaults of `sandboxes/compose.default.yaml` (no network, cpu, memory and pid limits).
Grading one problem is one request file copied in plus one exec; the fork-server forks a worker per request,
and the worker forks the child that runs the program as a throwaway uid (see lcb_grader.py). A container grades
one problem at a time (1 CPU each, like one lcb_runner evaluation process), exits after `idle_exit_s` seconds
without requests, and is removed when the harness process ends.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import queue
import tarfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import anyio

from harness.images import ImageBuild
from harness.paths import SANDBOXES
from harness.sandbox import SandboxLimits, compose_config

GRADER_IMAGE = ImageBuild(name="harness-lcb", context=SANDBOXES / "livecodebench")
SOCKET = "/run/lcb/grader.sock"
REQUESTS = "/work/requests"
GRADER = "/opt/lcb/lcb_grader.py"
CLIENT = "/opt/lcb/lcb_client.py"
LABEL = "org.harness.livecodebench-grader"


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@dataclass(frozen=True)
class GraderSettings:
    """Where and how problems are graded."""

    image: str
    workers: int = field(default_factory=default_workers)
    """Grader containers, i.e. problems graded in parallel."""
    cpus: float = 1.0
    memory_mb: int = 4096
    pids: int = 512
    idle_exit_s: int = 900


class RunnerError(Exception):
    """The grader failed, not the program: an infrastructure error (lcb_runner's TestRunnerError, -5)."""


def request_deadline(request: dict[str, Any]) -> int:
    """Seconds one grading may take: lcb_runner's global timeout plus slack for the exec round trip."""
    return (int(request.get("timeout", 6)) + 1) * len(request["inputs"]) + 5 + 60


def _tar_one(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class GraderPool:
    """`settings.workers` grader containers; `grade()` blocks until one is free (call it from a worker thread)."""

    def __init__(self, settings: GraderSettings) -> None:
        import docker

        self.settings = settings
        self._client = docker.from_env(timeout=120)
        self._free: queue.Queue[Any] = queue.Queue()
        self._containers: set[Any] = set()
        self._lock = threading.Lock()
        self._live = 0
        """Containers started or starting (at most `workers`)."""
        self._started = 0

    # -- lifecycle ------------------------------------------------------------------------------------------------

    def _run_kwargs(self) -> dict[str, Any]:
        s = self.settings
        service = compose_config(s.image, SandboxLimits(cpus=s.cpus, memory_mb=s.memory_mb, pids=s.pids))
        d = service.services["default"].model_dump(exclude_none=True)
        kwargs: dict[str, Any] = {"image": s.image, "init": bool(d.get("init", True)),
                                  "network_mode": d.get("network_mode", "none"),
                                  "nano_cpus": int(float(d.get("cpus", s.cpus)) * 1e9),
                                  "mem_limit": d.get("mem_limit", f"{s.memory_mb}m"),
                                  "pids_limit": int(d.get("pids_limit", s.pids))}
        return kwargs

    def _start(self) -> Any:
        """Start one grader container and wait until its fork-server accepts requests (caller counted it live)."""
        with self._lock:
            self._started += 1
            number = self._started
        try:
            container = self._client.containers.run(
                command=["python3", GRADER, "serve", SOCKET, str(self.settings.idle_exit_s)],
                name=f"harness-lcb-grader-{os.getpid()}-{number}-{uuid.uuid4().hex[:6]}",
                labels={LABEL: str(os.getpid())}, detach=True, auto_remove=True, **self._run_kwargs())
        except Exception as ex:
            with self._lock:
                self._live -= 1
            self._free.put(None)
            raise RunnerError(f"cannot start a grader container from {self.settings.image}: {ex}") from ex
        with self._lock:
            self._containers.add(container)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            code, _ = container.exec_run(["test", "-S", SOCKET])
            if code == 0:
                return container
            time.sleep(0.1)
        self._discard(container)
        raise RunnerError(f"grader container {container.name} did not start its server within 60 s")

    def _discard(self, container: Any) -> None:
        with self._lock:
            if container in self._containers:
                self._containers.discard(container)
                self._live -= 1
        with contextlib.suppress(Exception):
            container.remove(force=True)
        self._free.put(None)  # wakes a waiting caller, which starts a replacement

    def _acquire(self) -> Any:
        """A free container, a newly started one while fewer than `workers` live, else wait for one."""
        block = False
        while True:
            try:
                container = self._free.get(block=block)
            except queue.Empty:
                container = None
            if container is not None:
                return container
            with self._lock:
                start = self._live < self.settings.workers
                if start:
                    self._live += 1
            if start:
                return self._start()
            block = True

    def close(self) -> None:
        with self._lock:
            containers = list(self._containers)
        for container in containers:
            self._discard(container)

    # -- grading --------------------------------------------------------------------------------------------------

    def grade(self, request: dict[str, Any]) -> dict[str, Any]:
        """The grader's JSON response for one request; RunnerError when the grader (not the program) failed."""
        container = self._acquire()
        healthy = True
        try:
            return self._grade_on(container, request)
        except RunnerError:
            healthy = False
            raise
        except Exception as ex:
            healthy = False
            raise RunnerError(f"{type(ex).__name__}: {ex}") from ex
        finally:
            if healthy:
                self._free.put(container)
            else:
                self._discard(container)

    def _grade_on(self, container: Any, request: dict[str, Any]) -> dict[str, Any]:
        name = f"{uuid.uuid4().hex}.json"
        path = f"{REQUESTS}/{name}"
        container.put_archive(REQUESTS, _tar_one(name, json.dumps(request).encode()))
        limit = ["timeout", "-k", "5", str(request_deadline(request))]
        code, (out, err) = container.exec_run([*limit, "python3", "-S", CLIENT, SOCKET, path], demux=True)
        if code == 3:  # no fork-server answers (it died): grade in a fresh interpreter instead
            code, (out, err) = container.exec_run([*limit, "python3", GRADER, "grade", path], demux=True)
        if code != 0 or not out:
            detail = (err or b"").decode(errors="replace").strip()[-300:]
            raise RunnerError(f"grader exec exited {code}: {detail or 'no output'}")
        try:
            response = json.loads(out)
        except json.JSONDecodeError as ex:
            raise RunnerError(f"grader answered non-JSON: {out[:200]!r}") from ex
        if "runner_error" in response:
            raise RunnerError(response["runner_error"])
        return response


_POOLS: dict[GraderSettings, GraderPool] = {}
_POOLS_LOCK = threading.Lock()


def pool_for(settings: GraderSettings) -> GraderPool:
    with _POOLS_LOCK:
        if settings not in _POOLS:
            _POOLS[settings] = GraderPool(settings)
        return _POOLS[settings]


@atexit.register
def close_pools() -> None:
    """Remove every grader container this process started."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.close()


async def grade(settings: GraderSettings, request: dict[str, Any]) -> dict[str, Any]:
    """Grade one request in the shared grading sandbox (from async code)."""
    pool = pool_for(settings)
    return await anyio.to_thread.run_sync(pool.grade, request, abandon_on_cancel=True)
