"""Where things live: the repository root, bundled data, sandbox templates and run outputs."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DATA = Path(__file__).resolve().parent / "data"
SANDBOXES = REPO_ROOT / "sandboxes"
SUITES = REPO_ROOT / "suites"


def results_dir() -> Path:
    """Root of run outputs; `HARNESS_RESULTS_DIR` overrides `results/`."""
    return Path(os.environ.get("HARNESS_RESULTS_DIR", REPO_ROOT / "results")).resolve()


def runs_dir() -> Path:
    return results_dir() / "runs"


def cache_dir() -> Path:
    """Downloads and generated files; `HARNESS_CACHE_DIR` overrides `.cache/` in the repository."""
    return Path(os.environ.get("HARNESS_CACHE_DIR", REPO_ROOT / ".cache")).resolve()
