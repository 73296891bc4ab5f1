"""Shared fixtures: a Docker engine (required in CI), the real upstream data in ../shared/data, temp run dirs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from harness.paths import REPO_ROOT

SHARED_DATA = Path(os.environ.get("HARNESS_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def _engine_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """Skip (or, with HARNESS_REQUIRE_DOCKER=1 as in CI, fail) when no Docker engine answers."""
    if _engine_answers():
        from harness.images import ensure_base

        ensure_base()
        return
    message = "no Docker engine answers `docker info` (install one with scripts/install-docker.sh)"
    if os.environ.get("HARNESS_REQUIRE_DOCKER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real upstream data; tests using it skip when ../shared/data is absent (it is never committed)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real upstream data not found at {SHARED_DATA} (set HARNESS_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture()
def results_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run outputs go to a temporary directory."""
    monkeypatch.setenv("HARNESS_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    return tmp_path / "results"
