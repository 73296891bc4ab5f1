"""The SWE-bench Verified suite: official instance images, a pruned repository, the scaffold, official grading."""

from __future__ import annotations

from typing import Any

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.solver import chain
from pydantic import Field, model_validator

from harness import shard
from harness.agents import agent_solver
from harness.images import ImageSpec
from harness.repo_agent import prepare_repo, within_budget
from harness.scaffold import task_limits
from harness.suite import NameList, SuiteDef, SuiteOptions, TaskRequest
from suites.swe_verified import dataset, sandbox
from suites.swe_verified.config import settings
from suites.swe_verified.oracle import oracle
from suites.swe_verified.scorer import swe_bench_scorer

NAME = "swe_verified"


class Options(SuiteOptions):
    data: str = "sample"  # type: ignore[assignment]  # sample | full, or the --dataset it names (below)
    """`sample` (the bundled fixtures) or `full` (the pinned hub dataset); with --dataset, the file (absolute
    path) or hub id given, so the task header and the manifest say which data ran."""
    dataset: str | None = None
    """Hub id or local .parquet/.jsonl/.json file in the swebench 5.x schema; default: the pinned hub dataset
    (with --data full) or the bundled fixtures (--data sample)."""
    revision: str | None = None
    """Hub revision; default: the pinned one in config.toml."""
    split: str | None = None
    """Hub split; default: test."""
    instance_ids: NameList | None = None
    """Only these instances (comma-separated or repeated)."""
    repo: NameList | None = None
    """Only instances of these repositories, e.g. django/django."""
    difficulty: NameList | None = None
    """Only these difficulty buckets, e.g. '<15 min fix'."""
    mirror: str | None = None
    """Registry mirror (host[/path]) or namespace to pull the official images from."""
    eval_timeout: int | None = Field(default=None, ge=1)
    """Seconds for the eval script; default 1800 (official)."""
    eval_network: bool | None = None
    """Whether the evaluation container has a network; default: true (official)."""

    @model_validator(mode="after")
    def _name_the_data(self) -> Options:
        if self.dataset is not None:
            self.data = dataset.source("full", self.dataset, self.revision, self.split).location
        elif self.data not in ("sample", "full"):
            raise ValueError(f"--data {self.data}: expected sample or full (name a dataset with --dataset)")
        return self


def _source(options: Options) -> dataset.Source:
    return dataset.source(options.data, options.dataset, options.revision, options.split)


def instances(options: Options) -> list[dataset.Instance]:
    """The selected instances of this shard (`--shard`), so only their images are pulled."""
    selected = dataset.select(
        dataset.load(_source(options)),
        instance_ids=options.instance_ids,
        repo=options.repo,
        difficulty=options.difficulty,
        limit=options.limit,
    )
    return shard.select(selected, options.shard, key=lambda i: i.instance_id)


def _fixtures(options: Options) -> bool:
    return _source(options).kind == "fixtures"


def images(options: Options) -> list[ImageSpec]:
    return sandbox.image_specs(instances(options), fixtures=_fixtures(options), mirror=options.mirror)


def dataset_info(options: Options) -> dict[str, Any]:
    src = _source(options)
    return {
        "kind": src.kind,
        "location": src.location,
        "revision": src.revision,
        "split": src.split,
        "sha256": src.sha256,
        "instances": len(instances(options)),
    }


def to_sample(instance: dataset.Instance, options: Options) -> Sample:
    cfg = settings()
    image = sandbox.run_image(instance, fixtures=_fixtures(options), mirror=options.mirror)
    network = cfg.evaluation.network if options.eval_network is None else options.eval_network
    return Sample(
        id=instance.instance_id,
        input=dataset.prompt(instance, cfg.sandbox.workdir),
        metadata={
            "instance": instance.model_dump(),
            "repo": instance.repo,
            "difficulty": instance.difficulty,
            "image": image,
        },
        sandbox=sandbox.spec(image, eval_network=network),
    )


def build_task(request: TaskRequest) -> Task:
    options = request.options
    assert isinstance(options, Options)
    samples = [to_sample(i, options) for i in instances(options)]
    limits = task_limits(NAME)
    agent_seconds = limits.pop("time_limit", None)
    agent = agent_solver(request, suite=NAME, protocol="shell", oracle=oracle())
    return Task(
        name=NAME,
        dataset=MemoryDataset(samples, name="swe-bench-verified"),
        solver=chain(prepare_repo(settings().sandbox.workdir), within_budget(agent, agent_seconds)),
        scorer=swe_bench_scorer(timeout=options.eval_timeout),
        **limits,
    )


def after_run(run_dir: Any, options: Options) -> None:
    from suites.swe_verified.export import export_run

    export_run(run_dir)


SUITE = SuiteDef(
    name=NAME,
    description="SWE-bench Verified (swebench 5.x schema, official grading)",
    options=Options,
    build_task=build_task,
    images=images,
    dataset_info=dataset_info,
    after_run=after_run,
)
