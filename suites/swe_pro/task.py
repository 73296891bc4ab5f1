"""The SWE-bench Pro suite: Scale's instance images, a pruned repository, the scaffold, Scale's grading procedure."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.solver import chain
from pydantic import Field

from harness import shard
from harness.agents import agent_solver
from harness.errors import HarnessError
from harness.images import ImageSpec
from harness.repo_agent import prepare_repo, within_budget
from harness.scaffold import task_limits
from harness.suite import NameList, SuiteDef, SuiteOptions, TaskRequest
from suites.swe_pro import dataset, sandbox
from suites.swe_pro.config import settings
from suites.swe_pro.entryscript import load_scripts
from suites.swe_pro.oracle import oracle
from suites.swe_pro.scorer import swe_pro_scorer

NAME = "swe_pro"


class Options(SuiteOptions):
    dataset: str | None = None
    """Hub id or local .parquet/.jsonl/.json/.csv file in the ScaleAI/SWE-bench_Pro columns; default: the pinned
    hub dataset (with --data full) or the bundled fixtures (--data sample)."""
    revision: str | None = None
    """Hub revision; default: the pinned one in config.toml."""
    split: str | None = None
    """Hub split; default: test."""
    scripts_dir: str | None = None
    """Scale's run_scripts/ folder (<instance_id>/run_script.sh and parser.py) from a scaleapi/SWE-bench_Pro-os
    checkout; required except for the bundled fixtures, whose own scripts are the default."""
    instance_ids: NameList | None = None
    """Only these instances (comma-separated or repeated)."""
    repo: NameList | None = None
    """Only instances of these repositories, e.g. flipt-io/flipt."""
    language: NameList | None = None
    """Only these repo_language values, e.g. python, go, js, ts."""
    mirror: str | None = None
    """Registry mirror (host[/path]) or namespace to pull the instance images from."""
    eval_timeout: int | None = Field(default=None, ge=1)
    """Seconds for the entry script; default 3600 (Scale's sandbox timeout)."""
    eval_network: bool | None = None
    """Whether the evaluation container has a network; default: true (Scale's default)."""


def _source(options: Options) -> dataset.Source:
    return dataset.source(options.data, options.dataset, options.revision, options.split)


def _fixtures(options: Options) -> bool:
    return _source(options).kind == "fixtures"


def scripts_dir(options: Options) -> Path:
    """Where the run scripts and parsers are: --scripts-dir, or the fixtures' own for the bundled fixtures."""
    if options.scripts_dir:
        path = Path(options.scripts_dir).expanduser().resolve()
        if not path.is_dir():
            raise HarnessError(f"--scripts-dir {options.scripts_dir}: no such directory")
        return path
    if _fixtures(options):
        return dataset.FIXTURE_SCRIPTS
    raise HarnessError(
        "suite swe_pro: --scripts-dir DIR is required with --data full or --dataset (the run_scripts/ folder of a "
        "scaleapi/SWE-bench_Pro-os checkout; the harness never ships Scale's scripts)"
    )


def instances(options: Options) -> list[dataset.Instance]:
    """The selection; every selected instance must have its run script and parser (checked before any image)."""
    selected = dataset.select(
        dataset.load(_source(options)),
        instance_ids=options.instance_ids,
        repo=options.repo,
        language=options.language,
        limit=options.limit,
    )
    selected = shard.select(selected, options.shard, key=lambda i: i.instance_id)  # only this shard's images
    folder = scripts_dir(options)
    for instance in selected:
        load_scripts(folder, instance)
    return selected


def scripts_digest(folder: Path, selected: list[dataset.Instance]) -> str:
    """One hash over the run scripts and parsers of the selected instances (recorded in the manifest)."""
    digest = hashlib.sha256()
    for instance in selected:
        scripts = load_scripts(folder, instance)
        digest.update(f"{instance.instance_id}\0{scripts.run_script}\0{scripts.parser}\0".encode())
    return digest.hexdigest()


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
        "scripts_dir": str(scripts_dir(options)),
        "scripts_sha256": scripts_digest(scripts_dir(options), instances(options)),
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
            "language": instance.repo_language,
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
        dataset=MemoryDataset(samples, name="swe-bench-pro"),
        solver=chain(prepare_repo(settings().sandbox.workdir), within_budget(agent, agent_seconds)),
        scorer=swe_pro_scorer(str(scripts_dir(options)), timeout=options.eval_timeout),
        **limits,
    )


def after_run(run_dir: Any, options: Options) -> None:
    from suites.swe_pro.export import export_run

    export_run(run_dir)


SUITE = SuiteDef(
    name=NAME,
    description="SWE-bench Pro public set (Scale's run scripts and parsers, Scale's grading)",
    options=Options,
    build_task=build_task,
    images=images,
    dataset_info=dataset_info,
    after_run=after_run,
)
