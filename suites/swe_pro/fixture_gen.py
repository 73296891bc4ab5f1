"""Generate the offline SWE-bench Pro fixtures: `samples/instances.jsonl` and `samples/run_scripts/<instance_id>/`.

A source `samples/src/<name>/` holds `base/`, `fix/`, `test_overlay/` (harness.fixture_repo) and `instance.toml`
(language, issue text, requirements, interface, test lists). Rows have the ScaleAI/SWE-bench_Pro columns and forms:
the instance id names the fix commit, list columns are Python list literals, `before_repo_set_cmd` ends with the
checkout of the test files from the fix commit, and each instance gets the run script and parser of its language
(`samples/templates/`, written in the style of Scale's scripts).

    python -m suites.swe_pro.fixture_gen           # rewrite the fixtures
    python -m suites.swe_pro.fixture_gen --check   # exit 1 when they are stale
"""

from __future__ import annotations

import json
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from harness.fixture_repo import build_repo, diff_overlay, git
from suites.swe_pro.dataset import FIXTURE_SCRIPTS, FIXTURES_DIR, FIXTURES_FILE, dockerhub_tag

SOURCES = FIXTURES_DIR / "src"
TEMPLATES = FIXTURES_DIR / "templates"


def build_instance(src: Path) -> dict[str, Any]:
    """One row from its source directory."""
    meta = tomllib.loads((src / "instance.toml").read_text())
    with tempfile.TemporaryDirectory(prefix="swepro-fixture-") as tmp:
        repo = Path(tmp) / "repo"
        base = build_repo(src, repo)
        fix = git(repo, "rev-parse", "upstream-fix").strip()
        gold, _ = diff_overlay(repo, src / "fix")
        test_patch, test_files = diff_overlay(repo, src / "test_overlay")
    instance_id = f"instance_{meta['repo'].replace('/', '__')}-{fix}-vnan"
    row = {
        "repo": meta["repo"],
        "instance_id": instance_id,
        "base_commit": base,
        "patch": gold,
        "test_patch": test_patch,
        "problem_statement": meta["problem_statement"].strip() + "\n",
        "requirements": meta["requirements"].strip() + "\n",
        "interface": meta["interface"].strip() + "\n",
        "repo_language": meta["repo_language"],
        "fail_to_pass": repr(meta["FAIL_TO_PASS"]),
        "pass_to_pass": repr(meta["PASS_TO_PASS"]),
        "issue_specificity": "['minor_bug']",
        "issue_categories": "['back_end_knowledge']",
        "before_repo_set_cmd": f"git reset --hard {base}\ngit clean -fd \ngit checkout {base}\n"
        f"git checkout {fix} -- {' '.join(test_files)}",
        "selected_test_files_to_run": repr(meta["selected_test_files_to_run"]),
        "dockerhub_tag": dockerhub_tag(instance_id, meta["repo"]),
    }
    return row


def render() -> dict[Path, str]:
    """Every generated file and its text."""
    files: dict[Path, str] = {}
    rows = []
    for src in sorted(SOURCES.iterdir()):
        if not (src / "instance.toml").is_file():
            continue
        row = build_instance(src)
        rows.append(row)
        for name, template in (("run_script.sh", "run_script.sh"), ("parser.py", "parser.py")):
            text = (TEMPLATES / f"{row['repo_language']}_{template}").read_text()
            files[FIXTURE_SCRIPTS / row["instance_id"] / name] = text
    files[FIXTURES_FILE] = "".join(json.dumps(row) + "\n" for row in rows)
    return files


def main(argv: list[str]) -> int:
    files = render()
    stale = [p for p, text in files.items() if not p.is_file() or p.read_text() != text]
    extra = (
        [p for p in FIXTURE_SCRIPTS.rglob("*") if p.is_file() and p not in files] if FIXTURE_SCRIPTS.is_dir() else []
    )
    if "--check" in argv:
        if stale or extra:
            names = ", ".join(str(p.relative_to(FIXTURES_DIR)) for p in [*stale, *extra][:5])
            print(f"stale fixtures ({names}); run python -m suites.swe_pro.fixture_gen", file=sys.stderr)
            return 1
        print(f"{FIXTURES_DIR} is up to date")
        return 0
    for path in extra:
        path.unlink()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"wrote {FIXTURES_FILE} ({files[FIXTURES_FILE].count(chr(10))} instances) and their scripts")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
