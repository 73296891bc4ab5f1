"""Programmatic checks for the judge-free offline task set, found by `kind` in a registry (no per-task code).

A task's CHECKS is a list of checks; it passes when every check passes. Kinds:
- `answer_contains`: every entry of `values` occurs in the final answer (case and whitespace insensitive); an
  entry that is a list passes when any of its alternatives occurs.
- `answer_regex`: `pattern` (a Python regex, case-insensitive) matches the final answer.
- `answer_excludes`: no entry of `values` occurs in the final answer (guards against answers listing everything).
- `command_output`: `cmd` (argv) runs in the sandbox after the agent finished; its stripped stdout must equal
  `equals` or contain `contains`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from inspect_ai.util import sandbox


@dataclass
class CheckResult:
    kind: str
    passed: bool
    detail: str


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


async def answer_contains(check: dict[str, Any], answer: str) -> CheckResult:
    text = normalise(answer)
    missing = []
    for value in check["values"]:
        options = value if isinstance(value, list) else [value]
        if not any(normalise(str(o)) in text for o in options):
            missing.append(" | ".join(map(str, options)))
    return CheckResult("answer_contains", not missing, f"missing: {missing}" if missing else "all found")


async def answer_regex(check: dict[str, Any], answer: str) -> CheckResult:
    found = re.search(str(check["pattern"]), answer, re.IGNORECASE) is not None
    return CheckResult("answer_regex", found, f"/{check['pattern']}/ {'matches' if found else 'does not match'}")


async def answer_excludes(check: dict[str, Any], answer: str) -> CheckResult:
    text = normalise(answer)
    found = [str(v) for v in check["values"] if normalise(str(v)) in text]
    return CheckResult("answer_excludes", not found, f"found: {found}" if found else "none found")


async def command_output(check: dict[str, Any], answer: str) -> CheckResult:
    result = await sandbox().exec(list(check["cmd"]), timeout=int(check.get("timeout", 60)))
    out = result.stdout.strip()
    if "equals" in check:
        passed = result.success and out == str(check["equals"]).strip()
    else:
        passed = result.success and str(check["contains"]) in out
    detail = f"exit {result.returncode}, stdout {out[:200]!r}" + (
        f", stderr {result.stderr.strip()[:200]!r}" if not result.success else ""
    )
    return CheckResult("command_output", passed, detail)


CHECKERS: dict[str, Callable[[dict[str, Any], str], Awaitable[CheckResult]]] = {
    "answer_contains": answer_contains,
    "answer_regex": answer_regex,
    "answer_excludes": answer_excludes,
    "command_output": command_output,
}


def validate_checks(checks: list[dict[str, Any]]) -> None:
    """Raise ValueError for an unknown kind or a check missing its fields (called when rows are loaded)."""
    for check in checks:
        kind = check.get("kind") if isinstance(check, dict) else None
        if kind not in CHECKERS:
            raise ValueError(f"check kind {kind!r} is not one of {', '.join(CHECKERS)}")
        needed = {
            "answer_contains": ["values"],
            "answer_regex": ["pattern"],
            "answer_excludes": ["values"],
            "command_output": ["cmd"],
        }[kind]
        if any(k not in check for k in needed) or (
            kind == "command_output" and not ({"equals", "contains"} & set(check))
        ):
            raise ValueError(
                f"check {kind} needs {', '.join(needed)}"
                + (" and equals or contains" if kind == "command_output" else "")
            )


async def run_checks(checks: list[dict[str, Any]], answer: str) -> list[CheckResult]:
    return [await CHECKERS[c["kind"]](c, answer) for c in checks]
