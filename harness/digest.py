"""The short content hash of provenance records (scaffold, policy, agent config, merged-run identity)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def digest(value: Any) -> str:
    """16 hex digits of the SHA-256 of `value` as sorted-key JSON (values JSON cannot hold as their `str`)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]
