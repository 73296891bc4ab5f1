"""Optional dependencies: what only one suite needs is a pip extra; a suite imported without it says which one."""

from __future__ import annotations

import importlib.util

from harness.errors import HarnessError

DISTRIBUTION = "agentic-bench-harness"


def require_extra(suite: str, extra: str, *modules: str) -> None:
    """Fail with the install command when a module `suite` needs (from the pip extra `extra`) is missing."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise HarnessError(
            f"suite {suite} needs {', '.join(missing)}: pip install '{DISTRIBUTION}[{extra}]' "
            "(`make setup` installs every extra)"
        )
