"""`harness eval`: resolve the model, prepare images, run every suite's task through inspect, write the run dir.

A run directory `results/runs/<run-id>/` holds the inspect logs (`logs/`), `manifest.json` and the tables.
Logs are written as samples finish; re-running with `--resume <run-id>` reuses every finished sample
(inspect's eval_set semantics).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import images, manifest
from harness.errors import HarnessError
from harness.models import ResolvedModel, check_credentials, resolve
from harness.paths import runs_dir
from harness.policy import policy
from harness.scaffold import scaffold_hash
from harness.suite import SuiteOptions, get_suite, parse_options, suite_names


@dataclass
class EvalRequest:
    """What the user asked for on the command line."""

    model: str
    suites: list[str]
    options: dict[str, Any] = field(default_factory=dict)
    epochs: int = 1
    script: Path | None = None
    run_id: str | None = None
    resume: bool = False
    max_samples: int | None = None
    max_sandboxes: int | None = None
    cost_cap: float | None = None
    display: str | None = None
    command: list[str] = field(default_factory=list)


@dataclass
class EvalOutcome:
    run_dir: Path
    success: bool


def expand_suites(names: list[str]) -> list[str]:
    if not names or names == ["all"]:
        return suite_names()
    for name in names:
        get_suite(name)  # raises with the valid names
    return names


def suite_options(model: ResolvedModel, suites: list[str], options: dict[str, Any]) -> dict[str, SuiteOptions]:
    """Validate options per suite. With several suites, an option applies where the suite knows it."""
    values = dict(options)
    values.setdefault("data", "full" if model.needs_api else "sample")
    parsed = {}
    for name in suites:
        definition = get_suite(name)
        known = {k: v for k, v in values.items() if k in definition.options.model_fields} if len(suites) > 1 \
            else values
        parsed[name] = parse_options(definition, known)
    if len(suites) > 1:
        for key in values:
            if not any(key in get_suite(s).options.model_fields for s in suites):
                raise HarnessError(f"unknown option --{key.replace('_', '-')} for suites {', '.join(suites)}")
    return parsed


def new_run_id(model: str, suites: list[str]) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    label = suites[0] if len(suites) == 1 else "all"
    return f"{stamp}-{model.replace('/', '_')}-{label}"


def run_eval(req: EvalRequest) -> EvalOutcome:
    from inspect_ai import eval_set

    from harness.results import write_tables
    from harness.tasks import suite_task

    model = resolve(req.model, script=req.script)
    check_credentials(model)  # before any image or sandbox work
    suites = expand_suites(req.suites)
    options = suite_options(model, suites, req.options)

    run_id = req.run_id or new_run_id(model.alias, suites)
    run_dir = runs_dir() / run_id
    if run_dir.exists() and not req.resume:
        raise HarnessError(f"run directory {run_dir} exists; pass --resume {run_id} to continue it")
    if req.resume and not run_dir.exists():
        raise HarnessError(f"--resume {run_id}: no such run under {runs_dir()}")
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)

    image_specs = {name: get_suite(name).images(opts) for name, opts in options.items()}  # validates data
    images.require_engine()
    builds = [s for specs in image_specs.values() for s in specs if isinstance(s, images.ImageBuild)]
    pulls = [s.ref for specs in image_specs.values() for s in specs if isinstance(s, images.ImagePull)]
    images.ensure_base()
    built = images.ensure_built(builds)
    pulled = images.pull(pulls) if pulls else {}

    rp = policy()
    protocols = {name: get_suite(name).protocol for name in suites}
    previous = manifest.read(run_dir)
    record: dict[str, Any] = {
        "run_id": run_id,
        "started": previous.get("started", manifest.now()),
        "command": req.command or sys.argv,
        "versions": manifest.versions(),
        "model": {"alias": model.alias, "kind": model.kind, "inspect_model": model.inspect_model,
                  "base_url": model.base_url, "generate": model.generate},
        "suites": {name: {"options": opts.model_dump(), "dataset": get_suite(name).dataset_info(opts),
                          "scaffold_hash": scaffold_hash(name, protocols[name])}
                   for name, opts in options.items()},
        "images": {"built": built, "pulled": pulled},
        "policy": {"hash": rp.hash, **rp.model_dump()},
        "epochs": req.epochs,
        "cost_cap_usd": req.cost_cap,
        "resumed": bool(previous),
    }
    manifest.write(run_dir, record)

    tasks = [suite_task(suite=name, agent=model.agent.value, **_task_args(opts)) for name, opts in options.items()]
    display = req.display or os.environ.get("INSPECT_DISPLAY") or ("rich" if sys.stdout.isatty() else "plain")
    success, _logs = eval_set(
        tasks,
        log_dir=str(run_dir / "logs"),
        model=model.inspect_model,
        model_args=model.model_args,
        model_base_url=model.base_url,
        epochs=req.epochs,
        max_samples=req.max_samples,
        max_sandboxes=req.max_sandboxes,
        cost_limit=None,
        fail_on_error=False,
        retry_attempts=1,
        display=display,  # type: ignore[arg-type]
        metadata={"harness_run_id": run_id, "model_alias": model.alias, "policy_hash": rp.hash},
        log_dir_allow_dirty=True,
        sandbox_prebuilt=all(get_suite(name).sandbox_prebuilt for name in suites),
        **rp.eval_kwargs(),
        **model.generate,
    )
    record["finished"] = manifest.now()
    record["success"] = success
    manifest.write(run_dir, record)
    write_tables(run_dir)
    for name, opts in options.items():
        hook = get_suite(name).after_run
        if hook is not None:
            hook(run_dir, opts)
    return EvalOutcome(run_dir, success)


def _task_args(options: SuiteOptions) -> dict[str, Any]:
    """Options as task args: only what differs from the defaults, so log identifiers stay stable."""
    return options.model_dump(exclude_defaults=True) | {"data": options.data}
