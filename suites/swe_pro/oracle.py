"""The SWE-bench Pro oracle: apply the row's gold patch in the agent's container, as an agent would edit the files.

The patch then travels the same path as a model's work: `git diff <base_commit>`, a fresh evaluation container,
Scale's entry script, run script and parser. `harness validate swe_pro` must resolve every instance.
"""

from __future__ import annotations

from inspect_ai.solver import Solver

from harness.repo_agent import apply_gold
from suites.swe_pro.config import settings


def oracle() -> Solver:
    return apply_gold(settings().sandbox.workdir)
