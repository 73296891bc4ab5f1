"""Strict-verdict rules shared by the SWE suites: patch checks that close known holes of test-based grading.

A suite's strict verdict is its official verdict minus the rules that fire. The rules here read only the model's
patch, so every repository suite applies them the same way; file globs and line patterns are each suite's data:

- `modifies_test_files`: the patch changes a file the test patch touches (grading resets or overwrites those files,
  so such a change is either pointless or aimed at the reset);
- `test_runner_hook`: the patch adds or changes a file that runs code inside the test runner (conftest.py, a .pth
  file, a jest or mocha setup file, ...) or adds a line registering one (a pytest plugin, a Go TestMain).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from harness.repo import split_sections

_HEADER = re.compile(r'^diff --git "?a/(?P<a>.*?)"? "?b/(?P<b>.*?)"?$')


@dataclass(frozen=True)
class StrictResult:
    resolved_strict: bool
    violations: list[str] = field(default_factory=list)


def patch_files(patch: str) -> set[str]:
    """Every path a patch names (old and new side)."""
    paths: set[str] = set()
    for section in split_sections(patch):
        match = _HEADER.match(section.splitlines()[0]) if section.startswith("diff --git ") else None
        if match:
            paths.update({match.group("a"), match.group("b")})
        for line in section.splitlines():
            if line.startswith(("--- a/", "+++ b/")):
                paths.add(line[6:].split("\t")[0].strip())
    return paths


def added_lines(patch: str) -> list[str]:
    return [line[1:] for line in patch.splitlines() if line.startswith("+") and not line.startswith("+++")]


def modifies_test_files(model_patch: str, test_patch: str) -> list[str]:
    """The files both the model patch and the test patch touch."""
    return sorted(patch_files(model_patch) & patch_files(test_patch))


def test_runner_hooks(model_patch: str, hook_files: Sequence[str], plugin_patterns: Sequence[str]) -> list[str]:
    """Hook files the patch adds or changes (by file-name glob) and added lines registering a runner plugin."""
    found = [
        f"{path} (hook file)"
        for path in sorted(patch_files(model_patch))
        if any(fnmatch.fnmatchcase(PurePosixPath(path).name, glob) for glob in hook_files)
    ]
    patterns = [re.compile(p) for p in plugin_patterns]
    found += [
        f"added line {line.strip()[:80]!r} (plugin registration)"
        for line in added_lines(model_patch)
        if any(p.search(line) for p in patterns)
    ]
    return found
