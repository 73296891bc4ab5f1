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


def check_results_dir() -> Path:
    """The results root, created if needed; a path that is not a writable directory is a one-line error."""
    from harness.errors import HarnessError

    root = results_dir()
    where = f"HARNESS_RESULTS_DIR {root}" if "HARNESS_RESULTS_DIR" in os.environ else f"results directory {root}"
    existing = next((p for p in (root, *root.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise HarnessError(f"{where}: {existing} is not a directory; point HARNESS_RESULTS_DIR at a directory")
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise HarnessError(f"{where}: {existing} is not writable; point HARNESS_RESULTS_DIR at a writable directory")
    return root
