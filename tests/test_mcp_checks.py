"""The offline set's programmatic checks: the reference answer passes, an empty answer fails, bad checks are refused."""

from __future__ import annotations

import asyncio

import pytest

from suites.mcp_atlas import dataset
from suites.mcp_atlas.checkers import run_checks, validate_checks

TASKS = dataset.bundled()


def answer_checks(task: dataset.McpTask) -> list[dict]:
    return [c for c in task.checks if c["kind"].startswith("answer_")]


@pytest.mark.parametrize("task", TASKS, ids=[t.task_id for t in TASKS])
def test_reference_answer_passes_and_empty_answer_fails(task) -> None:
    checks = answer_checks(task)
    if checks:
        assert all(r.passed for r in asyncio.run(run_checks(checks, task.final_answer)))
        assert not all(r.passed for r in asyncio.run(run_checks(checks, "")))
    else:  # state-only tasks: the Docker test runs the no-op on them
        assert any(c["kind"] == "command_output" for c in task.checks)


def test_answer_checks_are_case_and_whitespace_insensitive() -> None:
    check = {"kind": "answer_contains", "values": ["Lena  Vogt", ["555-0142", "555 0142"]]}
    assert asyncio.run(run_checks([check], "your dentist is LENA\nVOGT (555 0142)"))[0].passed
    assert not asyncio.run(run_checks([check], "Lena Vogt"))[0].passed
    excludes = {"kind": "answer_excludes", "values": ["Marco Ruiz"]}
    assert not asyncio.run(run_checks([excludes], "Marco Ruiz and Lena Vogt"))[0].passed


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ({"kind": "answer_psychic"}, "is not one of"),
        ({"kind": "answer_contains"}, "needs values"),
        ({"kind": "command_output", "cmd": ["true"]}, "equals or contains"),
    ],
)
def test_bad_checks_are_refused(check, message) -> None:
    with pytest.raises(ValueError, match=message):
        validate_checks([check])
