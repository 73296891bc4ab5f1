"""Moving files into and out of a sandbox in one exec call each (a tar stream in, base64 out).

Every `docker compose exec` costs about 0.2 s, so a step that copies files, prepares directories and reads results
does it in one call, not one per file.
"""

from __future__ import annotations

import base64
import io
import shlex
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from inspect_ai.util import SandboxEnvironment

from harness.errors import HarnessError


def _add(tar: tarfile.TarFile, info: tarfile.TarInfo, data: bytes | None) -> None:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    tar.addfile(info, io.BytesIO(data) if data is not None else None)


def tar_files(local: Path | None = None, extra: Mapping[str, bytes] | None = None, mode: int | None = None) -> bytes:
    """A tar archive of the contents of `local` (paths relative to it) plus `extra` files (mode 0755)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(local.rglob("*")) if local is not None else []:
            if "__pycache__" in path.parts:
                continue
            info = tar.gettarinfo(str(path), arcname=str(path.relative_to(local)))
            if mode is not None and path.is_file():
                info.mode = mode
            _add(tar, info, path.read_bytes() if path.is_file() else None)
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            _add(tar, info, data)
    return buffer.getvalue()


def tar_dir(local: Path, mode: int | None = None) -> bytes:
    """A tar archive of the contents of `local` (paths relative to it)."""
    return tar_files(local, mode=mode)


async def upload(
    sandbox: SandboxEnvironment,
    dest: str,
    local: Path | None = None,
    extra: Mapping[str, bytes] | None = None,
    *,
    before: str = "",
    after: str = "",
    user: str | None = None,
    timeout: int = 120,
) -> None:
    """Unpack `local`'s contents and `extra` files at `dest` (created if missing), in one exec.

    `before` and `after` are shell snippets run in the same exec (e.g. removing stale files, making log dirs).
    """
    quoted = shlex.quote(dest)
    steps = [s for s in (before, f"mkdir -p {quoted} && tar -x -C {quoted}", after) if s]
    result = await sandbox.exec(
        ["sh", "-c", " && ".join(f"{{ {s}; }}" for s in steps)],
        input=tar_files(local, extra),
        user=user,
        timeout=timeout,
    )
    if not result.success:
        raise HarnessError(f"copying {local or 'files'} to {dest} in the sandbox failed: {result.stderr.strip()[:300]}")


async def upload_dir(sandbox: SandboxEnvironment, local: Path, dest: str, timeout: int = 120) -> None:
    """Copy the contents of `local` to `dest` in the sandbox (created if missing), in one exec."""
    await upload(sandbox, dest, local, timeout=timeout)


async def read_files(sandbox: SandboxEnvironment, paths: Sequence[str], timeout: int = 120) -> dict[str, str | None]:
    """The text of each of `paths` (None when missing), in one exec; falls back to one read per file when the
    container lacks `base64`."""
    script = "; ".join(
        f"if [ -f {shlex.quote(p)} ]; then printf '%s ' {i}; base64 < {shlex.quote(p)} | tr -d '\\n'; echo; fi"
        for i, p in enumerate(paths)
    )
    result = await sandbox.exec(["sh", "-c", script], timeout=timeout)
    if not result.success:
        return {p: await _read_one(sandbox, p) for p in paths}
    found: dict[str, str | None] = dict.fromkeys(paths)
    for line in result.stdout.splitlines():
        index, _, encoded = line.partition(" ")
        found[paths[int(index)]] = base64.b64decode(encoded).decode("utf-8", errors="replace")
    return found


async def _read_one(sandbox: SandboxEnvironment, path: str) -> str | None:
    try:
        return await sandbox.read_file(path)
    except FileNotFoundError:
        return None
