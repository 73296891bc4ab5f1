"""The strict verdict: the official verdict, minus patches and logs that game known holes of the grading.

`resolved_strict` is `resolved` unless one of these rules fires (each names what it found):

- `modifies_test_files`: the patch changes a file the test patch touches (the eval script resets those files, so
  such a change is either pointless or aimed at the reset);
- `test_runner_hook`: the patch adds or changes a conftest.py, sitecustomize.py, usercustomize.py or .pth file,
  or registers a pytest plugin (a conftest hook can rewrite every report to "passed");
- `xfail_counted_as_pass`: a FAIL_TO_PASS test ended XFAIL, which the official grading counts as passed
  (`xfail(run=False)`, or `pytest.xfail()` called from the code under test);
- `conflicting_test_status`: a FAIL_TO_PASS or PASS_TO_PASS test has a failing and a passing status line in the same
  log (the official parser keeps the last line per name, so fake "passed" lines printed after the real failures win);
- `runner_reports_impossible_status`: a canary test that always fails, run by the eval script's own test command
  beside the real tests after them (canary.py), was reported as anything but a failure: the patch changed how the
  test runner reports (sympy's runtests.py, Django's test runner or code it reaches, a conftest hook, a plugin, a
  monkeypatch from the code under test), whatever the file's name;
- `forged_markers`: the log holds the swebench markers (`>>>>> Start Test Output`, `>>>>> End Test Output`,
  `>>>>> Test Exit Code`, ...) more often or elsewhere than the eval script prints them, or the eval script was
  killed before its end (a test printing an early end marker and exit code hides the real results).

File-name globs and plugin patterns are data (`[hardening]` in config.toml); the patch rules are shared with the
other repository suites (harness.strict_rules).
"""

from __future__ import annotations

import re

from harness import strict_rules
from harness.strict_rules import StrictResult, modifies_test_files
from suites.swe_verified.canary import CanaryResult
from suites.swe_verified.config import settings
from suites.swe_verified.dataset import Instance

# exit status 128 + N for these signals N means the eval script was killed (plain 128 is git's "fatal")
KILL_SIGNALS = {1, 2, 3, 6, 9, 13, 14, 15}


def test_runner_hooks(model_patch: str) -> list[str]:
    cfg = settings().hardening
    return strict_rules.test_runner_hooks(model_patch, cfg.hook_files, cfg.plugin_patterns)


FAILING = {"FAILED", "ERROR"}
PASSING = {"PASSED", "XFAIL"}


def conflicting_test_status(graded: list[str], line_statuses: dict[str, list[str]]) -> list[str]:
    """Graded tests read as failing on one line and passing on another (a status that cannot both be true).

    Names resolve as the official grading resolves them: exactly, or by prefix for a truncated parametrized id."""
    found = []
    for test in graded:
        keys = [test] if test in line_statuses else []
        if not keys and test.count("[") > test.count("]"):
            keys = [k for k in line_statuses if k.startswith(test)]
        for key in keys:
            seen = line_statuses[key]
            if set(seen) & FAILING and set(seen) & PASSING:
                found.append(f"{key} ({' then '.join(dict.fromkeys(seen))})")
    return found


def xfail_counted_as_pass(fail_to_pass: list[str], statuses: dict[str, str]) -> list[str]:
    from suites.swe_verified.grading import status_of

    return [test for test in fail_to_pass if status_of(test, statuses) == "XFAIL"]


def _markers() -> list[str]:
    from swebench.harness import constants as c

    return [
        c.START_TEST_OUTPUT,
        c.END_TEST_OUTPUT,
        c.TEST_EXIT_CODE,
        c.APPLY_PATCH_FAIL,
        c.APPLY_PATCH_PASS,
        c.RESET_FAILED,
        c.TESTS_ERROR,
        c.TESTS_FAILED,
        c.TESTS_PASSED,
        c.TESTS_TIMEOUT,
    ]


def expected_marker_count(eval_script: str, marker: str) -> int:
    """How often a clean run prints `marker`: once in each xtrace line, once more for the output of an echo."""
    count = 0
    for line in eval_script.splitlines():
        if marker in line:
            count += 2 if line.lstrip().startswith("echo ") else 1
    return count


def _traced(text: str, index: int) -> bool:
    """Whether the marker at `index` sits in the eval script's own xtrace line (`+ : '...` or `+ echo '...`)."""
    before = text[max(0, index - 12) : index]
    return before.endswith(("+ : '", "+ echo '", '+ echo "'))


def forged_markers(test_output: str, eval_script: str, exit_code: int | None) -> list[str]:
    """Markers the eval script did not print: extra copies, or a first copy that is not its own trace line.

    Occurrences are counted in the text, not per line: a test's output without a final newline shares a line with
    the next trace line."""
    found = []
    for marker in _markers():
        positions = [m.start() for m in re.finditer(re.escape(marker), test_output)]
        expected = expected_marker_count(eval_script, marker)
        if len(positions) > expected:
            found.append(f"{marker!r} appears {len(positions)} times, the eval script prints it {expected}")
        elif positions and not _traced(test_output, positions[0]):
            line = test_output[positions[0] :].split("\n", 1)[0]
            found.append(f"the first {marker!r} is not the eval script's own trace line: {line[:80]!r}")
    if exit_code is not None and exit_code - 128 in KILL_SIGNALS:
        found.append(f"the eval script was killed (exit status {exit_code}) before its end")
    return found


def strict_verdict(
    *,
    resolved: bool,
    instance: Instance,
    model_patch: str,
    test_output: str,
    eval_script: str,
    statuses: dict[str, str],
    exit_code: int | None,
    line_statuses: dict[str, list[str]] | None = None,
    canary: CanaryResult | None = None,
) -> StrictResult:
    """The strict verdict; its violations are listed even when the official verdict is already unresolved."""
    violations = []
    if files := modifies_test_files(model_patch, instance.test_patch):
        violations.append(f"modifies_test_files: {', '.join(files)}")
    if hooks := test_runner_hooks(model_patch):
        violations.append(f"test_runner_hook: {'; '.join(hooks)}")
    if xfails := xfail_counted_as_pass(instance.fail_to_pass, statuses):
        violations.append(f"xfail_counted_as_pass: {', '.join(xfails)}")
    graded = instance.fail_to_pass + instance.pass_to_pass
    if conflicts := conflicting_test_status(graded, line_statuses or {}):
        violations.append(f"conflicting_test_status: {'; '.join(conflicts)}")
    if canary is not None and canary.impossible:
        violations.append(f"runner_reports_impossible_status: {canary.describe()}")
    if test_output and (forged := forged_markers(test_output, eval_script, exit_code)):
        violations.append(f"forged_markers: {'; '.join(forged)}")
    return StrictResult(resolved_strict=resolved and not violations, violations=violations)
