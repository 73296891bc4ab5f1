"""The LiveCodeBench suite: official code-generation prompts, single-turn answers, official grading in sandboxes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from inspect_ai import Epochs, Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.util import SandboxEnvironmentSpec
from pydantic import Field, field_validator, model_validator

from harness.agents import agent_solver
from harness.errors import HarnessError
from harness.images import ImageSpec
from harness.scaffold import task_limits
from harness.suite import AgentKind, SuiteDef, SuiteOptions, TaskRequest
from suites.livecodebench import dataset
from suites.livecodebench.oracle import oracle
from suites.livecodebench.prompts import SYSTEM_MESSAGE
from suites.livecodebench.sandbox import GRADER_IMAGE, GraderSettings, default_workers
from suites.livecodebench.scorer import lcb_epochs, lcb_scorer

NAME = "livecodebench"
PROTOCOL = "single_turn"


class Options(SuiteOptions):
    release: str = "release_v6"
    """Version tag: release_v1..release_v6 (cumulative: 400..1055 problems), v1..v6 (one release's additions),
    vA_vB (releases A..B) or release_latest, as the dataset's loading script defines them."""
    start_date: date | None = None
    """Keep problems whose contest_date is on or after this day (YYYY-MM-DD): the contamination window."""
    end_date: date | None = None
    """Keep problems whose contest_date is on or before this day (YYYY-MM-DD)."""
    data_dir: Path | None = None
    """A directory holding the release files (test.jsonl ... test6.jsonl) instead of downloading them."""
    timeout: int = Field(default=6, ge=1, le=60)
    """Seconds per test (lcb_runner --timeout; the official runs use 6)."""
    grader_workers: int | None = Field(default=None, ge=1, le=64)
    """Problems graded in parallel (grader containers); default: the CPUs this process may use."""

    @field_validator("release")
    @classmethod
    def _known_release(cls, value: str) -> str:
        valid = dataset.release_config().releases
        if value not in valid:
            raise ValueError(f"unknown release {value!r}; valid: {', '.join(valid)}")
        return value

    @model_validator(mode="after")
    def _window(self) -> Options:
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise ValueError(f"start_date {self.start_date} is after end_date {self.end_date}")
        return self


_PROBLEMS: dict[str, list[dataset.Problem]] = {}


def problems(options: Options) -> list[dataset.Problem]:
    """The selected problems (loaded once per option set in this process)."""
    key = options.model_dump_json(exclude={"limit", "timeout", "grader_workers"})
    if key not in _PROBLEMS:
        _PROBLEMS[key] = dataset.load_problems(
            data=options.data,
            release=options.release,
            data_dir=options.data_dir,
            start_date=options.start_date,
            end_date=options.end_date,
        )
    selected = _PROBLEMS[key]
    if not selected:
        window = f"{options.start_date or 'the start'} and {options.end_date or 'the end'}"
        raise HarnessError(
            f"livecodebench: no problems in {options.release} between {window}; widen --start-date/--end-date"
        )
    return selected[: options.limit] if options.limit else selected


def images(options: Options) -> list[ImageSpec]:
    problems(options)  # validates the data (and downloads it for --data full) before any build
    return [GRADER_IMAGE]


def dataset_info(options: Options) -> dict[str, Any]:
    selected = problems(options)
    dates = sorted(p.contest_date for p in selected)
    info: dict[str, Any] = {
        "start_date": options.start_date.isoformat() if options.start_date else None,
        "end_date": options.end_date.isoformat() if options.end_date else None,
        "problems": len(selected),
        "contest_dates": [dates[0], dates[-1]],
        # the report warns when this window starts before a model's release (harness.results.report)
        "problem_dates": {"start": dates[0][:10], "end": dates[-1][:10]},
        "by_platform": _counts(selected, "platform"),
        "by_difficulty": _counts(selected, "difficulty"),
    }
    if options.data == "sample":
        return {
            "dataset": "bundled fixtures (suites/livecodebench/samples/problems.jsonl)",
            "sha256": dataset.sha256_file(dataset.FIXTURES_FILE),
            **info,
        }
    config = dataset.release_config()
    files = dataset.release_files(options.release, config)
    return {
        "dataset": config.dataset,
        "revision": config.revision,
        "release": options.release,
        "files": {name: config.files[name].sha256 for name in files},
        **info,
    }


def _counts(selected: list[dataset.Problem], field: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in selected:
        counts[getattr(p, field)] = counts.get(getattr(p, field), 0) + 1
    return dict(sorted(counts.items()))


def lcb_task(
    request: TaskRequest,
    *,
    name: str,
    protocol: str,
    sample: Callable[[dataset.Problem], Sample],
    system_prompt: str | None = None,
    sandbox: SandboxEnvironmentSpec | None = None,
) -> Task:
    """A LiveCodeBench task under `protocol`: the selected problems, official grading, pass@k epochs."""
    options = request.options
    assert isinstance(options, Options)
    if request.agent is AgentKind.ORACLE and options.data != "sample":
        raise HarnessError(
            f"{name}: the oracle needs reference programs, which only the bundled samples have; use --data sample"
        )
    settings = GraderSettings(image=GRADER_IMAGE.tag, workers=options.grader_workers or default_workers())
    return Task(
        name=name,
        dataset=MemoryDataset([sample(p) for p in problems(options)], name=f"{name}-{options.data}"),
        solver=agent_solver(request, suite=name, protocol=protocol, oracle=oracle(), system_prompt=system_prompt),
        scorer=lcb_scorer(settings, timeout=options.timeout),
        sandbox=sandbox,
        epochs=Epochs(1, lcb_epochs()),
        metadata={"livecodebench": json.loads(options.model_dump_json())},
        **task_limits(name),
    )


def build_task(request: TaskRequest) -> Task:
    return lcb_task(request, name=NAME, protocol=PROTOCOL, sample=dataset.to_sample, system_prompt=SYSTEM_MESSAGE)


SUITE = SuiteDef(
    name=NAME,
    description="LiveCodeBench code generation (official prompts and grading rules)",
    options=Options,
    build_task=build_task,
    images=images,
    protocol=PROTOCOL,
    system_prompt=SYSTEM_MESSAGE,
    dataset_info=dataset_info,
)
