"""Scale's evaluation of one instance, step by step as `swe_bench_pro_eval.py` does it, in the fresh `eval` container.

`/workspace` receives `patch.diff` (the patch with binary hunks stripped: `strip_binary_hunks`), the instance's
`run_script.sh` and `parser.py`, and `entryscript.sh` (`create_entryscript`): the ENV lines of the instance's base and
instance Dockerfiles as exports, `cd /app`, `git reset --hard` and `git checkout` of the base commit,
`git apply -v /workspace/patch.diff`, the last line of `before_repo_set_cmd` (it checks out the FAIL_TO_PASS test
files from the fix commit), `bash /workspace/run_script.sh <selected test files, comma-joined>` with stdout and
stderr in two logs, and `python /workspace/parser.py` turning them into `/workspace/output.json`. The harness adds
only what it needs to report: a `git apply --check` before the script (whether the patch applied, which Scale's
script does not stop on), a timeout around it, and one read of the logs and output.json afterwards.
"""

from __future__ import annotations

import json
import re
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai.util import SandboxEnvironment

from harness.errors import HarnessError
from harness.sandbox_files import read_files, upload
from suites.swe_pro.dataset import Instance

WORKSPACE = "/workspace"
STDOUT_LOG = f"{WORKSPACE}/stdout.log"
STDERR_LOG = f"{WORKSPACE}/stderr.log"
OUTPUT_JSON = f"{WORKSPACE}/output.json"
APPLY_CHECK = "harness-apply-check="
ENTRY_EXIT = "harness-entry-exit="


def strip_binary_hunks(patch: str) -> str:
    """Remove binary diff sections from a git patch (Scale's function, same rules)."""
    if not patch:
        return patch
    kept = []
    for section in re.split(r"(?=^diff --git )", patch, flags=re.MULTILINE):
        if not section.strip():
            continue
        if re.search(r"^Binary files .* differ$", section, re.MULTILINE):
            continue
        if re.search(r"^GIT binary patch$", section, re.MULTILINE):
            continue
        kept.append(section)
    return "".join(kept)


@dataclass(frozen=True)
class Scripts:
    """An instance's run script and parser, and the Dockerfiles whose ENV lines the entry script exports."""

    run_script: str
    parser: str
    dockerfiles: tuple[str, ...] = ()


def load_scripts(scripts_dir: Path, instance: Instance) -> Scripts:
    """`<scripts_dir>/<instance_id>/{run_script.sh,parser.py}`; Dockerfiles from `<scripts_dir>/../dockerfiles/`
    (the layout of Scale's repository) or the row's `base_dockerfile`/`instance_dockerfile` columns."""
    folder = scripts_dir / instance.instance_id
    missing = [name for name in ("run_script.sh", "parser.py") if not (folder / name).is_file()]
    if missing:
        raise HarnessError(
            f"--scripts-dir {scripts_dir}: no {' or '.join(missing)} for {instance.instance_id} (expected "
            f"{folder}/; pass the run_scripts/ folder of a scaleapi/SWE-bench_Pro-os checkout)"
        )
    dockerfiles = []
    for kind in ("base_dockerfile", "instance_dockerfile"):
        path = scripts_dir.parent / "dockerfiles" / kind / instance.instance_id / "Dockerfile"
        text = path.read_text() if path.is_file() else (getattr(instance, kind, None) or "")
        dockerfiles.append(str(text))
    return Scripts((folder / "run_script.sh").read_text(), (folder / "parser.py").read_text(), tuple(dockerfiles))


def env_exports(dockerfiles: tuple[str, ...]) -> str:
    """Every `ENV` line of the Dockerfiles as an `export` line (Scale's conversion, verbatim)."""
    lines = []
    for text in dockerfiles:
        for line in text.split("\n"):
            line = line.strip()
            if line.startswith("ENV"):
                lines.append(line.replace("ENV", "export", 1))
    return "\n".join(lines)


def create_entryscript(instance: Instance, scripts: Scripts) -> str:
    """Scale's entry script for the instance, character for character."""
    before_repo_set_cmd = instance.before_repo_set_cmd.strip().split("\n")[-1]
    selected = ",".join(instance.selected_test_files_to_run)
    base_commit = instance.base_commit
    return f"""
{env_exports(scripts.dockerfiles)}
# apply patch
cd /app
git reset --hard {base_commit}
git checkout {base_commit}
git apply -v /workspace/patch.diff
{before_repo_set_cmd}
# run test and save stdout and stderr to separate files
bash /workspace/run_script.sh {selected} > /workspace/stdout.log 2> /workspace/stderr.log
# run parsing script
python /workspace/parser.py /workspace/stdout.log /workspace/stderr.log /workspace/output.json
"""


@dataclass(frozen=True)
class EvalRun:
    """What happened in the evaluation container."""

    patch_applies: bool
    """Whether `git apply --check` accepted the patch on the base commit (False for an empty patch)."""
    entry_output: str
    """The entry script's own stdout and stderr (git's messages); the tests' output is in the logs."""
    stdout: str
    stderr: str
    output: dict[str, Any] | None
    """The parser's output.json; None when it wrote none or an unreadable one."""
    exit_code: int | None
    timed_out: bool
    seconds: float


def _value(text: str, key: str) -> str | None:
    return next((line[len(key) :].strip() for line in text.splitlines() if line.startswith(key)), None)


def _run_command(workdir: str, timeout: int) -> str:
    quoted = shlex.quote(workdir)
    return (
        f"(cd {quoted} && git apply --check {WORKSPACE}/patch.diff) >/dev/null 2>&1; echo {APPLY_CHECK}$? >&2\n"
        f"if command -v timeout >/dev/null 2>&1; then timeout -s TERM -k 15 {int(timeout)} bash "
        f"{WORKSPACE}/entryscript.sh; else bash {WORKSPACE}/entryscript.sh; fi\n"
        f"echo {ENTRY_EXIT}$? >&2\n"
    )


def _parsed(text: str | None) -> dict[str, Any] | None:
    try:
        data = json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
        return None
    return data


async def evaluate(
    box: SandboxEnvironment, instance: Instance, scripts: Scripts, patch: str, *, workdir: str, timeout: int
) -> EvalRun:
    """Write the workspace files, run the entry script under `timeout`, read the logs and the parser's output."""
    started = time.monotonic()
    files = {
        "patch.diff": strip_binary_hunks(patch),
        "run_script.sh": scripts.run_script,
        "parser.py": scripts.parser,
        "entryscript.sh": create_entryscript(instance, scripts),
    }
    await upload(box, WORKSPACE, extra={k: v.encode("utf-8", errors="surrogateescape") for k, v in files.items()})
    result = await box.exec(["bash", "-c", _run_command(workdir, timeout)], timeout=timeout + 300)
    elapsed = time.monotonic() - started
    logs = await read_files(box, [STDOUT_LOG, STDERR_LOG, OUTPUT_JSON])
    exit_text = _value(result.stderr, ENTRY_EXIT)
    exit_code = int(exit_text) if exit_text and exit_text.lstrip("-").isdigit() else None
    return EvalRun(
        patch_applies=_value(result.stderr, APPLY_CHECK) == "0",
        entry_output=(result.stdout + result.stderr)[-20_000:],
        stdout=logs[STDOUT_LOG] or "",
        stderr=logs[STDERR_LOG] or "",
        output=_parsed(logs[OUTPUT_JSON]),
        exit_code=exit_code,
        timed_out=exit_code in (124, 137) and elapsed >= timeout - 1,
        seconds=elapsed,
    )
