"""User-facing errors: one line that names the file, field or option and the fix. The CLI prints them bare."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class HarnessError(Exception):
    """An error caused by input or environment that the user can fix; printed as one line, no traceback."""


def choose(kind: str, value: str, valid: list[str] | tuple[str, ...]) -> HarnessError:
    """The error for an unknown name, listing what is valid."""
    return HarnessError(f"unknown {kind} {value!r}; valid: {', '.join(sorted(valid))}")


def read_text(path: Path, option: str) -> str:
    """The text of a file the user named with `option`; missing, unreadable or non-UTF-8 is a one-line error."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as ex:
        raise HarnessError(f"{option} {path}: no such file") from ex
    except IsADirectoryError as ex:
        raise HarnessError(f"{option} {path}: is a directory; name a file") from ex
    except UnicodeDecodeError as ex:
        raise HarnessError(f"{option} {path}: not UTF-8 text (byte {ex.start})") from ex
    except OSError as ex:
        raise HarnessError(f"{option} {path}: cannot be read ({ex.strerror})") from ex


def read_json(path: Path, option: str) -> Any:
    """The JSON in a file the user named with `option`; a missing file or bad JSON is a one-line error."""
    text = read_text(path, option)
    try:
        return json.loads(text)
    except json.JSONDecodeError as ex:
        raise HarnessError(f"{option} {path}: not valid JSON ({ex.msg} at line {ex.lineno})") from ex
