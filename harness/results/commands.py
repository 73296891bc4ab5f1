"""The results subcommands of `harness`: report, claims, compare, route, nightly."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.argtypes import alpha_level, gap_points, positive_int, shard_spec
from harness.errors import HarnessError


def _latest_run() -> list[Path]:
    from harness.paths import runs_dir

    runs = [p for p in runs_dir().glob("*") if (p / "logs").is_dir()] if runs_dir().is_dir() else []
    if not runs:
        raise HarnessError(f"no run directories under {runs_dir()}; run `harness eval` or pass RUN_DIR")
    return [max(runs, key=lambda p: p.stat().st_mtime)]


def _load(paths: list[Path]):
    from harness.results.tables import load

    df = load(paths or _latest_run())
    if df.empty:
        raise HarnessError(f"no samples in {', '.join(map(str, paths))}")
    return df


def cmd_report(args: argparse.Namespace, extra: list[str]) -> int:
    from harness.results.report import write_report

    paths = args.run_dirs or _latest_run()
    out = args.out or (paths[-1] if paths[-1].is_dir() else paths[-1].parent)
    text, written = write_report(_load(paths), out, plot=not args.no_plot)
    print(text)
    print("wrote " + ", ".join(map(str, written)))
    return 0


def cmd_claims(args: argparse.Namespace, extra: list[str]) -> int:
    from harness.results.claims import CLAIMS_FILE, check, format_claims, load_registry, refused, unclaimed

    registry = load_registry(args.claims or CLAIMS_FILE)
    df = _load(args.run_dirs)
    print(format_claims(check(df, registry, args.gap, allow_served_drift=args.allow_served_drift), args.gap))
    for line in refused(df, registry, args.allow_served_drift):
        print(f"\n{line}")
    missing = unclaimed(df, registry)
    if missing:
        print("\nNo published claim for: " + ", ".join(f"{s} / {m}" for s, m in missing))
    return 0


def _side(path: Path):
    """A run (directory or .eval file), or a published per-instance result file (.json)."""
    from harness.results.compare import published_frame

    if path.suffix == ".json" and path.is_file():
        return published_frame(path)
    return _load([path])


def cmd_compare(args: argparse.Namespace, extra: list[str]) -> int:
    from harness.results.compare import compare_frames, format_comparison

    for comparison in compare_frames(_side(args.run_a), _side(args.run_b), args.alpha):
        print(format_comparison(comparison))
    return 0


def cmd_route(args: argparse.Namespace, extra: list[str]) -> int:
    from harness.results.route import format_routing, parse_signals, route, signal_warnings

    signals = parse_signals(args.signal or [])
    df = _load(args.run_dirs)
    for warning in signal_warnings(df, signals):
        print(f"warning: {warning}", file=sys.stderr)
    print(format_routing(route(df, signals)))
    return 0


def cmd_nightly(args: argparse.Namespace, extra: list[str]) -> int:
    from harness.results.nightly import run_nightly

    return run_nightly(
        args.model,
        script=args.script,
        suites=args.suite.split(",") if args.suite else None,
        epochs=args.epochs,
        baseline=args.baseline,
        update_baseline=args.update_baseline,
        run_dir=args.run_dir,
        shard=args.shard,
    )


def register(sub: argparse._SubParsersAction) -> None:
    """Add the results subcommands to the `harness` parser."""
    runs = {
        "nargs": "*",
        "type": Path,
        "metavar": "RUN_DIR",
        "help": "run directories, directories of runs, or .eval files (default: the latest run)",
    }
    rp = sub.add_parser(
        "report",
        help="Markdown table per suite x model x agent with 95%% CIs, cost, and the scaffold-sensitivity table; "
        "writes report.md, pareto.png (and sensitivity.png)",
    )
    rp.add_argument("run_dirs", **runs)
    rp.add_argument("--out", type=Path, help="where report.md and the plots go (default: the last RUN_DIR)")
    rp.add_argument("--no-plot", action="store_true", help="skip the plots")
    rp.set_defaults(func=cmd_report)

    cl = sub.add_parser("claims", help="published claims vs measured scores (one row per agent), with verdicts")
    cl.add_argument("run_dirs", **runs)
    cl.add_argument(
        "--gap", type=gap_points, default=5.0, help="points in (0, 100]: also show tasks needed for this gap"
    )
    cl.add_argument("--claims", type=Path, help="claims file (default: harness/data/claims.toml)")
    cl.add_argument(
        "--allow-served-drift",
        action="store_true",
        help="compare measurements whose calls another model answered (marked in the table)",
    )
    cl.set_defaults(func=cmd_claims)

    co = sub.add_parser(
        "compare",
        help="paired per-task comparison of two runs (two models, or one model under two agents or routes), or of a "
        "run and a published per-instance result file (.json)",
    )
    co.add_argument("run_a", type=Path, metavar="RUN_A", help="run directory, .eval file or published .json")
    co.add_argument("run_b", type=Path, metavar="RUN_B", help="run directory, .eval file or published .json")
    co.add_argument("--alpha", type=alpha_level, default=0.05, help="significance level in (0, 1) (default: 0.05)")
    co.set_defaults(func=cmd_compare)

    ro = sub.add_parser("route", help="cheapest solver per task, oracle router, single models, cascades")
    ro.add_argument("run_dirs", **runs)
    ro.add_argument(
        "--signal",
        action="append",
        metavar="SUITE=SIGNAL",
        help="cascade signal per suite: clean_finish, verifier or score_metadata:<key>",
    )
    ro.set_defaults(func=cmd_route)

    ni = sub.add_parser(
        "nightly", help="run the nightly subset and fail on a significant regression vs the committed baseline"
    )
    ni.add_argument("--model", required=True)
    ni.add_argument("--script", type=Path, help="model turns for --model scripted (JSON)")
    ni.add_argument("--suite", help="comma-separated suites of the subset (default: all present)")
    ni.add_argument("--epochs", type=positive_int, help="override the subset's epochs (1 or more)")
    ni.add_argument("--baseline", type=Path, help="baseline directory (default: results/baselines/<model>)")
    ni.add_argument("--update-baseline", action="store_true", help="record this run as the baseline")
    ni.add_argument("--run-dir", type=Path, help="gate an existing run (e.g. merged shards) instead of running")
    ni.add_argument(
        "--shard", type=shard_spec, metavar="K/N", help="only shard K of N of the subset; no gate (merge, then gate)"
    )
    ni.set_defaults(func=cmd_nightly)
