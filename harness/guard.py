"""The run guard: what one `harness eval` spends, and the conditions that stop it starting new samples.

Two conditions stop a run: the cost cap (`--cost-cap USD`) is reached, or the API answers with a status the
retry policy says stops the run (402 insufficient balance, 401 authentication, 404 model not found). The guard
also watches `response.model`: an answer from another model than requested (served-model drift) is warned about
at its first occurrence and priced at the served model's rates where they are known. Samples already running finish
on their own; samples not yet started are not started (inspect's early stopping plus a drain of the task, so
the log records them as not run and `--resume` runs them later).

A sample whose API call failed with an error the policy does not retry (400, 404, 422, ...) ends at once:
inspect's sample retry (`retry_on_error`, meant for infrastructure errors) has no per-exception hook, so the
guard notes the refusal and its early stopping declines the retry attempt before it gets a sandbox or sends the
request again. The log records the sample as stopped early with the API error as the reason; the manifest lists
it under `api_refusals`; the run exits 3.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from inspect_ai.util import EarlyStop

from harness.cost import usage_cost
from harness.models import served_price_key

if TYPE_CHECKING:
    from inspect_ai.dataset import Sample
    from inspect_ai.log import EvalSpec
    from inspect_ai.model import ModelOutput
    from inspect_ai.scorer import SampleScore

    from harness.models import ResolvedModel

logger = logging.getLogger(__name__)

MANAGER = "harness-run-guard"
SampleKey = tuple[str | None, str | int, int]
"""(task id, sample id, epoch)."""
_SAMPLE: ContextVar[SampleKey | None] = ContextVar("harness_guard_sample", default=None)
"""The sample attempt running in this context (set when the guard schedules it; its solver and model calls
inherit it)."""


class RunGuard:
    """Spend against the cost cap, the stop condition, and the `response.model` of every call."""

    def __init__(
        self,
        *,
        price_key: str | None,
        plan: str | None,
        cost_cap: float | None,
        spent: float = 0.0,
        model: ResolvedModel | None = None,
        plans: dict[str, str | None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.price_key = price_key
        self.plan = plan
        self.model = model
        """The requested model, for the served-model drift check."""
        self.plans = plans or {}
        """Price key -> plan for other keys (a drifted answer priced at the served model's rates)."""
        self.drift: Counter[str] = Counter()
        self.clock = clock
        """When a call is priced (its rates depend on the time: plan windows, peak/off-peak)."""
        self.cost_cap = cost_cap
        self.spent = spent
        """USD so far, previous invocations of a resumed run included."""
        self.calls = 0
        self.unpriced_calls = 0
        self.response_models: Counter[str] = Counter()
        self.stop_reason: str | None = None
        self.stopped_by: str | None = None
        """"cost_cap" or "api"."""
        self.refused: dict[SampleKey, str] = {}
        """Samples whose API call failed with an error that is not retried, and the error."""
        self._tasks: list[TaskStopper] = []

    def record_call(self, output: ModelOutput) -> None:
        """Account one successful API call; reaching the cost cap stops the run."""
        self.calls += 1
        key, plan = self.price_key, self.plan
        if output.model:
            self.response_models[output.model] += 1
            if self.model is not None and self.model.drifted(output.model):
                key, plan = self._served(output.model)
        cost = usage_cost(key, output.usage, self.clock(), plan) if key and output.usage else None
        if cost is None:
            self.unpriced_calls += 1
        else:
            self.spent += cost
        self.check_cap()

    def _served(self, served: str) -> tuple[str | None, str | None]:
        """Warn at the first answer from `served`; its price key (else the requested one) and plan."""
        assert self.model is not None
        if not self.drift[served]:
            logger.warning(
                "harness: served-model drift: requested %s (%s), the vendor answered with %s; the report marks "
                "these samples and `harness claims` will not compare them without --allow-served-drift",
                self.model.model_id,
                self.model.alias,
                served,
            )
        self.drift[served] += 1
        key = served_price_key(self.model.provider, served)
        if key is None:
            return self.price_key, self.plan
        return key, self.plans.get(key)

    def refuse(self, status: int | None, error: BaseException) -> None:
        """The running sample's API call failed with an error the policy does not retry: the sample ends here."""
        key = _SAMPLE.get()
        if key is not None and key not in self.refused:
            what = f"API status {status}" if status is not None else type(error).__name__
            self.refused[key] = f"{what}, not retried: {str(error)[:300]}"
            logger.warning("harness: sample %s (epoch %s) ends: %s", key[1], key[2], self.refused[key])

    def refusals(self) -> list[dict[str, Any]]:
        return [{"sample": key[1], "epoch": key[2], "error": error} for key, error in self.refused.items()]

    def check_cap(self) -> None:
        if self.cost_cap is not None and self.spent >= self.cost_cap:
            self.stop(f"cost cap ${self.cost_cap:g} reached (${self.spent:.4f} spent)", "cost_cap")

    def stop(self, reason: str, by: str) -> None:
        """Stop starting samples (the first reason wins) and drain every task that is running."""
        if self.stop_reason is not None:
            return
        self.stop_reason, self.stopped_by = reason, by
        logger.warning("harness: no new samples will start: %s", reason)
        for task in self._tasks:
            task.drain()

    def early_stopping(self) -> TaskStopper:
        """A stopper for one task (inspect calls it before each sample), sharing this guard."""
        return TaskStopper(self)

    def summary(self) -> dict[str, Any]:
        return {
            "cost_cap_usd": self.cost_cap,
            "spent_usd": round(self.spent, 6),
            "api_calls": self.calls,
            "unpriced_calls": self.unpriced_calls,
            "served_drift": dict(self.drift),
            "stop_reason": self.stop_reason,
            "stopped_by": self.stopped_by,
        }


class TaskStopper:
    """inspect's `EarlyStopping` protocol for one task, backed by the run's guard."""

    def __init__(self, guard: RunGuard) -> None:
        self.guard = guard
        self.task_id: str | None = None
        self.drained = False

    async def start_task(self, task: EvalSpec, samples: list[Sample], epochs: int) -> str:
        self.task_id = task.task_id
        self.guard._tasks.append(self)
        return MANAGER

    async def schedule_sample(self, id: str | int, epoch: int) -> EarlyStop | None:
        key = (self.task_id, id, epoch)
        _SAMPLE.set(key)
        if key in self.guard.refused:  # a retry attempt after an API error that is not retried: declined
            return EarlyStop(id=id, epoch=epoch, reason=self.guard.refused[key])
        self.guard.check_cap()
        if self.guard.stop_reason is None:
            return None
        self.drain()
        return EarlyStop(id=id, epoch=epoch, reason=self.guard.stop_reason)

    async def complete_sample(self, id: str | int, epoch: int, scores: dict[str, SampleScore]) -> None:
        return None

    async def complete_task(self) -> dict[str, Any]:
        return {"stop_reason": self.guard.stop_reason, "spent_usd": round(self.guard.spent, 6)}

    def drain(self) -> None:
        """Abandon the task's queued samples so its log records them as not run (resumable), not as finished.

        inspect's public early stopping alone would finish the log as complete and `--resume` would skip the
        stopped samples; the drain (what `inspect ctl task drain` does) is not public API, hence the guard.
        """
        if self.drained or self.task_id is None:
            return
        self.drained = True
        try:
            from inspect_ai._control.cancel import drain_task
        except ImportError:  # pragma: no cover - inspect moved it; stopping still works, resuming may not
            logger.warning("harness: inspect has no task drain; stopped samples may not resume")
            return
        drain_task(self.task_id)
