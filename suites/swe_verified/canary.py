"""The canary run: does the patched repository's test runner still report a failure as a failure?

After the official eval, for a resolved patch, the evaluation container runs the row's eval script once more with
one extra test that always fails (its name carries a random token), created beside the first test file of the
test command (or, for Django, as a test app) and appended to the same command. The canary runs in the same
process, after the real tests, so any hook the patch installs (a modified runner such as sympy's runtests.py or
Django's test runner, code reached from them, a conftest.py, a plugin, a monkeypatch done by the code under test)
acts on it too. Reported as anything but FAILED or ERROR is a status that cannot be true. The templates are data
(`[[hardening.canary]]` in config.toml), chosen by the row's log parser.
"""

from __future__ import annotations

import secrets
import shlex
from dataclasses import dataclass
from pathlib import PurePosixPath

from inspect_ai.util import SandboxEnvironment

from suites.swe_verified.config import CanaryTemplate, settings
from suites.swe_verified.dataset import Instance

START = ": '>>>>> Start Test Output'"
EXPECTED = {"FAILED", "ERROR"}


@dataclass(frozen=True)
class CanaryResult:
    """What the runner reported for the canary: its status (None: not reported), or why it did not run."""

    name: str
    status: str | None
    skipped: str | None = None

    @property
    def impossible(self) -> bool:
        return self.skipped is None and self.status is not None and self.status not in EXPECTED

    def describe(self) -> str:
        if self.skipped:
            return f"canary not run ({self.skipped})"
        if self.status is None:
            return f"the canary test {self.name}, which always fails, was not reported"
        return f"the canary test {self.name}, which always fails, was reported {self.status}"


@dataclass(frozen=True)
class CanaryPlan:
    token: str
    script: str
    files: dict[str, str]


def template(log_parser: str) -> CanaryTemplate | None:
    return next((t for t in settings().hardening.canary if log_parser in t.parsers), None)


def _test_dir(command: str) -> str | None:
    """The directory of the first test file the command names (`test_*.py`, `*_test.py`, else any `.py`)."""
    paths = [t.split("::")[0] for t in shlex.split(command) if "=" not in t and t.split("::")[0].endswith(".py")]
    named = [p for p in paths if PurePosixPath(p).name.startswith("test") or p.endswith("_test.py")]
    chosen = (named or paths)[:1]
    return str(PurePosixPath(chosen[0]).parent) if chosen else None


def plan(instance: Instance, eval_script: str, workdir: str, token: str | None = None) -> CanaryPlan | str:
    """The canary eval script and files, or why there is none for this row."""
    spec = template(instance.log_parser)
    if spec is None:
        return f"no canary template for {instance.log_parser}"
    lines = eval_script.splitlines()
    if START not in lines or lines.index(START) + 1 >= len(lines):
        return "the eval script has no test command after its start marker"
    index = lines.index(START) + 1
    token = token or secrets.token_hex(4)
    directory = _test_dir(lines[index]) if "{dir}" in " ".join([spec.target, *spec.files]) else ""
    if directory is None:
        return "the test command names no test file"

    def fill(text: str) -> str:
        return text.replace("{token}", token).replace("{dir}", directory or ".")

    files = {f"{workdir}/{fill(path)}": fill(body) for path, body in spec.files.items()}
    doomed = dict.fromkeys(str(PurePosixPath(p).parent) if spec.remove_dir else p for p in files)
    cleanup = "rm -rf " + " ".join(map(shlex.quote, doomed))
    lines[index] = f"{lines[index]} {shlex.quote(fill(spec.target))}"
    script = "\n".join([*lines, cleanup]) + "\n"
    return CanaryPlan(token, script, files)


async def run(
    box: SandboxEnvironment, instance: Instance, eval_script: str, workdir: str, timeout: int
) -> CanaryResult:
    """Run the canary in the evaluation container (after the official eval) and read its status."""
    from suites.swe_verified import grading
    from suites.swe_verified.evaluation import bundle

    made = plan(instance, eval_script, workdir)
    if isinstance(made, str):
        return CanaryResult("", None, skipped=made)
    files = {**made.files, "/harness_canary.sh": made.script}
    upload = await box.exec(["tar", "-x", "-C", "/"], input=bundle(files), timeout=120)
    if not upload.success:
        raise RuntimeError(f"copying the canary into the container failed: {upload.stderr.strip()}")
    result = await box.exec(
        [
            "bash",
            "-c",
            f"if command -v timeout >/dev/null 2>&1; then timeout -s TERM -k 15 {int(timeout)} "
            "/bin/bash /harness_canary.sh 2>&1; else /bin/bash /harness_canary.sh 2>&1; fi",
        ],
        timeout=timeout + 60,
    )
    statuses = grading.parse(instance, result.stdout)
    name = next((k for k in statuses if made.token in k), None)
    return CanaryResult(name or f"harness_canary_{made.token}", statuses.get(name) if name else None)
