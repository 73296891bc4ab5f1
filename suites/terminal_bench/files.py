"""The /logs directories the agent and verifier write to (world-writable, as Harbor makes its mounted log dirs).

Task files go in as root (Harbor uploads with `docker cp`, i.e. as root) through `harness.sandbox_files.upload`,
which also runs `MAKE_LOG_DIRS` in the same exec.
"""

from __future__ import annotations

LOG_DIRS = ("/logs/agent", "/logs/verifier")
MAKE_LOG_DIRS = f"mkdir -p {' '.join(LOG_DIRS)} && chmod 777 {' '.join(LOG_DIRS)}"
