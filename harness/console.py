"""Progress and messages for the operator: the `harness` logger writes to stderr (whatever stderr is at the time)."""

from __future__ import annotations

import logging
import sys


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler bound to the current `sys.stderr` (pytest's capture, a redirected CLI) at each record."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # not setStream: it flushes the previous stream, which may be closed
        super().emit(record)


def get_logger(name: str, prefix: str) -> logging.Logger:
    """A logger under `harness.` whose INFO lines go to stderr as `[prefix] message`, once per process."""
    logger = logging.getLogger(f"harness.{name}")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter(f"[{prefix}] %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # inspect's root handler would print the same line again during an eval
    return logger
