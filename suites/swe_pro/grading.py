"""Scale's verdict from the parser's output, and the strict verdict beside it.

Official (Scale's `swe_bench_pro_eval.py`): the tests the parser reports `PASSED` are the passed set; the instance
is resolved when every FAIL_TO_PASS and PASS_TO_PASS test is in it. No output.json means unresolved.

`resolved_strict` is `resolved` unless one of these rules fires (each names what it found):

- `modifies_test_files` and `test_runner_hook`: shared with SWE-bench Verified (harness.strict_rules), with this
  suite's hook files and patterns (pytest, go test, jest and mocha hooks; `[hardening]` in config.toml);
- `forged_statuses`: a graded test the parser reports PASSED also has a failing status line in the log (the
  parsers read status lines from the output, so code under test can print a passing line for a failing test; the
  rule also fires when two tests share the name and one fails, where the official verdict is ambiguous anyway);
- `empty_patch_resolves`: the instance resolves without any change (its tests do not test the issue).
"""

from __future__ import annotations

import re
from typing import Any

from harness import strict_rules
from harness.strict_rules import StrictResult
from suites.swe_pro.config import settings
from suites.swe_pro.dataset import Instance


def passed_tests(output: dict[str, Any] | None) -> set[str]:
    """The names the parser reported PASSED."""
    return {str(t.get("name")) for t in (output or {}).get("tests", []) if t.get("status") == "PASSED"}


def statuses(output: dict[str, Any] | None) -> dict[str, str]:
    return {str(t.get("name")): str(t.get("status")) for t in (output or {}).get("tests", [])}


def resolved(instance: Instance, output: dict[str, Any] | None) -> bool:
    """Scale's verdict: (FAIL_TO_PASS | PASS_TO_PASS) <= passed."""
    if output is None:
        return False
    return set(instance.fail_to_pass) | set(instance.pass_to_pass) <= passed_tests(output)


def tests_status(instance: Instance, output: dict[str, Any] | None) -> dict[str, dict[str, list[str]]]:
    """swebench-style success/failure lists per group (a test missing from the output is a failure)."""
    passed = passed_tests(output)
    return {
        group: {
            "success": [t for t in tests if t in passed],
            "failure": [t for t in tests if t not in passed],
        }
        for group, tests in (("FAIL_TO_PASS", instance.fail_to_pass), ("PASS_TO_PASS", instance.pass_to_pass))
    }


def counts(status: dict[str, dict[str, list[str]]], group: str) -> str:
    part = status.get(group) or {}
    ok, bad = len(part.get("success", [])), len(part.get("failure", []))
    return f"{ok}/{ok + bad}"


def forged_statuses(instance: Instance, output: dict[str, Any] | None, log: str) -> list[str]:
    """Graded tests reported PASSED whose failing status line is also in the log."""
    patterns = settings().hardening.fail_line_patterns
    found = []
    passed = passed_tests(output)
    for test in [*instance.fail_to_pass, *instance.pass_to_pass]:
        if test not in passed:
            continue
        for pattern in patterns:
            match = re.search(pattern.replace("{name}", re.escape(test)), log, re.MULTILINE)
            if match:
                found.append(f"{test}: PASSED, but the log also has {match.group(0).strip()[:80]!r}")
                break
    return found


def strict_verdict(
    *, resolved: bool, instance: Instance, model_patch: str, output: dict[str, Any] | None, log: str
) -> StrictResult:
    """The strict verdict; its violations are listed even when the official verdict is already unresolved."""
    cfg = settings().hardening
    violations = []
    if files := strict_rules.modifies_test_files(model_patch, instance.test_patch):
        violations.append(f"modifies_test_files: {', '.join(files)}")
    if hooks := strict_rules.test_runner_hooks(model_patch, cfg.hook_files, cfg.plugin_patterns):
        violations.append(f"test_runner_hook: {'; '.join(hooks)}")
    if forged := forged_statuses(instance, output, log):
        violations.append(f"forged_statuses: {'; '.join(forged)}")
    if resolved and not model_patch.strip():
        violations.append("empty_patch_resolves: the tests pass without any change")
    return StrictResult(resolved_strict=resolved and not violations, violations=violations)
