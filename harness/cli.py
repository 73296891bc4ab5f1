"""The `harness` command line: doctor, eval, validate, images, merge, plan, suites, models, prices, clean; report,
claims, compare, route, nightly.

User errors print as one line on stderr with exit code 2; they never print a traceback. `harness.exit_codes`
lists every exit code.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from harness import exit_codes
from harness.argtypes import positive_int, shard_spec
from harness.errors import HarnessError


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as a one-line error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise HarnessError(f"{self.prog}: {message}")


def _suite_option_pairs(extra: list[str]) -> dict[str, Any]:
    """Turn leftover `--key value` / `--flag` arguments into suite options (validated by the suite)."""
    options: dict[str, Any] = {}
    i = 0
    while i < len(extra):
        token = extra[i]
        if not token.startswith("--"):
            raise HarnessError(f"unexpected argument {token!r}; suite options look like --name value")
        key, _, value = token[2:].partition("=")
        if not value:
            if i + 1 < len(extra) and not extra[i + 1].startswith("--"):
                value = extra[i + 1]
                i += 1
            else:
                value = "true"
        key = key.replace("-", "_")
        if key in options:
            options[key] = [*options[key], value] if isinstance(options[key], list) else [options[key], value]
        else:
            options[key] = value
        i += 1
    return options


def _run_options(args: argparse.Namespace, extra: list[str]) -> dict[str, Any]:
    """Suite options from the leftover arguments plus the common --limit and --data."""
    options = _suite_option_pairs(extra)
    if args.limit is not None:
        options["limit"] = args.limit
    if args.data is not None:
        options["data"] = args.data
    if getattr(args, "shard", None) is not None:
        options["shard"] = args.shard
    return options


RESUMED_SETTINGS = {
    "epochs": "epochs",
    "seed": "seed",
    "max_samples": "max_samples",
    "max_sandboxes": "max_sandboxes",
    "cost_cap": "cost_cap_usd",
    "base_url": "base_url",
    "script": "script",
    "agent": "agent",
}
"""Command-line setting -> the manifest's `run` field it is restored from by `--resume` (unless given again)."""


def _restore(args: argparse.Namespace, recorded: dict[str, Any]) -> None:
    """Fill every run setting the command line left unset from the resumed run's manifest."""
    for arg, key in RESUMED_SETTINGS.items():
        if getattr(args, arg) is None and recorded.get(key) is not None:
            setattr(args, arg, Path(recorded[key]) if arg == "script" else recorded[key])
    if not args.price_plan and recorded.get("price_plans"):
        args.price_plan = [f"{k}={v}" for k, v in recorded["price_plans"].items()]


def cmd_eval(args: argparse.Namespace, extra: list[str]) -> int:
    from harness.agent_registry import DEFAULT_AGENT
    from harness.paths import check_results_dir
    from harness.results import print_summary
    from harness.run import EvalRequest, recorded_run, run_eval, runs_dir

    check_results_dir()
    options = _run_options(args, extra)
    if args.resume:  # continue with what the run was started with, unless told otherwise
        if Path(args.resume).parent.resolve() == runs_dir().resolve():
            args.resume = Path(args.resume).name  # the run directory's path, as printed after a run
        recorded = recorded_run(args.resume)
        args.model = args.model or recorded.model
        args.suite = args.suite or ",".join(recorded.suites)
        _restore(args, recorded.run)  # suite options are restored by run_eval from the same manifest
    outcome = run_eval(
        EvalRequest(
            model=args.model or "oracle",
            suites=(args.suite or "all").split(","),
            options=options,
            epochs=args.epochs or 1,
            script=args.script,
            run_id=args.resume,
            resume=args.resume is not None,
            max_samples=args.max_samples,
            max_sandboxes=args.max_sandboxes,
            cost_cap=args.cost_cap,
            display=args.display,
            command=["harness", *sys.argv[1:]],
            base_url=args.base_url,
            price_plans=_price_plans(args.price_plan),
            seed=args.seed,
            sandbox=args.sandbox,
            image_map=args.image_map,
            runtime_class=args.runtime_class,
            agent=args.agent or DEFAULT_AGENT,
        )
    )
    print_summary(outcome.run_dir)
    print(f"\nrun directory: {outcome.run_dir}")
    counts = outcome.samples
    resume = f"`harness eval --resume {outcome.run_dir.name}`"
    if outcome.exit_code == exit_codes.INTERRUPTED:
        print(
            f"interrupted: {counts.get('logged', 0)} of {counts.get('planned', 0)} samples logged; "
            f"continue with {resume}",
            file=sys.stderr,
        )
    elif outcome.stop_reason:
        print(f"stopped starting samples: {outcome.stop_reason}; the rest run with {resume}", file=sys.stderr)
    elif outcome.exit_code == exit_codes.SAMPLE_ERRORS:
        print(
            f"{counts.get('planned', 0) - counts.get('scored', 0)} of {counts.get('planned', 0)} samples ended "
            f"without a score (errors after retries, or not run); {resume} runs them again",
            file=sys.stderr,
        )
    return outcome.exit_code


def cmd_clean(args: argparse.Namespace, extra: list[str]) -> int:
    from harness import leftovers
    from harness.images import require_engine

    require_engine()
    removed = leftovers.remove(args.run_id)
    print(f"removed {removed} container(s), network(s) and volume(s) of {args.run_id or 'every harness run'}")
    return exit_codes.OK


def _price_plans(values: list[str] | None) -> dict[str, str]:
    """`--price-plan KEY=PLAN` pairs (validated against prices.toml by the run)."""
    plans = {}
    for value in values or []:
        key, sep, plan = value.partition("=")
        if not sep or not key or not plan:
            raise HarnessError(f"--price-plan {value}: expected KEY=PLAN, e.g. deepseek-v4-pro=full")
        plans[key] = plan
    return plans


def cmd_images(args: argparse.Namespace, extra: list[str]) -> int:
    from harness import images
    from harness.models import resolve
    from harness.run import expand_suites, suite_options
    from harness.suite import get_suite

    if args.ca_bundle:
        os.environ[images.CA_BUNDLE_ENV] = str(args.ca_bundle)
    if args.action == "base":
        images.ensure_base(force=args.force, verbose=True)
        return 0
    options = _suite_option_pairs(extra)
    if args.data:
        options["data"] = args.data
    if args.shard:
        options["shard"] = args.shard
    suites = expand_suites(args.suite.split(","))
    parsed = suite_options(resolve("oracle"), suites, options)
    specs = [s for name, opts in parsed.items() for s in get_suite(name).images(opts)]
    if args.action == "build":
        images.ensure_base()
        tags = images.ensure_built([s for s in specs if isinstance(s, images.ImageBuild)], force=args.force)
        print(f"{len(tags)} image(s) ready")
    elif args.action == "push":
        _push(args, specs)
    else:
        refs = [s.ref for s in specs if isinstance(s, images.ImagePull)]
        digests = images.pull(refs, concurrency=args.concurrency, mirror=args.mirror)
        for ref, digest in digests.items():
            print(f"{ref}\t{digest}")
        print(f"{len(digests)} image(s) present")
    return 0


def _push(args: argparse.Namespace, specs: list[Any]) -> None:
    """`images push`: build or pull what is missing, push base and suite images, write the image map."""
    from harness import images
    from harness.paths import results_dir

    if not args.registry:
        raise HarnessError("harness images push: --registry REGISTRY is required (e.g. registry.example.com/harness)")
    refs = [images.ensure_base()]
    refs += images.ensure_built([s for s in specs if isinstance(s, images.ImageBuild)])
    pulls = [s.ref for s in specs if isinstance(s, images.ImagePull)]
    refs += list(images.pull(pulls, concurrency=args.concurrency, mirror=args.mirror)) if pulls else []
    pushed = images.push(list(dict.fromkeys(refs)), args.registry)
    path = images.write_image_map(
        args.map or results_dir() / "image-map.json", args.registry, pushed, pull_secret=args.pull_secret
    )
    for ref, remote in pushed.items():
        print(f"{ref}\t{remote}")
    print(f"{len(pushed)} image(s) in {args.registry}; image map: {path}")


def cmd_doctor(args: argparse.Namespace, extra: list[str]) -> int:
    from harness.doctor import main as doctor

    return doctor(blocking_only=args.blocking)


def cmd_validate(args: argparse.Namespace, extra: list[str]) -> int:
    from harness.validate import render, validate

    options = _run_options(args, extra)
    results = validate(args.suite, args.solver, options, display=args.display, command=["harness", *sys.argv[1:]])
    print(render(results))
    return 0 if all(r.ok for r in results) else 1


def cmd_suites(args: argparse.Namespace, extra: list[str]) -> int:
    from harness.suite import describe_suites

    suites = describe_suites()
    width = max(map(len, suites))
    for name, description in suites.items():
        print(f"{name:<{width}}  {description}")
    return 0


def cmd_models(args: argparse.Namespace, extra: list[str]) -> int:
    from harness.models import list_models

    for line in list_models():
        print(line)
    return 0


def cmd_agents(args: argparse.Namespace, extra: list[str]) -> int:
    import pandas as pd

    from harness.agent_registry import agent_table

    print(pd.DataFrame(agent_table()).to_string(index=False))
    return 0


def cmd_prices(args: argparse.Namespace, extra: list[str]) -> int:
    from harness.cost import as_utc, price_table, rates_text
    from harness.models import choose, price_key, registry

    try:
        at = as_utc(args.at)
    except HarnessError as ex:
        raise HarnessError(f"--at {ex}") from ex
    if args.alias is None:
        keys = list(price_table())
    else:
        key = price_key(args.alias)
        if key not in price_table():
            known = [a for a, e in registry().items() if e["kind"] == "model"] + list(price_table())
            if args.alias not in known:
                raise choose("model", args.alias, sorted(set(known)))
        keys = [key]
    for index, key in enumerate(keys):
        if index:
            print()
        for line in rates_text(key, at, args.plan):
            print(line)


def cmd_merge(args: argparse.Namespace, extra: list[str]) -> int:
    from harness.merge import merge
    from harness.results import print_summary

    record = merge(args.run_dirs, args.out, partial=args.partial)
    print_summary(args.out)
    missing = record["merged"]["missing_shards"]
    if missing:
        print(f"missing shard(s): {', '.join(map(str, missing))} of {record['merged']['shards']}", file=sys.stderr)
    print(f"\nmerged {len(args.run_dirs)} run(s) into {args.out}")
    return 0 if record["success"] else 1


def cmd_plan(args: argparse.Namespace, extra: list[str]) -> int:
    from harness.plan import plan
    from harness.run import expand_suites

    suites = expand_suites(args.suite.split(","))
    models = args.models.split(",") if args.models else None
    print(
        plan(
            suites,
            data=args.data,
            epochs=args.epochs,
            concurrency=args.concurrency,
            shards=args.shards,
            models=models,
            profile_file=args.profile,
        )
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="harness", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ev = sub.add_parser(
        "eval",
        help="run suites with a model; prints a results table and the run directory",
        description="Suite-specific options (e.g. --tasks-dir, --instance-ids) follow the "
        "common ones; `harness suites` lists the suites.",
    )
    ev.add_argument("--model", help="model alias (`harness models`); default: oracle, or the resumed run's model")
    ev.add_argument(
        "--suite", help="suite name, comma-separated names, or all; default: all, or the resumed run's suites"
    )
    ev.add_argument(
        "--agent",
        help="the agent driving the model (`harness agents`); default: harness, the fixed scaffold, or the "
        "resumed run's agent",
    )
    ev.add_argument("--limit", type=int, help="first N samples per suite")
    ev.add_argument(
        "--shard", type=shard_spec, metavar="K/N", help="only the K-th of N shards (by a hash of each sample id)"
    )
    ev.add_argument(
        "--epochs",
        "--trials",
        type=positive_int,
        help="attempts per sample, each in a fresh sandbox (--trials: Harbor's name for it); default 1",
    )
    ev.add_argument(
        "--data",
        choices=["sample", "full"],
        help="bundled offline samples or the official dataset (default: sample for pseudo-models)",
    )
    ev.add_argument("--script", type=Path, help="model turns for --model scripted (JSON)")
    ev.add_argument(
        "--resume",
        metavar="RUN_ID",
        help="continue an interrupted run with its model, suites and every option (flags given override); "
        "finished samples are kept, the run's leftover containers removed",
    )
    ev.add_argument("--max-samples", type=positive_int, help="samples run concurrently")
    ev.add_argument("--max-sandboxes", type=positive_int, help="sandboxes alive at once")
    ev.add_argument("--cost-cap", type=float, help="USD (positive, finite); stop starting new samples once spent")
    ev.add_argument(
        "--price-plan",
        action="append",
        metavar="KEY=PLAN",
        help="price plan for a model's price key, e.g. deepseek-v4-pro=full (`harness models`)",
    )
    ev.add_argument("--base-url", help="model API endpoint (self-hosted openai-compatible/<model>, proxies)")
    ev.add_argument("--seed", type=int, help="sampling seed for providers that accept one (recorded either way)")
    ev.add_argument("--display", choices=["full", "rich", "plain", "log", "none"], help="inspect's display")
    ev.add_argument("--sandbox", choices=["docker", "k8s"], default="docker", help="where sandboxes run (k8s: README)")
    ev.add_argument("--image-map", type=Path, help="k8s: image map of `harness images push` (default: results/)")
    ev.add_argument("--runtime-class", help="k8s: the pods' runtimeClassName (default: the chart's, gvisor)")
    ev.set_defaults(func=cmd_eval)

    im = sub.add_parser(
        "images", help="build the base image, build suite images, pull official images, or push all to a registry"
    )
    im.add_argument("action", choices=["base", "build", "pull", "push"])
    im.add_argument("--suite", default="all")
    im.add_argument("--data", choices=["sample", "full"])
    im.add_argument("--shard", type=shard_spec, metavar="K/N", help="only the images of the K-th of N shards")
    im.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
    im.add_argument(
        "--ca-bundle",
        type=Path,
        help="PEM bundle trusted inside builds, or none (HARNESS_CA_BUNDLE; default: the host's system bundle)",
    )
    im.add_argument("--concurrency", type=positive_int, default=4, help="parallel pulls")
    im.add_argument("--mirror", help="registry mirror or namespace for pulls")
    im.add_argument("--registry", help="push: the registry (host[:port][/path]) a cluster pulls from")
    im.add_argument("--map", type=Path, help="push: image map to write (default: results/image-map.json)")
    im.add_argument("--pull-secret", help="push: the cluster's imagePullSecret for this registry (in the map)")
    im.set_defaults(func=cmd_images)

    va = sub.add_parser(
        "validate",
        help="self-check a suite: the oracle must pass every task, the no-op none",
        description="Runs the oracle and/or the no-op agent through the normal eval path and "
        "prints a per-task table and totals; exit 1 when any task scores wrong. "
        "Suite options (e.g. --instance-ids, --tasks-dir) follow.",
    )
    va.add_argument("suite", help="suite name (`harness suites`)")
    va.add_argument("--solver", default="both", help="oracle (alias gold), noop (alias empty) or both (default)")
    va.add_argument("--limit", type=int, help="first N samples")
    va.add_argument(
        "--data", choices=["sample", "full"], help="bundled offline samples (default) or the official dataset"
    )
    va.add_argument("--display", choices=["full", "rich", "plain", "log", "none"], help="inspect's display")
    va.set_defaults(func=cmd_validate)

    me = sub.add_parser(
        "merge",
        help="one run from the shards of a run (`harness eval --shard K/N`); refuses mixed or duplicate shards",
    )
    me.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR")
    me.add_argument("--out", type=Path, required=True, help="the merged run directory (new)")
    me.add_argument("--partial", action="store_true", help="merge even when shards are missing (recorded)")
    me.set_defaults(func=cmd_merge)

    pl = sub.add_parser("plan", help="estimate a run: sandboxes, image bytes, model calls, cost per model, wall time")
    pl.add_argument("--suite", default="all")
    pl.add_argument("--data", choices=["sample", "full"], default="full")
    pl.add_argument("--epochs", type=positive_int, default=1)
    pl.add_argument("--concurrency", type=positive_int, default=4, help="sandboxes at once per shard")
    pl.add_argument("--shards", type=positive_int, default=1, help="machines or CI jobs running shards")
    pl.add_argument("--models", help="comma-separated aliases to price (default: every priced model)")
    pl.add_argument("--profile", type=Path, help="TOML overriding harness/data/plan.toml's per-suite figures")
    pl.set_defaults(func=cmd_plan)

    dr = sub.add_parser(
        "doctor",
        help="check this machine for a run: engine, compose, buildx, disk, CA, registries, keys, sandboxes, limits",
        description="One line per check; exit 1 when something blocks a run.",
    )
    dr.add_argument("--blocking", action="store_true", help="only the checks that block a run; print only failures")
    dr.set_defaults(func=cmd_doctor)

    su = sub.add_parser("suites", help="list the suites")
    su.set_defaults(func=cmd_suites)
    mo = sub.add_parser("models", help="list model aliases with provider, prices and key status")
    mo.set_defaults(func=cmd_models)
    ag = sub.add_parser("agents", help="list the agents `--agent` takes, with version, package and suites")
    ag.set_defaults(func=cmd_agents)
    pr = sub.add_parser("prices", help="the rates in force for a model (plan, peak/off-peak window, source, date)")
    pr.add_argument("alias", nargs="?", help="model alias or price key (default: every price key)")
    pr.add_argument("--at", help="UTC timestamp, e.g. 2026-12-02T08:00:00Z (default: now)")
    pr.add_argument("--plan", help="price plan (default: the key's default plan)")
    pr.set_defaults(func=cmd_prices)
    cl = sub.add_parser(
        "clean",
        help="remove the containers, networks and volumes runs left behind (killed or crashed runs)",
        description="With RUN_ID, that run's leftovers; without, those of every harness run (graders included).",
    )
    cl.add_argument("run_id", nargs="?", metavar="RUN_ID")
    cl.set_defaults(func=cmd_clean)

    from harness.results.commands import register as register_results  # report, claims, compare, route, nightly

    register_results(sub)
    return parser


ALLOWS_EXTRA = {"eval", "images", "validate"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and args.command not in ALLOWS_EXTRA:
            raise HarnessError(f"harness {args.command}: unrecognized arguments: {' '.join(extra)}")
        return int(args.func(args, extra) or 0)
    except HarnessError as ex:
        print(f"error: {ex}", file=sys.stderr)
        return exit_codes.BAD_INPUT
    except Exception as ex:  # a bug, not bad input: say so in one line unless asked for the traceback
        if os.environ.get("HARNESS_DEBUG") == "1":
            raise
        print(
            f"error: internal error: {type(ex).__name__}: {ex} (HARNESS_DEBUG=1 shows the traceback)", file=sys.stderr
        )
        return exit_codes.FAILED
    except KeyboardInterrupt:  # before a run directory existed, or outside `eval`
        print("interrupted", file=sys.stderr)
        return exit_codes.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
