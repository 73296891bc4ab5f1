"""Generate `samples/instances.jsonl`, the offline instances, from their sources in `samples/src/<instance_id>/`.

A source holds `base/` (the repository at the base commit), `fix/` (files the gold patch changes), `test_overlay/`
(files the test patch changes) and `instance.toml` (issue text and test lists). `samples/build-repo.sh` builds the
repository deterministically, here and in the instance image, so `base_commit` names the image's HEAD. Patches are
real `git diff` output and `eval_script` has the 5.x form of the official rows.

    python -m suites.swe_verified.fixture_gen           # rewrite samples/instances.jsonl
    python -m suites.swe_verified.fixture_gen --check   # exit 1 when it is stale
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from suites.swe_verified.dataset import FIXTURES_DIR, FIXTURES_FILE, SCHEMA_FIELDS

SOURCES = FIXTURES_DIR / "src"
BUILD_REPO = FIXTURES_DIR / "build-repo.sh"
IMAGE_PREFIX = "harness-swe/sweb.eval.x86_64."
HEREDOC = "EOF_114329324912"  # the delimiter the official rows use

EVAL_SCRIPT = """#!/bin/bash
set -uxo pipefail
source /opt/miniconda3/bin/activate
conda activate testbed
cd /testbed
git config --global --add safe.directory /testbed
cd /testbed
git status
git show
git -c core.fileMode=false diff {base}
source /opt/miniconda3/bin/activate
conda activate testbed
git checkout {base} {test_files}
git apply -v - <<'{heredoc}'
{test_patch}
{heredoc}
: '>>>>> Start Test Output'
pytest -rA {test_files}
: '>>>>> End Test Output'
git checkout {base} {test_files}
"""


def image_name(instance_id: str) -> str:
    """The official naming scheme (`owner__repo-N` -> `owner_1776_repo-N`) under the harness-swe namespace."""
    return f"{IMAGE_PREFIX}{instance_id.replace('__', '_1776_')}:latest"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "core.quotepath=false", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def _diff(repo: Path, overlay: Path) -> tuple[str, list[str]]:
    """The patch (upstream format: no index lines) taking the base tree to base + overlay, and its files."""
    subprocess.run(["cp", "-R", f"{overlay}/.", str(repo)], check=True)
    _git(repo, "add", "-A")
    files = _git(repo, "diff", "--cached", "--name-only").split()
    text = _git(repo, "diff", "--cached", "--no-color", "--no-renames", "--src-prefix=a/", "--dst-prefix=b/")
    _git(repo, "reset", "-q", "--hard", "HEAD")
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("index ")), files


def build_instance(src: Path) -> dict[str, Any]:
    """One instance row from its source directory."""
    meta = tomllib.loads((src / "instance.toml").read_text())
    with tempfile.TemporaryDirectory(prefix="swe-fixture-") as tmp:
        repo = Path(tmp) / "repo"
        base = subprocess.run(
            ["bash", str(BUILD_REPO), str(src), str(repo)], check=True, capture_output=True, text=True
        ).stdout.strip()
        gold, _ = _diff(repo, src / "fix")
        test_patch, test_files = _diff(repo, src / "test_overlay")
    files = " ".join(test_files)
    row = {
        "repo": meta["repo"],
        "instance_id": src.name,
        "base_commit": base,
        "patch": gold,
        "test_patch": test_patch,
        "problem_statement": meta["problem_statement"].strip() + "\n",
        "hints_text": meta.get("hints_text", ""),
        "created_at": meta["created_at"],
        "version": meta["version"],
        "FAIL_TO_PASS": json.dumps(meta["FAIL_TO_PASS"]),
        "PASS_TO_PASS": json.dumps(meta["PASS_TO_PASS"]),
        "environment_setup_commit": base,
        "difficulty": meta["difficulty"],
        "eval_script": EVAL_SCRIPT.format(base=base, test_files=files, test_patch=test_patch, heredoc=HEREDOC),
        "log_parser": "parse_log_pytest",
        "eval_type": "pass_and_fail",
        "image": image_name(src.name),
    }
    return {field: row[field] for field in SCHEMA_FIELDS}


def render() -> str:
    """The full instances.jsonl text."""
    rows = [build_instance(src) for src in sorted(SOURCES.iterdir()) if (src / "instance.toml").is_file()]
    return "".join(json.dumps(row) + "\n" for row in rows)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not FIXTURES_FILE.is_file() or FIXTURES_FILE.read_text() != text:
            print(f"{FIXTURES_FILE} is stale; run python -m suites.swe_verified.fixture_gen", file=sys.stderr)
            return 1
        print(f"{FIXTURES_FILE} is up to date")
        return 0
    FIXTURES_FILE.write_text(text)
    print(f"wrote {FIXTURES_FILE} ({text.count(chr(10))} instances)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
