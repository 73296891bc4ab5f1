"""LiveCodeBench grading throughput: graded tests per second through the sandboxed grader (prints figures only).

The set: 50 problems x 20 tests with trivial correct programs, half stdin, half call-based. Problems are graded the
way the scorer grades them (`GraderPool.grade`: one request over the grader container's attached stdin/stdout, the
fork-server forks the child that runs all 20 tests), from `--workers` threads onto as many grader containers:
first from a fresh pool, so the figure includes starting the containers (as the first problems of a run pay it),
then again on the warm containers. For comparison the same set is graded the naive way: one `docker exec` per
problem running a fresh `lcb_grader.py grade` (no fork-server, no attached stream). Reference point: lcb_runner
itself (`codegen_metrics` with 2 processes, unsandboxed) measured 208-458 tests/s on this set on the shared 2-core
machine, depending on its load; when ../shared/reference/livecodebench is present the script measures it again
in the same conditions (one container of the grader image, 2 CPUs).

Usage: .venv/bin/python bench/lcb_grading.py [--problems 50] [--tests 20] [--workers 2] [--skip-naive]
"""

from __future__ import annotations

import argparse
import io
import json
import queue
import statistics
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docker

from harness import images
from suites.livecodebench.sandbox import GRADER, GRADER_IMAGE, GraderPool, GraderSettings, container_options

STDIN_PROGRAM = "n = int(input())\nprint(n + 1)\n"
CALL_PROGRAM = "class Solution:\n    def inc(self, n: int) -> int:\n        return n + 1\n"


def problem_set(problems: int, tests: int) -> list[dict]:
    out = []
    for i in range(problems):
        values = [i * 1000 + j for j in range(tests)]
        if i % 2 == 0:
            out.append(
                {
                    "code": STDIN_PROGRAM,
                    "inputs": [f"{v}\n" for v in values],
                    "outputs": [f"{v + 1}\n" for v in values],
                    "fn_name": None,
                    "timeout": 6,
                }
            )
        else:
            out.append(
                {
                    "code": CALL_PROGRAM,
                    "inputs": [str(v) for v in values],
                    "outputs": [str(v + 1) for v in values],
                    "fn_name": "inc",
                    "timeout": 6,
                }
            )
    return out


def fresh_interpreter(containers: queue.Queue, request: dict) -> dict:
    """The naive way: copy the request in and `docker exec` a fresh `lcb_grader.py grade` for it."""
    container = containers.get()
    try:
        name = f"request-{time.monotonic_ns()}.json"
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            data = json.dumps(request).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        container.put_archive("/tmp", buffer.getvalue())
        _, out = container.exec_run(["python3", GRADER, "grade", f"/tmp/{name}"])
        return json.loads(out)
    finally:
        containers.put(container)


def run(label: str, grade, requests: list[dict], workers: int) -> None:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as executor:
        timed = list(executor.map(lambda r: _timed(grade, r), requests))
    wall = time.monotonic() - started
    tests = sum(len(r["inputs"]) for r in requests)
    passed = sum(all(x is True for x in response["results"]) for response, _ in timed)
    per_problem = [seconds for _, seconds in timed]
    inside = [response.get("elapsed", 0.0) for response, _ in timed]
    print(
        f"{label}: {len(requests)} problems, {tests} tests in {wall:.2f} s = {tests / wall:.0f} tests/s "
        f"({passed}/{len(requests)} passed); per problem: {statistics.mean(per_problem) * 1000:.0f} ms mean, "
        f"{statistics.median(per_problem) * 1000:.0f} ms median, of which grading inside the sandbox "
        f"{statistics.mean(inside) * 1000:.0f} ms"
    )


UPSTREAM_SCRIPT = """
import json, sys, time
sys.path.insert(0, "/upstream")
import pandas  # lcb_runner.runner.main has imported it (through datasets) before grading
from lcb_runner.evaluation.compute_code_generation_metrics import codegen_metrics
requests = json.load(open("/work/requests.json"))
samples = [{"input_output": json.dumps({k: r[k] for k in ("inputs", "outputs", "fn_name")})} for r in requests]
started = time.monotonic()
metrics, _, _ = codegen_metrics(samples, [[r["code"]] for r in requests], k_list=[1],
                                num_process_evaluate=int(sys.argv[1]), timeout=6)
print(json.dumps({"seconds": time.monotonic() - started, "pass@1": metrics["pass@1"]}))
"""


def upstream_lcb_runner(requests: list[dict], workers: int) -> None:
    """lcb_runner's own `codegen_metrics` on the set, in one container of the grader image with `workers` CPUs
    (its packages are lcb_runner's locked versions); needs ../shared/reference/livecodebench."""
    import shutil
    import tempfile

    from suites.livecodebench.parity import reference_dir, upstream_commit

    reference = reference_dir()
    if not (reference / "lcb_runner").is_dir():
        print(f"lcb_runner: skipped, no reference at {reference}")
        return
    work = Path(tempfile.mkdtemp(prefix="lcb-bench-"))
    try:
        work.chmod(0o755)
        (work / "requests.json").write_text(json.dumps(requests))
        (work / "requests.json").chmod(0o644)
        options = container_options(GraderSettings(image=GRADER_IMAGE.tag, cpus=float(workers)))
        out = docker.from_env().containers.run(
            command=["python3", "-c", UPSTREAM_SCRIPT, str(workers)],
            volumes={str(reference): {"bind": "/upstream", "mode": "ro"}, str(work): {"bind": "/work", "mode": "ro"}},
            remove=True,
            stderr=False,
            **options,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures = json.loads(out.decode().strip().splitlines()[-1])
    tests = sum(len(r["inputs"]) for r in requests)
    print(
        f"lcb_runner {upstream_commit()[:7]} (codegen_metrics, {workers} processes, one container with {workers} "
        f"CPUs, unsandboxed inside): {len(requests)} problems, {tests} tests in {figures['seconds']:.2f} s = "
        f"{tests / figures['seconds']:.0f} tests/s (pass@1 {figures['pass@1']:.0f})"
    )


def _timed(grade, request: dict) -> tuple[dict, float]:
    started = time.monotonic()
    response = grade(request)
    return response, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=50)
    parser.add_argument("--tests", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-naive", action="store_true", help="leave out the docker exec comparison (minutes)")
    args = parser.parse_args()

    images.ensure_built([GRADER_IMAGE])
    pool = GraderPool(GraderSettings(image=GRADER_IMAGE.tag, workers=args.workers))
    requests = problem_set(args.problems, args.tests)
    print(f"image {GRADER_IMAGE.tag}, {args.workers} grader containers")
    try:
        run(
            "attached fork-server (as scored), containers started inside the timing", pool.grade, requests, args.workers
        )
        run("attached fork-server (as scored), containers already running", pool.grade, requests, args.workers)
    finally:
        pool.close()
    upstream_lcb_runner(requests, args.workers)
    if args.skip_naive:
        return 0
    client = docker.from_env()
    plain = queue.Queue()
    settings = GraderSettings(image=GRADER_IMAGE.tag)
    started_containers = [
        client.containers.run(command=["sleep", "600"], detach=True, auto_remove=True, **container_options(settings))
        for _ in range(args.workers)
    ]
    try:
        for container in started_containers:
            plain.put(container)
        run(
            "docker exec + fresh interpreter per problem", lambda r: fresh_interpreter(plain, r), requests, args.workers
        )
    finally:
        for container in started_containers:
            container.remove(force=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
