"""The MCP-Atlas sandbox: one image with the pinned MCP servers; a task's /data files are copied in at setup.

The image holds no task data (MCP-Atlas's /data files are never committed or baked in); each sample gets its own
copy, so stateful servers (filesystem writes, git, memory, sqlite) start from the same files every time.
"""

from __future__ import annotations

from pathlib import Path

from inspect_ai.util import SandboxEnvironmentSpec, sandbox

from harness.errors import HarnessError
from harness.images import ImageBuild
from harness.paths import SANDBOXES
from harness.sandbox import SandboxLimits, sandbox_spec
from harness.sandbox_files import upload_dir

IMAGE_NAME = "harness-mcp-atlas"
DATA = "/data"
SETUP_SCRIPT = "setup.sh"
"""A fixture's optional script, run in the sandbox after its files are copied (e.g. to build a git history)."""


def image() -> ImageBuild:
    return ImageBuild(name=IMAGE_NAME, context=SANDBOXES / "mcp_atlas")


def spec(*, network: bool) -> SandboxEnvironmentSpec:
    return sandbox_spec(image().tag, SandboxLimits(network=network, workdir=DATA, memory_mb=2048))


async def copy_data(local: Path) -> None:
    """Copy a data folder (a fixture's `files/` plus its setup script, or MCP-Atlas's /data files) to /data."""
    fixture = (local / "files").is_dir()
    files = local / "files" if fixture else local
    if not files.is_dir():
        raise HarnessError(f"data folder {local} does not exist")
    await upload_dir(sandbox(), files, DATA)
    script = local / SETUP_SCRIPT
    if fixture and script.is_file():
        result = await sandbox().exec(["bash", "-c", script.read_text()], cwd=DATA, timeout=120)
        if not result.success:
            raise HarnessError(f"{script} failed (exit {result.returncode}): {result.stderr.strip()[:300]}")
