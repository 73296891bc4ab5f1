"""Grade the parity corpus with upstream lcb_runner's own code (run inside the grader image, never in the project).

Usage (in a container): python3 upstream_driver.py UPSTREAM_DIR REQUESTS_JSON WORKERS
UPSTREAM_DIR holds lcb_runner at the pinned commit (mounted read-only from ../shared/reference/livecodebench);
REQUESTS_JSON is a list of {"name", "code", "inputs", "outputs", "fn_name", "timeout", "argv"}. The programs are
graded by `evaluate_generations` with WORKERS processes, one call per timeout, exactly as `codegen_metrics` calls it
(evaluate_generations_by_problem: check_correctness -> run_test in a multiprocessing child, the numpy conversion,
the TestRunnerError path); one JSON line per program is printed:
{"name", "results", "metadata"}. What the programs themselves write to stdout goes to /dev/null, as in the project's
grader.
"""

from __future__ import annotations

import json
import os
import sys


def plain(value: object) -> object:
    """A result as JSON carries it: lcb_runner's codes and bools as they are, anything else by its str."""
    return value if isinstance(value, (bool, int)) else str(value)


def main(upstream: str, requests_file: str, workers: str) -> int:
    sys.path.insert(0, upstream)
    # lcb_runner.runner.main imports `datasets` (and so pandas) before grading: the child inherits them
    import pandas  # noqa: F401
    from lcb_runner.evaluation.compute_code_generation_metrics import evaluate_generations

    with open(requests_file) as f:
        requests = json.load(f)
    out = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.argv = list(requests[0]["argv"])
    for timeout in sorted({r["timeout"] for r in requests}):  # codegen_metrics grades with one timeout per call
        group = [r for r in requests if r["timeout"] == timeout]
        samples = [{"input_output": json.dumps({k: r[k] for k in ("inputs", "outputs", "fn_name")})} for r in group]
        results, metadata = evaluate_generations(
            samples, [[r["code"]] for r in group], debug=False, num_process_evaluate=int(workers), timeout=timeout
        )
        for index, request in enumerate(group):
            line = {
                "name": request["name"],
                "results": [plain(r) for r in results[index][0]],
                "metadata": metadata[index][0],
            }
            out.write(json.dumps(line, default=str) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
