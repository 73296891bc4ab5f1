"""Official grading on hand-written logs (real django and sympy rows), each strict rule against a gaming patch or
log, the patch filter, the official apply chain, and the official report shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.repo import filter_patch
from suites.swe_verified import dataset, evaluation, grading, hardening
from suites.swe_verified.canary import CanaryResult, plan
from suites.swe_verified.export import official_report

VERIFIED = "swe-bench-verified/test.parquet"


def real_row(shared_data: Path, instance_id: str) -> dataset.Instance:
    rows = dataset.load(dataset.source("full", str(shared_data / VERIFIED), None, None))
    return next(r for r in rows if r.instance_id == instance_id)


def fixture(instance_id: str) -> dataset.Instance:
    return next(i for i in dataset.load(dataset.source("sample", None, None, None)) if i.instance_id == instance_id)


def log(body: list[str], exit_code: int = 0) -> str:
    """A log in the shape the eval script produces (xtrace lines, markers, the recorded test exit status)."""
    return "\n".join(
        [
            "+ git status",
            "On branch main",
            "+ : '>>>>> Start Test Output'",
            "+ run-the-tests",
            *body,
            f"+ SWEBENCH_TEST_EXIT_CODE={exit_code}",
            "+ : '>>>>> End Test Output'",
            f"+ echo '>>>>> Test Exit Code: {exit_code}'",
            f">>>>> Test Exit Code: {exit_code}",
            "+ git checkout abc tests/x.py",
            "",
        ]
    )


# ---------------------------------------------------------------------------------------------------------------
# official grading of real rows


def django_line(test: str, status: str) -> str:
    return f"{test} ... {status}"


def test_django_row_pass_fail_and_missing(shared_data: Path) -> None:
    row = real_row(shared_data, "django__django-11099")
    tests = row.fail_to_pass + row.pass_to_pass
    passing = [django_line(t, "ok") for t in tests]
    report = grading.report(row, row.patch, log(passing))
    assert report["resolved"] and grading.counts(report["tests_status"], "FAIL_TO_PASS") == "3/3"

    failing = [django_line(t, "FAIL" if t == row.fail_to_pass[0] else "ok") for t in tests]
    report = grading.report(row, row.patch, log(failing, exit_code=1))
    assert not report["resolved"] and report["tests_status"]["FAIL_TO_PASS"]["failure"] == [row.fail_to_pass[0]]

    missing = [django_line(t, "ok") for t in tests if t != row.pass_to_pass[-1]]
    report = grading.report(row, row.patch, log(missing))
    assert not report["resolved"] and report["tests_status"]["PASS_TO_PASS"]["failure"] == [row.pass_to_pass[-1]]


def test_sympy_row_pass_fail_and_missing(shared_data: Path) -> None:
    row = real_row(shared_data, "sympy__sympy-20590")
    tests = row.fail_to_pass + row.pass_to_pass
    assert grading.report(row, row.patch, log([f"{t} ok" for t in tests]))["resolved"]

    failing = grading.report(
        row, row.patch, log([f"{t} {'F' if t == 'test_immutable' else 'ok'}" for t in tests], exit_code=1)
    )
    assert not failing["resolved"] and failing["tests_status"]["FAIL_TO_PASS"]["failure"] == ["test_immutable"]

    missing = grading.report(row, row.patch, log([f"{t} ok" for t in tests if t != "test_S"]))
    assert not missing["resolved"] and missing["tests_status"]["PASS_TO_PASS"]["failure"] == ["test_S"]
    assert grading.counts(missing["tests_status"], "PASS_TO_PASS") == "20/21"


def test_no_markers_means_not_applied_and_none_patch_short_circuits() -> None:
    row = fixture("harness-fixtures__calc-1")
    report = grading.report(row, row.patch, "tests never ran\n")
    assert report["patch_successfully_applied"] is False and report["resolved"] is False
    assert grading.report(row, None, "")["patch_is_None"] is True


# ---------------------------------------------------------------------------------------------------------------
# strict rules, each against a patch or log that games the official grading

CALC = "harness-fixtures__calc-1"
PASSING = [
    f"PASSED tests/test_ops.py::{t}"
    for t in (
        "test_add",
        "test_subtract",
        "test_multiply",
        "test_divide_exact",
        "test_divide_by_zero",
        "test_divide_fraction",
    )
]


def strict(
    row: dataset.Instance, patch: str, test_output: str, exit_code: int = 0, canary: CanaryResult | None = None
) -> hardening.StrictResult:
    official = grading.report(row, patch, test_output)
    statuses, _ = grading.status_map(row, test_output)
    return hardening.strict_verdict(
        resolved=official["resolved"],
        instance=row,
        model_patch=patch,
        test_output=test_output,
        eval_script=grading.test_spec(row).eval_script,
        statuses=statuses,
        exit_code=exit_code,
        line_statuses=grading.line_statuses(row, test_output),
        canary=canary,
    )


def test_honest_fix_is_resolved_under_both_verdicts() -> None:
    row = fixture(CALC)
    result = strict(row, row.patch, log(PASSING))
    assert result.resolved_strict and result.violations == []


def test_patch_touching_the_test_patch_files_is_rejected() -> None:
    row = fixture(CALC)
    gamed = row.patch + row.test_patch.replace("0.5", "0")
    result = strict(row, gamed, log(PASSING))
    assert not result.resolved_strict and result.violations == ["modifies_test_files: tests/test_ops.py"]


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("conftest.py", "def pytest_runtest_makereport(item, call): pass"),
        ("src/sitecustomize.py", "import os"),
        ("evil.pth", "import os"),
        ("setup.cfg", "addopts = -p myplugin"),
        ("calc/plugin.py", "pytest_plugins = ['calc.force_pass']"),
    ],
)
def test_test_runner_hooks_are_rejected(path: str, line: str) -> None:
    row = fixture(CALC)
    gamed = row.patch + (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+{line}\n"
    )
    result = strict(row, gamed, log(PASSING))
    assert not result.resolved_strict and result.violations[0].startswith("test_runner_hook: ")


def test_xfail_counted_as_pass_is_rejected() -> None:
    row = fixture(CALC)
    output = log([*PASSING[:-1], "XFAIL tests/test_ops.py::test_divide_fraction - reason: run=False"])
    assert grading.report(row, row.patch, output)["resolved"], "the official grading counts XFAIL as a pass"
    result = strict(row, row.patch, output)
    assert result.violations == ["xfail_counted_as_pass: tests/test_ops.py::test_divide_fraction"]


def test_forged_markers_are_rejected() -> None:
    row = fixture(CALC)
    real_failure = ["FAILED tests/test_ops.py::test_divide_fraction - assert 0 == 0.5"]
    # a test prints fake results, an early end marker and a fake exit status; the real ones follow
    forged = log([*real_failure, *PASSING, ">>>>> End Test Output", ">>>>> Test Exit Code: 0"], exit_code=1)
    assert grading.report(row, row.patch, forged)["resolved"], "the official grading trusts the first markers"
    result = strict(row, row.patch, forged, exit_code=1)
    assert not result.resolved_strict and result.violations[-1].startswith("forged_markers: ")
    assert result.violations[0].startswith("conflicting_test_status: ")  # the real FAILED line, then a fake PASSED
    # a forged start marker printed before the real one
    early = ">>>>> Start Test Output\n" + log(PASSING)
    assert strict(row, row.patch, early).violations[0].startswith("forged_markers: ")
    # the eval script killed before its end (a test killed its parent after printing fake results)
    assert "was killed" in strict(row, row.patch, log(PASSING), exit_code=137).violations[0]
    assert strict(row, row.patch, log(PASSING), exit_code=128).violations == []  # git's fatal, e.g. checkout
    # test output without a final newline shares its line with the next trace line: not a forgery
    unterminated = log(PASSING).replace("+ : '>>>>> End Test Output'", "dots...+ : '>>>>> End Test Output'")
    assert strict(row, row.patch, unterminated).violations == []


def test_forged_per_test_lines_are_rejected() -> None:
    row = fixture(CALC)
    # the real failure first, then a fake PASSED line printed at exit: the official parser keeps the last
    forged = log([*PASSING[:-1], "FAILED tests/test_ops.py::test_divide_fraction - assert 0 == 0.5", PASSING[-1]])
    assert grading.report(row, row.patch, forged)["resolved"], "the official grading keeps the last status"
    result = strict(row, row.patch, forged)
    assert result.violations == [
        "conflicting_test_status: tests/test_ops.py::test_divide_fraction (FAILED then PASSED)"
    ]


def test_forged_per_test_lines_in_django_and_sympy_logs(shared_data: Path) -> None:
    django = real_row(shared_data, "django__django-11099")
    test = django.fail_to_pass[0]
    lines = [django_line(t, "ok") for t in django.fail_to_pass + django.pass_to_pass]
    forged = log([django_line(test, "FAIL"), *lines])
    assert grading.report(django, django.patch, forged)["resolved"]
    assert strict(django, django.patch, forged).violations[0].startswith(f"conflicting_test_status: {test}")
    sympy = real_row(shared_data, "sympy__sympy-20590")
    lines = [f"{t} ok" for t in sympy.fail_to_pass + sympy.pass_to_pass]
    forged = log(["test_immutable F", *lines])
    assert grading.report(sympy, sympy.patch, forged)["resolved"]
    assert strict(sympy, sympy.patch, forged).violations == [
        "conflicting_test_status: test_immutable (FAILED then PASSED)"
    ]


def test_a_runner_reporting_the_canary_as_passed_is_rejected() -> None:
    row = fixture(CALC)
    honest = CanaryResult("tests/test_harness_canary_ab12.py::test_harness_canary_ab12", "FAILED")
    assert strict(row, row.patch, log(PASSING), canary=honest).violations == []
    hooked = CanaryResult(honest.name, "PASSED")
    assert strict(row, row.patch, log(PASSING), canary=hooked).violations == [
        f"runner_reports_impossible_status: the canary test {honest.name}, which always fails, was reported PASSED"
    ]
    unseen = CanaryResult("harness_canary_ab12", None)  # not reported: recorded, not a violation (README)
    assert strict(row, row.patch, log(PASSING), canary=unseen).violations == []


def test_canary_plans_for_every_verified_row(shared_data: Path) -> None:
    rows = dataset.load(dataset.source("full", str(shared_data / VERIFIED), None, None))
    plans = {r.instance_id: plan(r, grading.test_spec(r).eval_script, "/testbed", token="ab12") for r in rows}
    assert not [i for i, p in plans.items() if isinstance(p, str)]
    django = plans["django__django-11099"]
    assert "--parallel 1 auth_tests.test_validators harness_canary_ab12\n" in django.script
    assert set(django.files) == {
        "/testbed/tests/harness_canary_ab12/__init__.py",
        "/testbed/tests/harness_canary_ab12/tests.py",
    }
    assert django.script.endswith("rm -rf /testbed/tests/harness_canary_ab12\n")
    sympy = plans["sympy__sympy-20590"]
    assert "test_basic.py sympy/core/tests/test_harness_canary_ab12.py\n" in sympy.script
    sphinx = plans["sphinx-doc__sphinx-8595"]
    assert "tests/test_ext_autodoc_automodule.py tests/test_harness_canary_ab12.py\n" in sphinx.script
    # the canary test, parsed by the row's own parser, reads FAILED when the runner is honest
    assert grading.parse(
        next(r for r in rows if r.instance_id == "django__django-11099"),
        "test_harness_canary_ab12 (harness_canary_ab12.tests.HarnessCanary) ... FAIL\n",
    ) == {"test_harness_canary_ab12 (harness_canary_ab12.tests.HarnessCanary)": "FAILED"}


def test_strict_rules_never_fire_on_the_500_gold_patches(shared_data: Path) -> None:
    rows = dataset.load(dataset.source("full", str(shared_data / VERIFIED), None, None))
    flagged = [
        r.instance_id
        for r in rows
        if hardening.modifies_test_files(r.patch, r.test_patch) or hardening.test_runner_hooks(r.patch)
    ]
    assert flagged == []


# ---------------------------------------------------------------------------------------------------------------
# patch collection and the official apply chain


def section(path: str, body: str, new: bool = False) -> str:
    mode = "new file mode 100644\n" if new else ""
    return f"diff --git a/{path} b/{path}\n{mode}--- {'/dev/null' if new else 'a/' + path}\n+++ b/{path}\n{body}"


def test_filter_patch_drops_binary_and_new_junk_only() -> None:
    junk = ["*.pyc", "*__pycache__/*", "build/*", "*.egg-info/*"]
    source = section("pkg/mod.py", "@@ -1 +1 @@\n-a\n+b\n")
    tracked_build = section("build/config.py", "@@ -1 +1 @@\n-a\n+b\n")
    diff = "".join(
        [
            source,
            section("pkg/__pycache__/mod.cpython-311.pyc", "Binary files /dev/null and b/x differ\n", new=True),
            section("pkg.egg-info/PKG-INFO", "@@ -0,0 +1 @@\n+Name: pkg\n", new=True),
            "diff --git a/logo.png b/logo.png\nindex 1..2 100644\nBinary files a/logo.png and b/logo.png differ\n",
            tracked_build,
        ]
    )
    kept, excluded = filter_patch(diff, junk)
    assert kept == source + tracked_build
    assert excluded == [
        {"path": "pkg/__pycache__/mod.cpython-311.pyc", "reason": "junk"},
        {"path": "pkg.egg-info/PKG-INFO", "reason": "junk"},
        {"path": "logo.png", "reason": "binary"},
    ]


def test_apply_chain_is_the_official_one() -> None:
    from swebench.harness.run_evaluation import GIT_APPLY_CMDS

    script = evaluation.apply_script("/testbed")
    positions = [script.index(f"if {cmd} /tmp/patch.diff;") for cmd in GIT_APPLY_CMDS]
    assert positions == sorted(positions) and script.count("git checkout -- . ; git clean -fd") == 3
    assert "git apply --check --reverse /tmp/patch.diff" in script
    assert "timeout -s TERM -k 15 1800 /bin/bash /eval.sh" in evaluation.run_script(1800)


def test_official_report_counts_each_outcome_once() -> None:
    def entry(**meta: object) -> dict:
        return {"model": "m", "patch": "p", "meta": {"resolved": False, "resolved_strict": False, **meta}}

    report = official_report(
        {
            "a": entry(resolved=True, resolved_strict=True),
            "b": entry(resolved=True, strict_violations=["test_runner_hook: conftest.py"]),
            "c": entry(empty_patch=True),
            "d": entry(infra_error="eval_timeout"),
            "e": entry(infra_error="environment:out_of_memory"),
            "f": {"model": "m", "patch": None, "meta": None, "error": "container failed to start"},
        }
    )
    assert report["resolved_ids"] == ["a", "b"] and report["unresolved_ids"] == ["e"]
    assert report["empty_patch_ids"] == ["c"] and report["error_ids"] == ["d"] and report["incomplete_ids"] == ["f"]
    assert report["infra_failure_ids"] == ["e"] and report["failure_reasons"] == {
        "d": "eval_timeout",
        "e": "out_of_memory",
    }
    assert report["harness"]["resolved_rate"] == 2 / 6 and report["harness"]["resolved_rate_valid"] == 2 / 3
    assert report["harness"]["resolved_strict_ids"] == ["a"]
    assert report["harness"]["sample_errors"] == {"f": "container failed to start"}
    json.dumps(report)
