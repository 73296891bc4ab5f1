"""The harness as a package: a wheel carrying the image sources, optional extras per suite, inspect's registry."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from harness import inspect_tasks
from harness.errors import HarnessError
from harness.extras import require_extra
from harness.paths import REPO_ROOT
from harness.suite import get_suite, suite_names

BIN = Path(sys.executable).parent


def test_every_suite_is_an_inspect_task_and_inspect_lists_them() -> None:
    from importlib.metadata import entry_points

    assert [ep.value for ep in entry_points(group="inspect_ai") if ep.name == "harness"] == ["harness.inspect_tasks"]
    assert all(callable(getattr(inspect_tasks, name, None)) for name in suite_names())
    listed = subprocess.run(
        [str(BIN / "inspect"), "list", "tasks"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in suite_names():
        assert f"harness/inspect_tasks.py@{name}" in listed


def test_extras_cover_the_suites_and_a_missing_one_is_named(monkeypatch) -> None:
    extras = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert {"swe", "mcp", "lcb"} <= set(extras) and "all" in extras
    with pytest.raises(HarnessError, match=r"suite swe_verified needs nosuchmodule: pip install .*\[swe\]"):
        require_extra("swe_verified", "swe", "nosuchmodule")
    for module in [m for m in sys.modules if m.startswith("suites.swe_verified")]:
        monkeypatch.delitem(sys.modules, module)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "swebench" else real(name, *a))
    with pytest.raises(HarnessError, match=r"\[swe\]"):
        get_suite("swe_verified")


@pytest.mark.docker
def test_a_wheel_installed_in_a_fresh_venv_builds_terminal_bench_images(docker_engine, tmp_path: Path) -> None:
    """`pip wheel .` carries sandboxes/ (and the suites' bundled tasks); the installed harness builds from it.
    The fresh venv takes its dependencies from the test venv (a .pth line), so the test downloads nothing."""
    subprocess.run(
        [str(BIN / "pip"), "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(REPO_ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next((tmp_path / "dist").glob("agentic_bench_harness-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "harness/sandboxes/base/Dockerfile",
        "harness/sandboxes/compose.default.yaml",
        "harness/data/suites.toml",
        "harness/data/disk.toml",
    ):
        assert needed in names, needed
    assert any(n.startswith("suites/terminal_bench/") and n.endswith("/task.toml") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--no-deps", str(wheel)], check=True)
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import harness.paths as p; print(p.SANDBOXES)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where == str(site / "harness" / "sandboxes")
    built = subprocess.run(
        [str(venv / "bin" / "harness"), "images", "build", "--suite", "terminal_bench"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    assert "image(s) ready" in built.stdout
