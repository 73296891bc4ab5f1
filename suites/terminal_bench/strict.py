"""`reward_strict`: Harbor's reward, and, where the verifier ran pytest, every collected test ran and passed.

Harbor's reward is what test.sh wrote, usually `1` when pytest exited 0. pytest exits 0 too when the code under
test calls `os._exit(0)` while the tests run, after one test. Terminal-Bench 1's harness instead parses pytest's
per-test results (its PytestParser reads the `short test summary info` lines of `-rA`; a task is resolved when
every parsed test passed). The strict verdict reads the verifier's log the same way, per pytest session (a
`test session starts` header):

- `session_unfinished`: a session has no final summary line (`=== 3 passed in 0.1s ===`);
- `not_all_ran`: no `collected N items` line, or the tests counted in the summary (or listed per test) differ from
  those collected;
- `tests_failed`: a failed or erroring test, in the summary counts or the per-test lines;
- `forged_summary`: more summaries or `collected` lines than sessions, or a test listed with conflicting statuses.

Without any pytest session header in the log (a shell test.sh, or `pytest -q`, which prints none), `reward_strict`
is the reward: there is nothing more to check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HEADER = re.compile(r"^=+ test session starts =+$")
COLLECTED = re.compile(r"^collect(?:ed|ing \.\.\.)\s+(\d+) items?(?: / (\d+) deselected)?(?: / (\d+) selected)?")
SUMMARY = re.compile(
    r"^=+ (?P<body>.*\d+ (?:passed|failed|error|errors|skipped|xfailed|xpassed|deselected)\b.*) in [\d.]+s.*=+$"
)
NO_TESTS = re.compile(r"^=+ no tests ran in [\d.]+s.*=+$")
PER_TEST = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\s+(\S+)")
COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?|rerun)")
PASSING = {"PASSED", "SKIPPED", "XFAIL"}  # TB1's PytestTestStatus.to_test_status: these count as passed


@dataclass(frozen=True)
class StrictReward:
    strict: bool
    violations: list[str] = field(default_factory=list)
    sessions: int = 0


def _session_violations(lines: list[str]) -> list[str]:
    found: list[str] = []
    collected_lines = [m for m in map(COLLECTED.match, lines) if m]
    summaries = [m for m in map(SUMMARY.match, lines) if m]
    if len(collected_lines) > 1 or len(summaries) > 1:
        found.append(
            f"forged_summary: {len(collected_lines)} collected lines, {len(summaries)} summaries in one session"
        )
    if not summaries:
        if any(NO_TESTS.match(line) for line in lines):
            return [*found, "not_all_ran: no tests ran"]
        return [*found, "session_unfinished: the pytest session printed no final summary (it exited early)"]
    collected = None
    if not collected_lines:
        found.append("not_all_ran: the session reported no collected tests")
    else:
        m = collected_lines[0]
        collected = int(m.group(3)) if m.group(3) else int(m.group(1)) - int(m.group(2) or 0)
    counts: dict[str, int] = {}
    for number, word in COUNT.findall(summaries[-1].group("body")):
        key = {"error": "errors", "warning": "warnings"}.get(word, word)
        counts[key] = counts.get(key, 0) + int(number)
    if counts.get("failed") or counts.get("errors"):
        found.append(f"tests_failed: {counts.get('failed', 0)} failed, {counts.get('errors', 0)} errors")
    ran = sum(counts.get(k, 0) for k in ("passed", "failed", "skipped", "xfailed", "xpassed"))
    if collected is not None and ran != collected:
        found.append(f"not_all_ran: {ran} of {collected} collected tests ran")
    per_test: dict[str, set[str]] = {}
    for m in filter(None, map(PER_TEST.match, lines)):
        per_test.setdefault(m.group(2), set()).add(m.group(1))
    if per_test:
        conflicts = sorted(t for t, s in per_test.items() if s & PASSING and s - PASSING)
        if conflicts:
            found.append(f"forged_summary: conflicting statuses for {', '.join(conflicts[:5])}")
        failing = sorted(t for t, s in per_test.items() if s - PASSING)
        if failing and not counts.get("failed") and not counts.get("errors"):
            found.append(f"tests_failed: {', '.join(failing[:5])}")
        if collected is not None and len(per_test) != collected:
            found.append(f"not_all_ran: {len(per_test)} tests listed, {collected} collected")
    return found


def strict_reward(reward: float, log: str) -> StrictReward:
    """The strict verdict of a trial from its reward and the verifier's stdout."""
    lines = [line.rstrip() for line in log.splitlines()]
    starts = [i for i, line in enumerate(lines) if HEADER.match(line)]
    violations: list[str] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        violations += _session_violations(lines[start:end])
    if not starts and any(SUMMARY.match(line) for line in lines):
        violations.append("forged_summary: a pytest summary line without a pytest session")
    return StrictReward(reward >= 1.0 and not violations, violations, len(starts))
