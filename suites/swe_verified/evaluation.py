"""The evaluation phase, in the sample's fresh `eval` container: apply the patch, run the row's eval_script.

This follows `swebench.harness.run_evaluation.run_instance` step by step: the patch goes to `/tmp/patch.diff`;
the commands of the official `GIT_APPLY_CMDS` are tried in order (`git apply --verbose`, `--3way`, `--reject`,
`patch --batch --forward --fuzz=5 -p1 -i`), restoring a pristine tree between attempts, then
`git apply --check --reverse` accepts an already applied patch; the test spec's eval script (with the test
command's exit status recorded) runs as `/bin/bash /eval.sh` with stdout and stderr in one log, under the
official 1800 s timeout (TERM, then KILL), after which the official "Timeout error" line is appended to the log.
The files go in as one tar stream and the chain and the script run in one exec, to keep per-sample overhead low.

An evaluation that did not complete (the container killed or gone, no end marker, no exit code) raises
`InfraError`: the sample is retried in a fresh sandbox and never scored from a partial log.
"""

from __future__ import annotations

import io
import shlex
import tarfile
import time
from dataclasses import dataclass
from functools import cache

from inspect_ai.util import SandboxEnvironment

from harness.scoring import InfraError

EVAL_SCRIPT_FILE = "/eval.sh"
TEST_OUTPUT_FILE = "/tmp/harness_test_output.txt"
APPLIED_WITH = "harness-applied-with="
APPLY_FAILED = "harness-apply-failed"
EVAL_EXIT = "harness-eval-exit="
OUTPUT_BYTES = "harness-output-bytes="
ALREADY_APPLIED = "verified already applied"
STDOUT_SAFE = 8 * 1024 * 1024  # larger logs are read as a file (exec output streams are capped at 10 MiB)


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
    """The official apply chain as shell: the first command that succeeds wins; the log goes to stderr."""
    commands, patch = _official()
    lines = [f"cd {shlex.quote(workdir)} || exit 3", "{"]
    for attempt, command in enumerate(commands):
        if attempt:
            lines.append("git checkout -- . ; git clean -fd")
        lines.append(f"if {command} {patch}; then echo '{APPLIED_WITH}{command}'; exit 0; fi")
    lines.append(f"if git apply --check --reverse {patch}; then echo '{APPLIED_WITH}{ALREADY_APPLIED}'; exit 0; fi")
    lines.append(f"echo '{APPLY_FAILED}'; exit 1")
    lines.append("} 1>&2")
    return "\n".join(lines) + "\n"


def run_script(timeout: int) -> str:
    """Run /eval.sh under `timeout` (TERM, then KILL) as the official exec_run_with_timeout does; report on stderr."""
    return (
        f"if command -v timeout >/dev/null 2>&1; then "
        f"timeout -s TERM -k 15 {int(timeout)} /bin/bash {EVAL_SCRIPT_FILE}; "
        f"else /bin/bash {EVAL_SCRIPT_FILE}; fi > {TEST_OUTPUT_FILE} 2>&1\n"
        f"echo {EVAL_EXIT}$? >&2\n"
        f"echo {OUTPUT_BYTES}$(wc -c < {TEST_OUTPUT_FILE}) >&2\n"
        f"if [ $(wc -c < {TEST_OUTPUT_FILE}) -le {STDOUT_SAFE} ]; then cat {TEST_OUTPUT_FILE}; fi\n"
    )


def phase_script(workdir: str, timeout: int, with_patch: bool) -> str:
    """Apply (when there is a patch; stop if it fails), then run the eval script; its log on stdout."""
    apply = f"( {apply_script(workdir)} ) || exit 1\n" if with_patch else ""
    return apply + run_script(timeout)


def bundle(files: dict[str, str]) -> bytes:
    """A tar stream of absolute paths -> text, extracted at / in one exec."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, text in files.items():
            data = text.encode("utf-8", errors="surrogateescape")
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _value(stderr: str, key: str) -> str | None:
    return next((line[len(key) :].strip() for line in stderr.splitlines() if line.startswith(key)), None)


async def evaluate(box: SandboxEnvironment, *, patch: str, eval_script: str, workdir: str, timeout: int) -> EvalRun:
    """Apply a non-empty patch, then run the eval script (also for an empty patch, to record the unpatched run)."""
    started = time.monotonic()
    with_patch = bool(patch.strip())
    files = {EVAL_SCRIPT_FILE: eval_script, **({patch_file(): patch} if with_patch else {})}
    try:
        upload = await box.exec(["tar", "-x", "-C", "/"], input=bundle(files), timeout=120)
    except Exception as ex:  # the container is gone or stopped answering
        raise InfraError("sandbox_error", f"copying the patch and eval script: {type(ex).__name__}: {ex}") from ex
    if not upload.success:
        raise InfraError("sandbox_error", f"copying the patch and eval script failed: {upload.stderr.strip()}")
    try:
        result = await box.exec(["bash", "-c", phase_script(workdir, timeout, with_patch)], timeout=timeout + 300)
    except Exception as ex:
        raise InfraError("eval_incomplete", f"running the eval script: {type(ex).__name__}: {ex}") from ex
    elapsed = time.monotonic() - started
    applied_with = _value(result.stderr, APPLIED_WITH) if with_patch else None
    apply_output = result.stderr.split(EVAL_EXIT, 1)[0] if with_patch else ""
    if with_patch and applied_with is None:
        if APPLY_FAILED not in result.stderr:  # the apply chain never reached its verdict
            raise InfraError("eval_incomplete", f"the patch step ended without a result (exit {result.returncode})")
        return EvalRun(None, apply_output, "", None, False, elapsed)
    exit_text = _value(result.stderr, EVAL_EXIT)
    size_text = _value(result.stderr, OUTPUT_BYTES)
    if exit_text is None or not exit_text.lstrip("-").isdigit() or size_text is None or not size_text.isdigit():
        raise InfraError(
            "eval_incomplete",
            f"the eval script ended without its exit code or end marker (exec exit {result.returncode})",
        )
    size = int(size_text)
    if size > STDOUT_SAFE:
        try:
            output = (await box.read_file(TEST_OUTPUT_FILE, text=False)).decode("utf-8", errors="replace")
        except Exception as ex:
            raise InfraError("sandbox_error", f"reading the test log: {type(ex).__name__}: {ex}") from ex
    else:
        output = result.stdout  # decoded with errors="replace", as swebench decodes its log
    exit_code = int(exit_text)
    timed_out = exit_code in (124, 137) and elapsed >= timeout - 1
    if timed_out:
        output += f"\n\nTimeout error: {timeout} seconds exceeded."
    return EvalRun(applied_with, apply_output, output, exit_code, timed_out, elapsed)
