"""User-facing errors: one line that names the file, field or option and the fix. The CLI prints them bare."""

from __future__ import annotations


class HarnessError(Exception):
    """An error caused by input or environment that the user can fix; printed as one line, no traceback."""


def choose(kind: str, value: str, valid: list[str] | tuple[str, ...]) -> HarnessError:
    """The error for an unknown name, listing what is valid."""
    return HarnessError(f"unknown {kind} {value!r}; valid: {', '.join(sorted(valid))}")
