"""Offline fixture repositories shared by the SWE suites: a deterministic git repository and real `git diff` patches.

A fixture source holds `base/` (the repository at the base commit), `fix/` (the files the gold patch changes) and
`test_overlay/` (the files the test patch changes). `BUILD_REPO` builds the repository the same way on the host (for
the generators, which need its commit ids) and in the fixture images, and leaves the upstream fix commit in the
history, as a real clone does (tag `upstream-fix`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from harness.paths import SANDBOXES

BUILD_REPO = SANDBOXES / "fixture-repo" / "build-repo.sh"
CONTEXT_NAME = "build-repo.sh"
"""Its name inside a fixture image's build context (`ImageBuild.extra_files`)."""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "core.quotepath=false", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def build_repo(src: Path, dest: Path) -> str:
    """Build the fixture repository of `src` at `dest`; returns the base commit."""
    return subprocess.run(
        ["bash", str(BUILD_REPO), str(src), str(dest)], check=True, capture_output=True, text=True
    ).stdout.strip()


def diff_overlay(repo: Path, overlay: Path) -> tuple[str, list[str]]:
    """The patch (upstream format: no index lines) taking the checked-out tree to it plus `overlay`, and its files."""
    subprocess.run(["cp", "-R", f"{overlay}/.", str(repo)], check=True)
    git(repo, "add", "-A")
    files = git(repo, "diff", "--cached", "--name-only").split()
    text = git(repo, "diff", "--cached", "--no-color", "--no-renames", "--src-prefix=a/", "--dst-prefix=b/")
    git(repo, "reset", "-q", "--hard", "HEAD")
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("index ")), files
