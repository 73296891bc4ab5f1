"""Print the harness's sandbox and per-sample overhead figures (no assertions).

- median sandbox start and stop time (inspect's docker sandbox, the harness's default compose config);
- per-sample harness overhead with the oracle on trivial Harbor-format tasks: sample wall time minus the time
  spent inside sandbox commands;
- throughput (samples/s) at 1, 2 and 4 concurrent sandboxes.

Usage: python bench/overhead.py [--tasks 8] [--repeats 5] [--concurrency 1 2 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from inspect_ai.event import SandboxEvent
from inspect_ai.log import read_eval_log
from inspect_ai.util._sandbox.docker.docker import DockerSandboxEnvironment

from harness.images import BASE_IMAGE, ensure_base, ensure_built
from harness.run import EvalRequest, run_eval
from harness.sandbox import compose_config
from suites.terminal_bench import sandbox as tb_sandbox
from suites.terminal_bench.dataset import load_tasks

TRIVIAL_TOML = """version = "1.0"
[metadata]
difficulty = "easy"
category = "bench"
[agent]
timeout_sec = 60.0
[verifier]
timeout_sec = 60.0
[environment]
cpus = 1
memory_mb = 512
allow_internet = false
"""


def make_trivial_tasks(root: Path, count: int) -> Path:
    """`count` Harbor-format tasks that write a file and check it, sharing one environment image."""
    for i in range(count):
        task = root / f"trivial-{i:02d}"
        for sub in ("environment", "solution", "tests"):
            (task / sub).mkdir(parents=True)
        (task / "instruction.md").write_text(f"Write {i} to /app/out.txt\n")
        (task / "task.toml").write_text(TRIVIAL_TOML)
        (task / "environment" / "Dockerfile").write_text(f"FROM {BASE_IMAGE}\nWORKDIR /app\n")
        (task / "solution" / "solve.sh").write_text(f"#!/bin/bash\necho {i} > /app/out.txt\n")
        (task / "tests" / "test.sh").write_text(
            "#!/bin/bash\nmkdir -p /logs/verifier\n"
            f'[ "$(cat /app/out.txt)" = "{i}" ] && echo 1 > /logs/verifier/reward.txt '
            "|| echo 0 > /logs/verifier/reward.txt\n"
        )
    return root


async def start_stop_times(image: str, repeats: int) -> tuple[list[float], list[float]]:
    config = compose_config(image)
    task_name = "bench-overhead"
    await DockerSandboxEnvironment.task_init(task_name, config)
    starts, stops = [], []
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            envs = await DockerSandboxEnvironment.sample_init(task_name, config, {})
            t1 = time.perf_counter()
            await DockerSandboxEnvironment.sample_cleanup(task_name, config, envs, interrupted=False)
            t2 = time.perf_counter()
            starts.append(t1 - t0)
            stops.append(t2 - t1)
    finally:
        await DockerSandboxEnvironment.task_cleanup(task_name, config, cleanup=True)
    return starts, stops


def sample_figures(run_dir: Path) -> tuple[list[tuple[float, float]], float, float]:
    """Per sample (end-to-end seconds from sandbox start to score, seconds inside sandbox commands), and the
    eval's first-sample start and last-sample end as epoch seconds."""
    figures, starts, ends = [], [], []
    for log_file in sorted((run_dir / "logs").glob("*.eval")):
        log = read_eval_log(str(log_file))
        for sample in log.samples or []:
            first, last = sample.events[0].timestamp, sample.events[-1].timestamp
            inside = sum(
                (e.completed - e.timestamp).total_seconds()
                for e in sample.events
                if isinstance(e, SandboxEvent) and e.completed is not None
            )
            figures.append(((last - first).total_seconds(), inside))
            starts.append(first.timestamp())
            ends.append(last.timestamp())
    return figures, min(starts), max(ends)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=8, help="trivial tasks per throughput run")
    parser.add_argument("--repeats", type=int, default=5, help="sandbox start/stop repetitions")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    os.environ.setdefault("INSPECT_DISPLAY", "none")

    ensure_base()
    with tempfile.TemporaryDirectory(prefix="harness-bench-") as tmp:
        os.environ["HARNESS_RESULTS_DIR"] = str(Path(tmp) / "results")
        tasks_dir = make_trivial_tasks(Path(tmp) / "tasks", args.tasks)
        image = ensure_built([tb_sandbox.main_image(load_tasks(tasks_dir)[0])])[0]

        starts, stops = asyncio.run(start_stop_times(image, args.repeats))
        print(f"sandbox start: median {statistics.median(starts):.2f} s  (n={len(starts)})")
        print(f"sandbox stop:  median {statistics.median(stops):.2f} s  (n={len(stops)})")

        for concurrency in args.concurrency:
            t0 = time.time()
            outcome = run_eval(
                EvalRequest(
                    model="oracle",
                    suites=["terminal_bench"],
                    options={"tasks_dir": str(tasks_dir)},
                    max_samples=concurrency,
                    max_sandboxes=concurrency,
                )
            )
            wall = time.time() - t0
            figures, first, last = sample_figures(outcome.run_dir)
            per_sample = statistics.median(w for w, _ in figures)
            overhead = statistics.median(w - inside for w, inside in figures)
            print(
                f"concurrency {concurrency}: {len(figures)} samples; median sample end to end (sandbox start to "
                f"score) {per_sample:.2f} s, of which outside sandbox commands {overhead:.2f} s; "
                f"{len(figures) / (last - first):.2f} samples/s while sampling; whole command {wall:.1f} s "
                f"(start-up before the first sample {first - t0:.1f} s)"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
