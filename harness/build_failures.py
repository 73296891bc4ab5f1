"""Image builds that failed during this run, for suites whose other tasks carry on without them.

Harbor records a task whose environment cannot be built as that trial's environment error and runs the rest. A
suite that declares `build_failures = "record"` (harness.suite.SuiteDef) gets the same: the run records each
failed build here (tag -> the build log's tail) instead of stopping, and the suite turns the samples that need the
image into infrastructure-error rows.
"""

from __future__ import annotations

_FAILED: dict[str, str] = {}


def record(tag: str, message: str) -> None:
    _FAILED[tag] = message


def failure(tag: str) -> str | None:
    """The build log tail of `tag`'s failed build in this run, or None when it did not fail."""
    return _FAILED.get(tag)


def failed() -> dict[str, str]:
    return dict(_FAILED)


def clear() -> None:
    _FAILED.clear()
