"""Putting task files into the task container as root (Harbor uploads with `docker cp`, i.e. as root), and the
/logs directories the agent and verifier write to (world-writable, as Harbor makes its mounted log dirs)."""

from __future__ import annotations

import shlex
from pathlib import Path

from inspect_ai.util import SandboxEnvironment

from harness.sandbox_files import tar_dir

LOG_DIRS = ("/logs/agent", "/logs/verifier")


async def _root(box: SandboxEnvironment, script: str, input: bytes | None = None) -> None:
    result = await box.exec(["sh", "-c", script], input=input, user="root", timeout=120)
    if not result.success:
        raise RuntimeError(f"`{script}` failed in the sandbox: {result.stderr.strip()[:300]}")


async def put_dir(box: SandboxEnvironment, local: Path, dest: str) -> None:
    """Copy the contents of `local` to `dest` (created if missing) in one exec."""
    await _root(box, f"mkdir -p {shlex.quote(dest)} && tar -x -C {shlex.quote(dest)}", tar_dir(local))


async def put_file(box: SandboxEnvironment, contents: bytes, dest: str) -> None:
    """Write `dest` (its directory created if missing), mode 0755."""
    quoted = shlex.quote(dest)
    await _root(box, f"mkdir -p \"$(dirname {quoted})\" && cat > {quoted} && chmod 755 {quoted}", contents)


async def ensure_log_dirs(box: SandboxEnvironment) -> None:
    dirs = " ".join(LOG_DIRS)
    await _root(box, f"mkdir -p {dirs} && chmod 777 {dirs}")
