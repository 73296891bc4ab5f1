"""The SWE-bench oracle: apply the row's gold patch in the agent's container, as an agent would edit the files.

The patch then travels the same path as a model's work: `git diff <base_commit>`, a fresh evaluation container,
the official apply chain and grading. `harness validate swe_verified --solver gold` must resolve every instance.
"""

from __future__ import annotations

from inspect_ai.solver import Solver

from harness.repo_agent import apply_gold
from suites.swe_verified.config import settings


def oracle() -> Solver:
    return apply_gold(settings().sandbox.workdir)
