"""`harness eval`: resolve the model, prepare images, run every suite's task through inspect, write the run dir.

A run directory `results/runs/<run-id>/` holds the inspect logs (`logs/`), `manifest.json` and the results
tables of `harness.results` (`samples`: per sample, verdicts, tokens, USD, sample and API retries, the
`response.model`s seen; `summary`; `runs`). The manifest's samples, cost and response models are derived from the
samples table. Logs are written as samples finish; re-running with `--resume <run-id>` reuses every finished
sample (inspect's eval_set semantics) and first removes the containers and networks the run left behind. A cost
cap or a stop-run API status (402, 401) stops starting new samples; the samples not run are run by `--resume`.
An interrupt (SIGINT) ends the run with the manifest saying so. The outcome's exit code is `harness.exit_codes`.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import build_failures, exit_codes, images, leftovers, manifest
from harness.agent_registry import DEFAULT_AGENT, agent_scaffold_hash, check_usable, get_agent
from harness.cost import check_plan, price_for
from harness.errors import HarnessError
from harness.guard import RunGuard
from harness.models import ResolvedModel, check_credentials, resolve
from harness.paths import check_results_dir, results_dir, runs_dir
from harness.policy import RetryPolicy, policy
from harness.scaffold import budgets
from harness.suite import SuiteOptions, default_suites, get_suite, parse_options

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)


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
    base_url: str | None = None
    """Overrides the model's endpoint (self-hosted servers, proxies)."""
    price_plans: dict[str, str] = field(default_factory=dict)
    """Price key -> plan (`--price-plan deepseek-v4-pro=full`); unnamed keys use their default plan."""
    seed: int | None = None
    """Sampling seed passed to providers that accept one; recorded either way."""
    sandbox: str = "docker"
    """Where sandboxes run: docker (this machine's engine) or k8s (inspect-k8s-sandbox; `harness.k8s`)."""
    image_map: Path | None = None
    """With k8s: local image -> registry reference (`harness images push`); default results/image-map.json."""
    runtime_class: str | None = None
    """With k8s: the pods' runtimeClassName (the chart's default is gvisor)."""
    agent: str = DEFAULT_AGENT
    """The agent driving the model (`harness.agent_registry`): the fixed scaffold by default."""


@dataclass
class EvalOutcome:
    run_dir: Path
    exit_code: int
    """`harness.exit_codes`: 0 every planned sample scored, 3 some ended in errors, 4 stopped, 130 interrupted."""
    stop_reason: str | None = None
    """Why the run stopped starting samples (cost cap, API status), if it did."""
    samples: dict[str, int] = field(default_factory=dict)
    """planned, logged, scored, errored."""

    @property
    def success(self) -> bool:
        return self.exit_code == exit_codes.OK

    @property
    def interrupted(self) -> bool:
        return self.exit_code == exit_codes.INTERRUPTED


def expand_suites(names: list[str]) -> list[str]:
    if not names or names == ["all"]:
        return default_suites()
    if "all" in names:
        raise HarnessError(f"--suite {','.join(names)}: `all` cannot be combined with other suite names")
    for name in names:
        get_suite(name)  # raises with the valid names
    return names


def suite_options(
    model: ResolvedModel,
    suites: list[str],
    options: dict[str, Any],
    recorded: dict[str, dict[str, Any]] | None = None,
) -> dict[str, SuiteOptions]:
    """Validate options per suite. With several suites, an option applies where the suite knows it. `recorded`
    (suite -> options, from a resumed run's manifest) is the base that `options` override."""
    values = dict(options)
    parsed = {}
    for name in suites:
        definition = get_suite(name)
        known = {k: v for k, v in values.items() if k in definition.options.model_fields} if len(suites) > 1 else values
        base = {k: v for k, v in (recorded or {}).get(name, {}).items() if k in definition.options.model_fields}
        merged = {**base, **known}
        merged.setdefault("data", "full" if model.needs_api else "sample")
        parsed[name] = parse_options(definition, merged)
    if len(suites) > 1:
        for key in values:
            if not any(key in get_suite(s).options.model_fields for s in suites):
                raise HarnessError(f"unknown option --{key.replace('_', '-')} for suites {', '.join(suites)}")
    return parsed


def new_run_id(model: str, suites: list[str]) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    label = suites[0] if len(suites) == 1 else "all"
    return f"{stamp}-{model.replace('/', '_').replace('@', '_')}-{label}"


def price_plan(model: ResolvedModel, req: EvalRequest) -> str | None:
    """The price plan for the run's model; `--price-plan` keys and plans are validated, a cap needs a price."""
    for key, plan in req.price_plans.items():
        check_plan(key, plan)
    plan = check_plan(model.price_key, req.price_plans.get(model.price_key)) if model.price_key else None
    if req.cost_cap is not None:
        if not math.isfinite(req.cost_cap) or req.cost_cap <= 0:
            raise HarnessError(f"--cost-cap {req.cost_cap:g}: must be a positive, finite amount of USD")
        if model.needs_api and (model.price_key is None or price_for(model.price_key, plan=plan) is None):
            raise HarnessError(f"--cost-cap: model {model.alias} has no price in prices.toml, so spend is unknown")
    return plan


def is_run_id(run_id: str | None) -> bool:
    """A run directory's name (not a path, not `.` or `..`)."""
    return bool(run_id) and Path(str(run_id)).name == run_id and run_id not in (".", "..")


def _recorded(previous: dict[str, Any]) -> tuple[str | None, list[str]]:
    """The model alias and suites a run's manifest records."""
    model = previous.get("model")
    suites = previous.get("suites")
    return (model or {}).get("alias") if isinstance(model, dict) else None, list(suites or {})


@dataclass(frozen=True)
class Recorded:
    """What a run was started with, from its manifest; `harness eval --resume RUN_ID` continues with it unless
    told otherwise."""

    model: str | None
    suites: list[str]
    options: dict[str, dict[str, Any]]
    """Suite -> every option the suite ran with (defaults included: a default may depend on the model)."""
    run: dict[str, Any]
    """The run settings: epochs, seed, max_samples, max_sandboxes, cost_cap_usd, base_url, script, price_plans."""


def recorded_run(run_id: str) -> Recorded:
    """The manifest of run `run_id`; a run without one cannot be resumed (it never started)."""
    if not is_run_id(run_id):
        raise HarnessError(f"--resume {run_id!r}: expected a run id, the name of a directory in {runs_dir()}")
    run_dir = runs_dir() / run_id
    if not run_dir.is_dir():
        raise HarnessError(f"--resume {run_id}: no such run under {runs_dir()}")
    previous = manifest.read(run_dir)
    if not previous:
        raise HarnessError(f"--resume {run_id}: {run_dir / 'manifest.json'} is missing; this run cannot be resumed")
    model, suites = _recorded(previous)
    options = {name: dict(info.get("options") or {}) for name, info in previous.get("suites", {}).items()}
    run = previous.get("run") if isinstance(previous.get("run"), dict) else {}
    return Recorded(model, suites, options, run)


def check_resumable(
    run_id: str, previous: dict[str, Any], alias: str, suites: list[str], agent: str = DEFAULT_AGENT
) -> None:
    """A resumed run continues with the model, suites and agent it was started with; anything else would mix
    runs."""
    recorded_model, recorded_suites = _recorded(previous)
    recorded_agent = (previous.get("run") or {}).get("agent") or DEFAULT_AGENT
    if recorded_agent != agent:
        raise HarnessError(
            f"--resume {run_id}: the run is of agent {recorded_agent}, not {agent}; pass --agent {recorded_agent}"
        )
    if recorded_model and recorded_model != alias:
        raise HarnessError(
            f"--resume {run_id}: the run is of model {recorded_model}, not {alias}; pass --model {recorded_model}"
        )
    if recorded_suites and sorted(recorded_suites) != sorted(suites):
        raise HarnessError(
            f"--resume {run_id}: the run is of suite(s) {','.join(recorded_suites)}, not {','.join(suites)}; "
            f"pass --suite {','.join(recorded_suites)}"
        )


def run_eval(req: EvalRequest) -> EvalOutcome:
    from inspect_ai import eval_set

    from harness.provider import build_model
    from harness.results import write_tables
    from harness.tasks import suite_task

    check_results_dir()  # an unusable HARNESS_RESULTS_DIR is bad input, found before any other work
    model = resolve(req.model, script=req.script, base_url=req.base_url)
    check_credentials(model)  # before any image or sandbox work
    plan = price_plan(model, req)
    suites = expand_suites(req.suites)
    driver = get_agent(req.agent)
    check_usable(driver, suites)  # before any image work
    if driver.kind == "bridge" and req.sandbox != "docker":
        raise HarnessError(
            f"--agent {driver.name}: bridge agents run with --sandbox docker only; their images with the CLI are "
            "built locally and `harness images push` does not push them"
        )
    recorded = recorded_run(str(req.run_id)) if req.resume else None
    options = suite_options(model, suites, req.options, recorded.options if recorded else None)

    run_id = req.run_id or new_run_id(model.alias, suites)
    if not is_run_id(run_id):
        raise HarnessError(f"run id {run_id!r}: expected a directory name, not a path")
    run_dir = runs_dir() / run_id
    if run_dir.exists() and not req.resume:
        raise HarnessError(f"run directory {run_dir} exists; pass --resume {run_id} to continue it")
    previous = manifest.read(run_dir) if req.resume else {}
    if req.resume:
        check_resumable(run_id, previous, model.alias, suites, driver.name)

    image_map = _image_map(req)  # before any image work: a k8s run needs the chart and the map
    image_specs = {name: get_suite(name).images(opts) for name, opts in options.items()}  # validates data
    refs = [s.ref for specs in image_specs.values() for s in specs if isinstance(s, images.ImagePull)]
    local = {ref: image_id for ref in refs if (image_id := images.image_id(ref))}  # present before pulling
    base, built, pulled = images.prepare(_stopping(image_specs))
    built, failed = _build_recording_failures(image_specs, built)
    if req.resume:
        removed = leftovers.remove(run_id)  # containers and networks an interrupted or killed invocation left
        if removed:
            logger.warning("harness: removed %d leftover(s) of run %s", removed, run_id)
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)  # only now: a run that cannot start leaves nothing

    rp = policy()
    spent_before = _spent(run_dir) if previous else 0.0
    guard = RunGuard(
        price_key=model.price_key,
        plan=plan,
        cost_cap=req.cost_cap,
        spent=spent_before,
        model=model,
        plans=_price_plans(model, req, plan),
    )
    record: dict[str, Any] = {
        "run_id": run_id,
        "started": previous.get("started", manifest.now()),
        "invocations": [*previous.get("invocations", []), manifest.now()],
        "command": req.command or sys.argv,
        "versions": manifest.versions(),
        "model": manifest.model_section(model, plan),
        "suites": {
            name: {
                "options": opts.model_dump(mode="json"),
                "dataset": get_suite(name).dataset_info(opts.model_copy(update={"shard": None})),  # whole selection
                "protocol": get_suite(name).protocol,
                "scaffold_hash": agent_scaffold_hash(driver, name, get_suite(name).scaffold_hash()),
                "budgets": budgets(name).model_dump(),
            }
            for name, opts in options.items()
        },
        "images": {
            "base": {base: images.image_id(base)},
            "built": {tag: images.image_id(tag) for tag in built},
            "pulled": {ref: digest for ref, digest in pulled.items() if ref not in local},
            "local": {ref: {"id": local[ref], "digest": images.registry_digest(ref)} for ref in local},
            **({"failed": {tag: message.splitlines()[0] for tag, message in failed.items()}} if failed else {}),
            **({"registry_map": image_map} if req.sandbox == "k8s" else {}),
        },
        "agent": {
            **driver.provenance(),
            "kind": driver.kind,
            "package": driver.package and driver.package.model_dump(),
        },
        "policy": {"hash": rp.hash, **rp.model_dump()},
        "run": {
            "epochs": req.epochs,
            "seed": req.seed,
            "max_samples": req.max_samples,
            "max_sandboxes": req.max_sandboxes,
            "cost_cap_usd": req.cost_cap,
            "base_url": req.base_url,
            "script": str(Path(req.script).resolve()) if req.script else None,
            "price_plans": dict(req.price_plans),
            "shard": _shard(options),
            "sandbox": req.sandbox,
            "agent": driver.name,
        },
        "resumed": bool(previous),
        "status": "running",
    }
    manifest.write(run_dir, record)

    tasks = []
    with leftovers.labelled(run_id):  # every container and network the run starts carries its run id
        for name, opts in options.items():
            task = suite_task(suite=name, agent=model.agent.value, agent_name=driver.name, **_task_args(opts))
            task.metadata = {**(task.metadata or {}), "policy_hash": rp.hash}  # the scaffold hash is set by suite_task
            task.early_stopping = guard.early_stopping()  # the run guard decides whether a sample starts
            if req.sandbox == "k8s":
                from harness.k8s import to_k8s

                to_k8s(task, run_dir / "k8s", image_map, req.runtime_class)  # values files land in the run directory
            if opts.shard and not len(task.dataset):  # a small selection can leave a shard without a suite's samples
                print(f"[shard] {name}: no samples in shard {opts.shard}; the other shards have them", file=sys.stderr)
                continue
            tasks.append(task)
    if driver.kind == "bridge":  # the images with the agent's CLI, built while the tasks were built
        record["images"]["agent"] = {task.name: (task.metadata or {}).get("agent_images") for task in tasks}
        record["agent"]["cli_version"] = next((i["cli_version"] for i in record["images"]["agent"].values() if i), None)
        manifest.write(run_dir, record)
    display = req.display or os.environ.get("INSPECT_DISPLAY") or ("rich" if sys.stdout.isatty() else "plain")
    interrupted, crashed = False, True
    logs: list[Any] = []
    try:
        with leftovers.labelled(run_id):
            if tasks:  # a shard with no samples at all has nothing to run
                _, logs = eval_set(
                    tasks,
                    log_dir=str(run_dir / "logs"),
                    model=build_model(model, rp, guard),
                    epochs=req.epochs,
                    max_samples=req.max_samples,
                    max_sandboxes=req.max_sandboxes,
                    fail_on_error=False,
                    retry_attempts=1,
                    display=display,  # type: ignore[arg-type]
                    metadata={
                        "harness_run_id": run_id,
                        "model_alias": model.alias,
                        "policy_hash": rp.hash,
                        "price_key": model.price_key,
                        "price_plans": _price_plans(model, req, plan),
                    },
                    log_dir_allow_dirty=True,
                    sandbox_prebuilt=True,  # images are built or pulled above; inspect only verifies they exist
                    **_generate_kwargs(rp, model, req.seed),
                )
        # inspect absorbs a SIGINT: its logs say cancelled, or (no sample finished yet) it returns no log at all
        interrupted = len(logs) < len(tasks) or any(log.status == "cancelled" for log in logs)
        crashed = False
    except KeyboardInterrupt:  # SIGINT: inspect has cancelled the samples and written its logs
        interrupted, crashed = True, False
        logger.warning("harness: run %s interrupted", run_id)
    finally:
        planned = sum(len(task.dataset) for task in tasks) * req.epochs
        outcome = _finish(run_dir, record, write_tables(run_dir), plan, guard, planned, interrupted, crashed)
        for name, opts in options.items():  # suite exports (e.g. SWE-bench predictions.jsonl)
            hook = get_suite(name).after_run
            if hook is not None:
                hook(run_dir, opts)
    return outcome


def _stopping(image_specs: dict[str, list[images.ImageSpec]]) -> list[images.ImageSpec]:
    """Every pull, and the builds of suites whose failed build stops the run."""
    return [
        s
        for name, specs in image_specs.items()
        for s in specs
        if isinstance(s, images.ImagePull) or get_suite(name).build_failures == "stop"
    ]


def _build_recording_failures(
    image_specs: dict[str, list[images.ImageSpec]], built: list[str]
) -> tuple[list[str], dict[str, str]]:
    """Build the images of suites that record a failed build (harness.build_failures) one by one; returns every
    tag built and {tag: build log tail} of the failed ones."""
    build_failures.clear()
    recording = [s for name, specs in image_specs.items() if get_suite(name).build_failures == "record" for s in specs]
    todo = {s.tag: s for s in recording if isinstance(s, images.ImageBuild) and s.tag not in built}
    built = list(built)
    for spec in todo.values():
        try:
            built += images.ensure_built([spec])
        except HarnessError as ex:
            images.log(f"{spec.tag}: build failed; its tasks are recorded as infrastructure errors")
            build_failures.record(spec.tag, str(ex))
    return built, build_failures.failed()


def _image_map(req: EvalRequest) -> dict[str, Any]:
    """With `--sandbox k8s`: the image map `harness images push` wrote (empty: images keep their local names, for
    a cluster that has them, e.g. `kind load docker-image`)."""
    if req.sandbox == "docker":
        if req.image_map or req.runtime_class:
            raise HarnessError("--image-map and --runtime-class apply to --sandbox k8s only")
        return {}
    from harness.k8s import values_schema

    values_schema()  # inspect-k8s-sandbox is installed (its chart and schema), or a one-line error
    path = req.image_map or results_dir() / "image-map.json"
    if req.image_map is None and not path.is_file():
        logger.warning("harness: no image map at %s; k8s pods use the local image names", path)
        return {}
    return images.read_image_map(path)


def _shard(options: dict[str, SuiteOptions]) -> str | None:
    """The run's `--shard K/N` (one for all its suites), recorded so `harness merge` can find missing shards."""
    shards = {opts.shard for opts in options.values()}
    if len(shards) > 1:
        raise HarnessError(f"--shard: one shard for every suite of a run, not {', '.join(map(str, shards))}")
    return shards.pop() if shards else None


def _generate_kwargs(rp: RetryPolicy, model: ResolvedModel, seed: int | None) -> dict[str, Any]:
    """Policy options, then the alias's generate defaults, then the seed; recorded in every log's config."""
    kwargs = {**rp.eval_kwargs(), **model.generate}
    if seed is not None:
        kwargs["seed"] = seed
    return kwargs


def _price_plans(model: ResolvedModel, req: EvalRequest, plan: str | None) -> dict[str, str | None]:
    """Price key -> plan for every key the run names (`--price-plan`) and the model's own; recorded in the logs."""
    return {**req.price_plans, **({model.price_key: plan} if model.price_key else {})}


def _spent(run_dir: Path) -> float:
    """USD already spent by earlier invocations of a resumed run (unknown costs count as 0)."""
    from harness.results import load

    samples = load([run_dir / "logs"])
    return float(samples[["cost_usd", "judge_cost_usd"]].fillna(0).to_numpy().sum())


def _finish(
    run_dir: Path,
    record: dict[str, Any],
    samples: pd.DataFrame,
    plan: str | None,
    guard: RunGuard,
    planned: int,
    interrupted: bool,
    crashed: bool,
) -> EvalOutcome:
    """Complete the manifest from the samples table: samples, cost, response models; status, end time. `crashed`:
    an exception other than an interrupt ended the run (it propagates; the manifest says `failed`)."""
    from harness.results.calls import response_models

    errored = int(samples["errored"].sum()) if len(samples) else 0
    counts = {"planned": planned, "logged": len(samples), "scored": len(samples) - errored, "errored": errored}
    code = (
        exit_codes.FAILED
        if crashed
        else exit_codes.eval_exit_code(
            interrupted=interrupted, stopped=guard.stop_reason is not None, planned=planned, scored=counts["scored"]
        )
    )
    record["samples"] = counts
    record["model"]["response_models"] = response_models(samples)
    summary = manifest.cost_section(samples)
    record["cost"] = {**summary, "price_plan": plan, "guard": guard.summary()}
    record["finished"] = manifest.now()
    record["status"] = STATUS[code]
    record["exit_code"] = code
    record["success"] = code == exit_codes.OK
    record["stop_reason"] = guard.stop_reason
    record["api_refusals"] = guard.refusals()
    manifest.write(run_dir, record)
    if guard.stop_reason is not None:
        total = summary["cost_usd"]
        spent = f"${total:.4f}" if total is not None else "unknown"
        logger.warning(
            "harness: run %s stopped starting samples: %s; cost so far %s", run_dir.name, guard.stop_reason, spent
        )
    return EvalOutcome(run_dir, code, guard.stop_reason, counts)


STATUS = {
    exit_codes.OK: "complete",
    exit_codes.FAILED: "failed",
    exit_codes.SAMPLE_ERRORS: "sample_errors",
    exit_codes.STOPPED: "stopped",
    exit_codes.INTERRUPTED: "interrupted",
}
"""The manifest's `status` per exit code."""


def _task_args(options: SuiteOptions) -> dict[str, Any]:
    """Options as task args: only what differs from the defaults, so log identifiers stay stable; JSON values
    (dates, paths as strings), so the logged args are the real values."""
    return options.model_dump(mode="json", exclude_defaults=True) | {"data": options.data}
