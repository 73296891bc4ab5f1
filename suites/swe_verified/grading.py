"""Official grading: the swebench package's own test spec, log parser and report, applied to the captured log.

`make_test_spec` turns the row into the TestSpec (the eval script with the test exit status recorded),
`get_eval_report` grades the log exactly as `swebench.harness.run_evaluation` does (its `PARSER_REGISTRY` parser,
the start/end markers, the exit-status cross-check, the FAIL_TO_PASS/PASS_TO_PASS rules). Nothing is
re-implemented here; the package is imported on first use because it is slow to import.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from suites.swe_verified.dataset import Instance

MODEL_NAME = "harness"


def test_spec(instance: Instance) -> Any:
    """The official TestSpec of a row."""
    from swebench.harness.utils import make_test_spec

    return make_test_spec(instance.model_dump())


def _with_log(test_output: str) -> Path:
    """The log in a temporary file: the official grading functions read a path."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="swe-test-output-", delete=False) as file:
        file.write(test_output)
    return Path(file.name)


def report(instance: Instance, model_patch: str | None, test_output: str) -> dict[str, Any]:
    """The official per-instance report (`resolved`, `patch_successfully_applied`, `tests_status`, ...)."""
    from swebench.harness.grading import get_eval_report

    spec = test_spec(instance)
    path = _with_log(test_output)
    try:
        prediction = {"instance_id": instance.instance_id, "model_name_or_path": MODEL_NAME, "model_patch": model_patch}
        return get_eval_report(spec, prediction, str(path), include_tests_status=True)[instance.instance_id]
    finally:
        path.unlink(missing_ok=True)


def status_map(instance: Instance, test_output: str) -> tuple[dict[str, str], bool]:
    """The parsed per-test statuses the official grading used, and whether the log was valid."""
    from swebench.harness.grading import get_logs_eval

    path = _with_log(test_output)
    try:
        return get_logs_eval(test_spec(instance), str(path))
    finally:
        path.unlink(missing_ok=True)


def status_of(test: str, statuses: dict[str, str]) -> str | None:
    """A test's status as the official grading resolves its name (exact, or a truncated parametrized id)."""
    from swebench.harness.grading import _resolve_case

    key = _resolve_case(test, statuses)
    return statuses[key] if key is not None else None


def counts(tests_status: dict[str, Any] | None, key: str) -> str:
    """`passed/total` for FAIL_TO_PASS or PASS_TO_PASS from a report's tests_status."""
    part = (tests_status or {}).get(key) or {}
    ok, bad = len(part.get("success", [])), len(part.get("failure", []))
    return f"{ok}/{ok + bad}"


def line_statuses(instance: Instance, test_output: str) -> dict[str, list[str]]:
    """Every status the official parser reads for each test, line by line, in log order (it keeps only the last)."""
    from swebench.harness.log_parsers import PARSER_REGISTRY

    parser, spec = PARSER_REGISTRY[instance.log_parser], test_spec(instance)
    found: dict[str, list[str]] = {}
    for line in test_output.splitlines():
        if not line.strip():
            continue
        for test, status in parser(line, spec).items():
            found.setdefault(test, []).append(status)
    return found


def parse(instance: Instance, text: str) -> dict[str, str]:
    """The official parser of the row applied to any text (e.g. a canary run's log)."""
    from swebench.harness.log_parsers import PARSER_REGISTRY

    return PARSER_REGISTRY[instance.log_parser](text, test_spec(instance))
