"""Moving files into and out of a sandbox in one exec call each (a tar stream), not one call per file."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from inspect_ai.util import SandboxEnvironment

from harness.errors import HarnessError


def tar_dir(local: Path, mode: int | None = None) -> bytes:
    """A tar archive of the contents of `local` (paths relative to it)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(local.rglob("*")):
            if "__pycache__" in path.parts:
                continue
            info = tar.gettarinfo(str(path), arcname=str(path.relative_to(local)))
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if mode is not None and path.is_file():
                info.mode = mode
            if path.is_file():
                with path.open("rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    return buffer.getvalue()


async def upload_dir(sandbox: SandboxEnvironment, local: Path, dest: str, timeout: int = 120) -> None:
    """Copy the contents of `local` to `dest` in the sandbox (created if missing), in one exec."""
    result = await sandbox.exec(["sh", "-c", f"mkdir -p '{dest}' && tar -x -C '{dest}'"],
                                input=tar_dir(local), timeout=timeout)
    if not result.success:
        raise HarnessError(f"copying {local} to {dest} in the sandbox failed: {result.stderr.strip()}")
