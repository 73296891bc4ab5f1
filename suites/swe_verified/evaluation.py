"""The evaluation phase, in the sample's fresh `eval` container: apply the patch, run the row's eval_script.

This follows `swebench.harness.run_evaluation.run_instance` step by step: the patch goes to `/tmp/patch.diff`;
the commands of the official `GIT_APPLY_CMDS` are tried in order (`git apply --verbose`, `--3way`, `--reject`,
`patch --batch --forward --fuzz=5 -p1 -i`), restoring a pristine tree between attempts, then
`git apply --check --reverse` accepts an already applied patch; the test spec's eval script (with the test
command's exit status recorded) runs as `/bin/bash /eval.sh` with stdout and stderr in one log, under the
official 1800 s timeout, after which the official "Timeout error" line is appended to the log.
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from functools import cache

from inspect_ai.util import SandboxEnvironment

EVAL_SCRIPT_FILE = "/eval.sh"
TEST_OUTPUT_FILE = "/tmp/harness_test_output.txt"
APPLIED_WITH = "harness-applied-with="
ALREADY_APPLIED = "verified already applied"
LOG_CAP = 4_000_000  # characters of a log kept in the score (head and tail)


@dataclass(frozen=True)
class EvalRun:
    """What happened in the evaluation container."""

    applied_with: str | None
    """The command that applied the patch; None when it failed or there was no patch."""
    apply_output: str
    test_output: str
    """The eval script's combined stdout and stderr (the official test_output.txt)."""
    exit_code: int | None
    timed_out: bool
    seconds: float


@cache
def _official() -> tuple[list[str], str]:
    from swebench.harness.constants import CONTAINER_PATCH_FILE
    from swebench.harness.run_evaluation import GIT_APPLY_CMDS

    return list(GIT_APPLY_CMDS), CONTAINER_PATCH_FILE


def patch_file() -> str:
    return _official()[1]


def apply_script(workdir: str) -> str:
    """The official apply chain as one shell script: the first command that succeeds wins."""
    commands, patch = _official()
    lines = [f"cd {shlex.quote(workdir)} || exit 3"]
    for attempt, command in enumerate(commands):
        if attempt:
            lines.append("git checkout -- . ; git clean -fd")
        lines.append(f"if {command} {patch}; then echo '{APPLIED_WITH}{command}'; exit 0; fi")
    lines.append(f"if git apply --check --reverse {patch}; then echo '{APPLIED_WITH}{ALREADY_APPLIED}'; exit 0; fi")
    lines.append("exit 1")
    return "\n".join(lines) + "\n"


def run_script(timeout: int) -> str:
    """Run /eval.sh under `timeout` (TERM, then KILL), as the official exec_run_with_timeout does."""
    return (f"if command -v timeout >/dev/null 2>&1; then "
            f"timeout -s TERM -k 15 {int(timeout)} /bin/bash {EVAL_SCRIPT_FILE}; "
            f"else /bin/bash {EVAL_SCRIPT_FILE}; fi > {TEST_OUTPUT_FILE} 2>&1")


def cap(text: str, limit: int = LOG_CAP) -> str:
    """Keep head and tail of a long log."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n\n[... {len(text) - limit} characters cut by the harness ...]\n\n{text[-half:]}"


async def apply_patch(box: SandboxEnvironment, patch: str, workdir: str) -> tuple[str | None, str]:
    """Apply `patch` with the official fallback chain; returns (the command that applied it or None, its log)."""
    await box.write_file(patch_file(), patch)
    result = await box.exec(["bash", "-c", apply_script(workdir)], timeout=600)
    output = result.stdout + result.stderr
    applied = next((line[len(APPLIED_WITH):] for line in result.stdout.splitlines()
                    if line.startswith(APPLIED_WITH)), None)
    return (applied if result.success else None), output


async def run_eval_script(box: SandboxEnvironment, eval_script: str, timeout: int) -> tuple[str, int, bool]:
    """Run the eval script; returns (log, exit code, timed out). An outer guard catches a hung container."""
    await box.write_file(EVAL_SCRIPT_FILE, eval_script)
    started = time.monotonic()
    result = await box.exec(["bash", "-c", run_script(timeout)], timeout=timeout + 120)
    elapsed = time.monotonic() - started
    raw = await box.read_file(TEST_OUTPUT_FILE, text=False)
    output = raw.decode("utf-8", errors="replace")  # as swebench: a stray non-UTF-8 byte must not kill the run
    timed_out = result.returncode in (124, 137) and elapsed >= timeout - 1
    if timed_out:
        output += f"\n\nTimeout error: {timeout} seconds exceeded."
    return output, result.returncode, timed_out


async def evaluate(box: SandboxEnvironment, *, patch: str, eval_script: str, workdir: str, timeout: int) -> EvalRun:
    """Apply a non-empty patch, then run the eval script (also for an empty patch, to record the unpatched run)."""
    started = time.monotonic()
    applied_with, apply_output = None, ""
    if patch.strip():
        applied_with, apply_output = await apply_patch(box, patch, workdir)
        if applied_with is None:
            return EvalRun(None, apply_output, "", None, False, time.monotonic() - started)
    output, exit_code, timed_out = await run_eval_script(box, eval_script, timeout)
    return EvalRun(applied_with, apply_output, output, exit_code, timed_out, time.monotonic() - started)
