"""The agent phase of a trial under Harbor's limit: [agent].timeout_sec x timeout_multiplier of wall-clock time.

Whoever acts (the scaffold, the oracle or the no-op) runs inside `inspect_ai.util.time_limit`. When the limit
fires, the agent is cancelled, the trial is marked `agent_timed_out` (Harbor's AgentTimeoutError) and the sample
goes on to the verifier, whose reward counts, as in Harbor's Trial.run.
"""

from __future__ import annotations

import time

from inspect_ai.log import transcript
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import LimitExceededError, time_limit


@solver
def agent_phase(inner: Solver) -> Solver:
    """Run `inner` within the trial's agent timeout (sample metadata `agent_timeout_sec`)."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if state.metadata.get("environment_error"):
            return state  # no environment to act in; the verifier records the trial as an environment error
        limit = float(state.metadata["agent_timeout_sec"])
        started = time.monotonic()
        state.metadata["agent_timed_out"] = False
        phase = time_limit(limit)
        try:
            with phase:
                state = await inner(state, generate)
        except LimitExceededError as ex:
            if ex.source is not phase:
                raise  # a scaffold budget (turns, tokens): inspect ends the sample and still scores it
            state.metadata["agent_timed_out"] = True
            transcript().info(f"AgentTimeoutError: the agent phase exceeded {limit:g} s; the verifier still runs")
        finally:
            state.metadata["agent_seconds"] = round(time.monotonic() - started, 1)
        return state

    return solve
