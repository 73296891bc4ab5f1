"""The repository in the agent's container: prune the future before the agent starts, collect its patch after.

Before the agent starts, every ref but the checked-out branch (tags, remotes, other branches, stash, notes), the
reflogs and the then unreachable objects are removed, so `git log --all` cannot show the upstream fix. After the
agent stops, its patch is `git diff <base_commit>` of the whole working tree (new files included), without binary
files and without new build or cache files (the suite's `[patch] junk` globs).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from inspect_ai.util import SandboxEnvironment

PATCH_FILE = "/tmp/harness_model.patch"

# $1: workdir, $2: base_commit. Prints key=value lines. A stand-in image whose history lacks base_commit diffs
# against the HEAD it was built with instead (diff_base), and says so (base_found=0).
PRUNE_SCRIPT = r"""
set -u
cd "$1" || { echo "error=no repository directory $1"; exit 3; }
git rev-parse --git-dir >/dev/null 2>&1 || { echo "error=$1 is not a git repository"; exit 3; }
base=$2
head=$(git rev-parse HEAD)
if git cat-file -e "$base^{commit}" 2>/dev/null; then echo base_found=1; diff_base=$base
else echo base_found=0; diff_base=$head; fi
branch=$(git symbolic-ref -q HEAD || true)
for remote in $(git remote); do git remote remove "$remote" >/dev/null 2>&1 || true; done
for ref in $(git for-each-ref --format='%(refname)'); do
  [ "$ref" = "$branch" ] || git update-ref -d "$ref"
done
rm -f .git/FETCH_HEAD .git/ORIG_HEAD .git/MERGE_HEAD .git/CHERRY_PICK_HEAD .git/REVERT_HEAD
git reflog expire --expire=now --expire-unreachable=now --all
git gc --prune=now --quiet >/dev/null 2>&1 || echo "warning=git gc failed"
echo "refs=$(git for-each-ref --format='%(refname)' | tr '\n' ' ')"
echo "head=$head"
echo "diff_base=$diff_base"
"""

DIFF_SCRIPT = r"""
set -u
cd "$1" || exit 3
rm -f .git/index.lock
git add -A >/dev/null 2>&1 || echo "warning=git add failed" >&2
git -c core.quotepath=false diff --cached --no-color --no-ext-diff --no-textconv --no-renames \
  --src-prefix=a/ --dst-prefix=b/ "$2" > "$3" || exit 4
size=$(wc -c < "$3")
echo "bytes=$size" >&2
if [ "$size" -le "$4" ]; then cat "$3"; fi
"""
STDOUT_SAFE = 8 * 1024 * 1024  # larger patches are read as a file (exec output streams are capped at 10 MiB)


@dataclass(frozen=True)
class RepoState:
    """What the prune step found and did."""

    diff_base: str
    head: str
    base_found: bool
    refs_left: list[str]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PatchResult:
    """The model patch and what was kept out of it."""

    text: str
    excluded: list[dict[str, str]]
    error: str | None = None


def _pairs(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


async def prune_history(box: SandboxEnvironment, workdir: str, base_commit: str) -> RepoState:
    """Remove refs, reflogs and objects newer than the checkout, so the agent cannot read the future."""
    result = await box.exec(["bash", "-c", PRUNE_SCRIPT, "prune", workdir, base_commit], timeout=900)
    values = _pairs(result.stdout)
    if not result.success or "diff_base" not in values:
        raise RuntimeError(values.get("error") or f"pruning git history failed: {result.stderr.strip()[-300:]}")
    return RepoState(
        diff_base=values["diff_base"],
        head=values["head"],
        base_found=values["base_found"] == "1",
        refs_left=values.get("refs", "").split(),
        warnings=[v for k, v in values.items() if k == "warning"],
    )


async def collect_patch(box: SandboxEnvironment, workdir: str, diff_base: str, junk: list[str]) -> PatchResult:
    """`git diff <diff_base>` of the working tree (untracked files included), filtered by `filter_patch`."""
    result = await box.exec(
        ["bash", "-c", DIFF_SCRIPT, "diff", workdir, diff_base, PATCH_FILE, str(STDOUT_SAFE)], timeout=600
    )
    if not result.success:
        return PatchResult("", [], error=f"git diff failed: {result.stderr.strip()[-300:]}")
    size = int(_pairs(result.stderr).get("bytes", "0") or 0)
    if size > STDOUT_SAFE:
        raw = (await box.read_file(PATCH_FILE, text=False)).decode("utf-8", errors="replace")
    else:
        raw = result.stdout
    text, excluded = filter_patch(raw, junk)
    return PatchResult(text, excluded)


# ---------------------------------------------------------------------------------------------------------------
# filtering (pure)

_HEADER = re.compile(r'^diff --git "?a/(?P<a>.*?)"? "?b/(?P<b>.*?)"?$')


def split_sections(diff: str) -> list[str]:
    """A `git diff` split into one text per file (each starting with `diff --git`)."""
    sections: list[str] = []
    for line in diff.splitlines(keepends=True):
        if line.startswith("diff --git ") or not sections:
            sections.append(line)
        else:
            sections[-1] += line
    return sections


def section_path(section: str) -> str:
    match = _HEADER.match(section.splitlines()[0])
    return match.group("b") if match else section.splitlines()[0]


def _is_binary(section: str) -> bool:
    return any(line.startswith(("Binary files ", "GIT binary patch")) for line in section.splitlines())


def _is_new(section: str) -> bool:
    head = section.split("\n@@", 1)[0]
    return any(line.startswith("new file mode") for line in head.splitlines())


def is_junk(path: str, junk: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in junk)


def filter_patch(diff: str, junk: list[str]) -> tuple[str, list[dict[str, str]]]:
    """Drop binary files and new junk files from a `git diff`; returns the patch and what was dropped and why."""
    kept: list[str] = []
    excluded: list[dict[str, str]] = []
    for section in split_sections(diff):
        if not section.startswith("diff --git "):
            kept.append(section)
            continue
        path = section_path(section)
        if _is_new(section) and is_junk(path, junk):
            excluded.append({"path": path, "reason": "junk"})
        elif _is_binary(section):
            excluded.append({"path": path, "reason": "binary"})
        else:
            kept.append(section)
    return "".join(kept), excluded
