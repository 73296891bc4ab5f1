"""The grading sandbox: long-lived grader containers shared by the samples of a run, one problem at a time each.

Single-turn generation needs no sandbox, so samples get none: a container per sample would cap concurrent model
calls at inspect's `max_sandboxes` and spend seconds of container start and stop per problem. Instead `workers`
grader containers (image `harness-lcb`, built FROM harness-base:bookworm) run `lcb_grader.py serve`, with the
harness sandbox defaults of `sandboxes/compose.default.yaml` (no network, cpu, memory and pid limits).

Grading a problem is one request over the container's attached stdin/stdout: no `docker exec`, no file copy.
The fork-server forks, per request, the child that runs the program as a throwaway
uid (see lcb_grader.py). A container grades one problem at a time (1 CPU each, like one lcb_runner evaluation
process), exits after `idle_exit_s` seconds without requests, and is removed when the harness process ends.
Grader containers carry the run label (`harness.leftovers`), so `harness clean` finds those a killed run left.

A grader that fails (killed, no answer in time, lcb_runner's runner error) is an infrastructure error: the grader
is discarded and the same program is graded again in a fresh one, up to `attempts` times; then `RunnerError`.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import anyio

from harness.images import ImageBuild
from harness.leftovers import RUN_LABEL, current_run
from harness.paths import SANDBOXES
from harness.sandbox import SandboxLimits, compose_config

GRADER_IMAGE = ImageBuild(name="harness-lcb", context=SANDBOXES / "livecodebench")
GRADER = "/opt/lcb/lcb_grader.py"
LABEL = "org.harness.livecodebench-grader"
STARTUP_TIMEOUT_S = 60


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
    attempts: int = 3
    """Gradings of one program before its grader failures are the sample's error (fresh grader each time)."""
    run_id: str = field(default_factory=current_run)
    """The run the grader containers are labelled with."""


class RunnerError(Exception):
    """The grader failed, not the program: an infrastructure error (a program that ends its own process is not one)."""


def request_deadline(request: dict[str, Any]) -> float:
    """Seconds one grading may take: lcb_runner's global timeout plus slack for the round trip."""
    return (int(request.get("timeout", 6)) + 1) * len(request["inputs"]) + 5 + 60


class GraderContainer:
    """One grader container and the stream attached to its stdio (requests in, responses out)."""

    def __init__(self, client: Any, settings: GraderSettings, name: str) -> None:
        self.container = client.containers.create(
            command=["python3", GRADER, "serve", str(settings.idle_exit_s)],
            name=name,
            labels={LABEL: name, RUN_LABEL: settings.run_id},
            stdin_open=True,
            auto_remove=True,
            **container_options(settings),
        )
        try:
            stream = self.container.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            self._socket = getattr(stream, "_sock", stream)
            self._stream = stream  # keeps the HTTP response (and so the socket) alive
            self.container.start()
            self._stdout, self._stderr = bytearray(), bytearray()
            ready = self._receive(time.monotonic() + STARTUP_TIMEOUT_S)
        except Exception:
            self.remove()
            raise
        if not ready.get("ready"):
            self.remove()
            raise RunnerError(f"grader {name} answered {ready!r} instead of ready")

    def grade(self, request: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(request).encode()  # ASCII only: no detach-key bytes on stdin
        self._socket.sendall(str(len(data)).encode() + b"\n" + data)
        return self._receive(time.monotonic() + request_deadline(request))

    def _receive(self, deadline: float) -> dict[str, Any]:
        """The next response frame from stdout, demultiplexing docker's stream frames."""
        while True:
            newline = self._stdout.find(b"\n")
            if newline >= 0:
                size = int(self._stdout[:newline])
                end = newline + 1 + size
                if len(self._stdout) >= end:
                    payload = bytes(self._stdout[newline + 1 : end])
                    del self._stdout[:end]
                    return json.loads(payload)
            header = self._read_exact(8, deadline)
            chunk = self._read_exact(int.from_bytes(header[4:8], "big"), deadline)
            (self._stdout if header[0] == 1 else self._stderr).extend(chunk)

    def _read_exact(self, size: int, deadline: float) -> bytes:
        data = bytearray()
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RunnerError(f"grader {self.container.name} did not answer in time")
            self._socket.settimeout(remaining)
            try:
                chunk = self._socket.recv(size - len(data))
            except TimeoutError as ex:
                raise RunnerError(f"grader {self.container.name} did not answer in time") from ex
            if not chunk:
                tail = self._stderr.decode(errors="replace").strip()[-300:]
                raise RunnerError(f"grader {self.container.name} exited{': ' + tail if tail else ''}")
            data.extend(chunk)
        return bytes(data)

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self._socket.close()
        with contextlib.suppress(Exception):
            self.container.remove(force=True)


def container_options(settings: GraderSettings) -> dict[str, Any]:
    """Container options from the harness sandbox defaults (compose.default.yaml) with the grader's limits."""
    limits = SandboxLimits(cpus=settings.cpus, memory_mb=settings.memory_mb, pids=settings.pids)
    service = compose_config(settings.image, limits).services["default"].model_dump(exclude_none=True)
    return {
        "image": settings.image,
        "init": bool(service.get("init", True)),
        "network_mode": service.get("network_mode", "none"),
        "nano_cpus": int(float(service.get("cpus", settings.cpus)) * 1e9),
        "mem_limit": service.get("mem_limit", f"{settings.memory_mb}m"),
        "pids_limit": int(service.get("pids_limit", settings.pids)),
    }


class GraderPool:
    """Up to `settings.workers` grader containers; `grade()` blocks until one is free (call it from a thread)."""

    def __init__(self, settings: GraderSettings) -> None:
        import docker

        self.settings = settings
        self._client = docker.from_env(timeout=120)
        self._free: queue.Queue[GraderContainer | None] = queue.Queue()
        self._live: set[GraderContainer] = set()
        self._starting = 0
        self._lock = threading.Lock()

    def grade(self, request: dict[str, Any]) -> dict[str, Any]:
        """The grader's JSON response for one request, retried in a fresh grader when the grader (not the
        program) failed; RunnerError, naming each failure, when every attempt failed."""
        failures = []
        for _ in range(max(1, self.settings.attempts)):
            try:
                return self.grade_once(request)
            except RunnerError as ex:
                failures.append(str(ex))
        raise RunnerError(f"{len(failures)} grading attempt(s) failed: " + " | ".join(failures))

    def grade_once(self, request: dict[str, Any]) -> dict[str, Any]:
        """One grading; a grader that failed is discarded (the next request starts a fresh one)."""
        grader = self._acquire()
        try:
            response = grader.grade(request)
        except Exception as ex:
            self._discard(grader)
            raise ex if isinstance(ex, RunnerError) else RunnerError(f"{type(ex).__name__}: {ex}") from ex
        if "runner_error" in response:
            self._discard(grader)
            raise RunnerError(response["runner_error"])
        self._free.put(grader)
        return response

    def _acquire(self) -> GraderContainer:
        """A free container, a new one while fewer than `workers` exist, else wait for one to be freed."""
        block = False
        while True:
            try:
                grader = self._free.get(block=block)
            except queue.Empty:
                grader = None
            if grader is not None:
                return grader
            with self._lock:
                start = len(self._live) + self._starting < self.settings.workers
                self._starting += start
            if start:
                return self._start()
            block = True

    def _start(self) -> GraderContainer:
        name = f"harness-lcb-grader-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            grader = GraderContainer(self._client, self.settings, name)
        except Exception as ex:
            with self._lock:
                self._starting -= 1
            self._free.put(None)  # let a waiting caller try to start one
            raise (
                ex
                if isinstance(ex, RunnerError)
                else RunnerError(f"cannot start a grader from {self.settings.image}: {ex}")
            ) from ex
        with self._lock:
            self._starting -= 1
            self._live.add(grader)
        return grader

    def _discard(self, grader: GraderContainer) -> None:
        with self._lock:
            self._live.discard(grader)
        grader.remove()
        self._free.put(None)  # wakes a waiting caller, which starts a replacement

    def containers(self) -> list[Any]:
        """The docker containers of the live graders."""
        with self._lock:
            return [g.container for g in self._live]

    def close(self) -> None:
        with self._lock:
            graders = list(self._live)
            self._live.clear()
        for grader in graders:
            grader.remove()


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
