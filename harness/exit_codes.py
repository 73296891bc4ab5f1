"""The exit codes of `harness eval` (also `harness nightly` and `harness validate` where they apply).

`make nightly`, CI and scripts rely on them; the README lists them. The most serious outcome wins:
interrupted, then stopped, then sample errors.
"""

from __future__ import annotations

OK = 0
"""Every planned sample was scored."""
FAILED = 1
"""`harness eval`: an internal error (a bug). `validate`: a task scored wrong. `nightly`: a regression gate failed."""
BAD_INPUT = 2
"""Bad input or environment (a one-line error naming the file, field or option); nothing ran."""
SAMPLE_ERRORS = 3
"""Some samples ended in errors after their retries (infrastructure or API); the rest were scored."""
STOPPED = 4
"""The run stopped starting samples (cost cap, or the API refused the key or balance: 401/402); `--resume` runs
the rest."""
INTERRUPTED = 130
"""Interrupted (SIGINT, Ctrl-C); `--resume` continues."""


def eval_exit_code(*, interrupted: bool, stopped: bool, planned: int, scored: int) -> int:
    """The exit code of a run that started: `scored` is the planned samples that ended with a score and no error."""
    if interrupted:
        return INTERRUPTED
    if stopped:
        return STOPPED
    return OK if scored >= planned else SAMPLE_ERRORS
