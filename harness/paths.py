"""Where things live: the repository root, bundled data, sandbox templates and run outputs."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DATA = Path(__file__).resolve().parent / "data"
CHECKOUT = (REPO_ROOT / "pyproject.toml").is_file()
"""Running from a checkout (or an editable install); otherwise from an installed wheel."""
_PACKAGED_SANDBOXES = Path(__file__).resolve().parent / "sandboxes"
SANDBOXES = _PACKAGED_SANDBOXES if _PACKAGED_SANDBOXES.is_dir() else REPO_ROOT / "sandboxes"
"""Image sources: `sandboxes/` of the checkout, or the copy a wheel carries inside the package."""
SUITES = REPO_ROOT / "suites"


def _output_root() -> Path:
    return REPO_ROOT if CHECKOUT else Path.cwd()


def results_dir() -> Path:
    """Root of run outputs; `HARNESS_RESULTS_DIR` overrides `results/` (of the checkout, else of the cwd)."""
    return Path(os.environ.get("HARNESS_RESULTS_DIR", _output_root() / "results")).resolve()


def runs_dir() -> Path:
    return results_dir() / "runs"


def cache_dir() -> Path:
    """Downloads and generated files; `HARNESS_CACHE_DIR` overrides `.cache/` (of the checkout, else of the cwd)."""
    return Path(os.environ.get("HARNESS_CACHE_DIR", _output_root() / ".cache")).resolve()
