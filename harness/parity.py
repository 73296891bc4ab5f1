"""`python -m harness.parity` (`make parity`): every comparison with upstream's own code this machine can run.

Each suite contributes one check, named in `CHECKS` as "module:function". A check takes no arguments and returns
a `ParityResult`: its status ("identical", "different" or "skipped"), one line for the summary (a skipped check
says why) and the differences found. The runner prints one line per check, `suite: line`, then the differences,
and exits 1 when any check found one (or failed to run), 0 otherwise. Upstream code and data come from
`../shared` (or `HARNESS_SHARED`), which is never committed; checks skip when it is absent.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from harness.errors import HarnessError
from harness.paths import REPO_ROOT

CHECKS: dict[str, str] = {
    "livecodebench": "suites.livecodebench.parity:check",
    "mcp_atlas": "suites.mcp_atlas.replay:check",
}
"""suite -> "module:function" of its parity check."""


@dataclass(frozen=True)
class ParityResult:
    status: Literal["identical", "different", "skipped"]
    line: str
    """One line: what was compared with what and how much agreed, or why the check was skipped."""
    differences: list[str] = field(default_factory=list)


def shared_root() -> Path:
    """Where the upstream references and data live: `HARNESS_SHARED`, else the parent of `HARNESS_SHARED_DATA` (the
    tests' variable for its data/ folder), else ../shared next to the repository."""
    if os.environ.get("HARNESS_SHARED"):
        return Path(os.environ["HARNESS_SHARED"])
    if os.environ.get("HARNESS_SHARED_DATA"):
        return Path(os.environ["HARNESS_SHARED_DATA"]).parent
    return REPO_ROOT.parent / "shared"


def docker_answers() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False


def run_check(target: str) -> ParityResult:
    module, _, function = target.partition(":")
    try:
        return getattr(importlib.import_module(module), function)()
    except HarnessError as ex:
        return ParityResult("different", f"could not run: {ex}")
    except Exception as ex:  # a crashed check is a failed comparison, reported on its line, never a pass
        return ParityResult("different", f"could not run: {type(ex).__name__}: {ex}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.parity", description=__doc__.splitlines()[0])
    parser.add_argument("--suite", action="append", choices=sorted(CHECKS), help="only these suites (repeatable)")
    parser.add_argument("--max-differences", type=int, default=20, help="differences printed per suite")
    args = parser.parse_args(argv)
    failed = False
    for suite in args.suite or list(CHECKS):
        result = run_check(CHECKS[suite])
        prefix = "skipped: " if result.status == "skipped" else ""
        print(f"{suite}: {prefix}{result.line}", flush=True)
        for difference in result.differences[: args.max_differences]:
            print(f"  {difference}")
        if len(result.differences) > args.max_differences:
            print(f"  ... and {len(result.differences) - args.max_differences} more")
        failed |= result.status == "different"
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
