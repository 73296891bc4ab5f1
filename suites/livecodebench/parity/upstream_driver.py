"""Grade the parity corpus with upstream lcb_runner's own code (run inside the grader image, never in the project).

Usage (in a container): python3 upstream_driver.py UPSTREAM_DIR REQUESTS_JSON
UPSTREAM_DIR holds lcb_runner at the pinned commit (mounted read-only from ../shared/reference/livecodebench);
REQUESTS_JSON is a list of {"name", "code", "inputs", "outputs", "fn_name", "timeout", "argv"}. Each program is
graded by `evaluate_generations_by_problem` (check_correctness -> run_test in a multiprocessing child, the numpy
conversion, the TestRunnerError path) exactly as `codegen_metrics` calls it; one JSON line per program is printed:
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


def main(upstream: str, requests_file: str) -> int:
    sys.path.insert(0, upstream)
    # lcb_runner.runner.main imports `datasets` (and so pandas) before grading: the child inherits them
    import pandas  # noqa: F401
    from lcb_runner.evaluation.compute_code_generation_metrics import evaluate_generations_by_problem

    with open(requests_file) as f:
        requests = json.load(f)
    out = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    for request in requests:
        sample = {
            "input_output": json.dumps(
                {"inputs": request["inputs"], "outputs": request["outputs"], "fn_name": request["fn_name"]}
            )
        }
        sys.argv = list(request["argv"])
        results, metadata = evaluate_generations_by_problem([[request["code"]], sample, False, request["timeout"]])
        line = {"name": request["name"], "results": [plain(r) for r in results[0]], "metadata": metadata[0]}
        out.write(json.dumps(line, default=str) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
