#!/usr/bin/env python3
"""LiveCodeBench grading inside the sandbox, with the semantics of lcb_runner at upstream commit 28fef95
(LiveCodeBench/LiveCodeBench, 2025-07-15: lcb_runner/evaluation/testing_util.py and
compute_code_generation_metrics.py).

One request grades one generated program against all of a problem's tests. As in lcb_runner's
`check_correctness`, the program runs in ONE forked child process: it is compiled once, the tests run in order
with a SIGALRM timeout each (6 s), the first failure stops the run, and the parent kills the child after
`(timeout + 1) * n_tests + 5` s. Result codes are lcb_runner's: True (pass), False or -2 (wrong answer), -3 (time
limit), -4 (runtime or compile error). A child that gives no result (killed at the global timeout, `os._exit`, a
crash, an uncaught `SystemExit`) gets what `evaluate_generations_by_problem` records then: results `[-2]` with
error code -5 (TestRunnerError), because `check_correctness` fails reading the missing metadata.

Modes:
  serve [IDLE_S]  fork-server on stdio (the container's main process): preload the interpreter once, then for
                  each request on stdin fork the child that runs the program, and answer on stdout
  grade FILE      grade one request file in this fresh interpreter and print the response

A request is JSON: {"code", "inputs", "outputs", "fn_name" (null for stdin problems), "timeout"}.
The child drops root for a throwaway uid before running the program, so it can neither alter the grader nor
outlive its request (the parent kills every process of that uid afterwards).
"""

from __future__ import annotations

import os
import sys

# BLAS thread pools and fork() do not mix: the preloaded numpy keeps one thread.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import ast
import contextlib
import faulthandler
import json
import signal
import time
from decimal import Decimal
from io import StringIO
from types import ModuleType
from unittest.mock import mock_open, patch

sys.set_int_max_str_digits(50000)  # compute_code_generation_metrics.py sets this at import time

# The imports lcb_runner prepends to every program (testing_util.import_string), byte for byte.
PRELUDE = (
    "from string import *\nfrom re import *\nfrom datetime import *\nfrom collections import *\n"
    "from heapq import *\nfrom bisect import *\nfrom copy import *\nfrom math import *\nfrom random import *\n"
    "from statistics import *\nfrom itertools import *\nfrom functools import *\nfrom operator import *\n"
    "from io import *\nfrom sys import *\nfrom json import *\nfrom builtins import *\nfrom typing import *\n"
    "import string\nimport re\nimport datetime\nimport collections\nimport heapq\nimport bisect\nimport copy\n"
    "import math\nimport random\nimport statistics\nimport itertools\nimport functools\nimport operator\n"
    "import io\nimport sys\nimport json\nsys.setrecursionlimit(50000)\n"
)

WA, TLE, RTE, RUNNER = -2, -3, -4, -5
NO_RESULT = {"error": "IndexError('list index out of range')", "error_code": RUNNER, "error_message": "TestRunnerError"}
"""evaluate_generations_by_problem's record when the child gave no result: check_correctness reads
`metadata_list[0]` of an empty list, and the results stay `[-2]`."""
ARGV = ["lcb_runner/runner/main.py", "--model", "MODEL", "--scenario", "codegeneration", "--evaluate"]
"""sys.argv as lcb_runner's evaluation runs see it (`python -m lcb_runner.runner.main ... --evaluate`): programs
reading it, e.g. through `fileinput.input()`, see a command line with arguments."""
NUMPY = None
"""numpy once preloaded: evaluate_generations_by_problem converts numpy results with it."""
DROP_PRIVILEGES = os.geteuid() == 0
"""Run programs as a throwaway uid (when started as root, as in the sandbox)."""


def preload() -> None:
    """Import what lcb_runner's grading process has imported before it forks the child, once: numpy (testing_util
    and compute_code_generation_metrics import it) and pandas (lcb_runner.runner.main imports `datasets`, which
    imports pandas).

    Besides speed this matters: importing numpy after reliability_guard() fails ('NoneType' object is not
    callable), so programs can use these only because the grading process imported them first.
    """
    exec(PRELUDE.replace("sys.setrecursionlimit(50000)\n", ""), {})
    import concurrent.futures  # noqa: F401
    import multiprocessing  # noqa: F401
    import platform  # noqa: F401
    import selectors  # noqa: F401
    import shutil  # noqa: F401
    import subprocess  # noqa: F401

    global NUMPY
    with contextlib.suppress(ImportError):
        import numpy

        NUMPY = numpy
    with contextlib.suppress(ImportError):
        import pandas  # noqa: F401


# ---------------------------------------------------------------------------------------------------------------
# the child: lcb_runner's run_test, grade_call_based and grade_stdio


class TimeoutException(Exception):
    pass


def _on_alarm(signum, frame):
    print("timeout occured: alarm went off")  # lcb_runner prints this (into captured stdout during stdin tests)
    raise TimeoutException


def truncate(value, length: int = 300) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= length else text[: length // 2] + "...(truncated) ..." + text[-length // 2:]


class _Capture(list):
    """stdout captured into a StringIO whose close() takes one argument, as lcb_runner's Capturing does."""

    def __enter__(self):
        self._saved = sys.stdout
        sys.stdout = self._buffer = StringIO()
        self._buffer.close = lambda x: 1
        return self

    def __exit__(self, *exc):
        self.append(self._buffer.getvalue())
        del self._buffer
        sys.stdout = self._saved


def strip_main_guard(code: str) -> str:
    """Inline a trailing `if __name__ == '__main__':` block (lcb_runner's clean_if_name)."""
    try:
        tree = ast.parse(code)
        last = tree.body[-1]
        if isinstance(last, ast.If) and ast.unparse(last.test).strip() == "__name__ == '__main__'":
            code = ast.unparse(tree.body[:-1]) + "\n" + ast.unparse(last.body)
    except Exception:
        pass
    return code


def wrap_program(code: str) -> str:
    """Hoist top-level imports and wrap the rest in `wrapped_function()` (lcb_runner's make_function)."""
    try:
        tree = ast.parse(code)
        imports = [s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))]
        rest = [s for s in tree.body if not isinstance(s, (ast.Import, ast.ImportFrom))]
        function = ast.FunctionDef(
            name="wrapped_function",
            args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
            body=rest, decorator_list=[], lineno=-1)
        return PRELUDE + "\n" + ast.unparse(imports) + "\n" + ast.unparse(function)
    except Exception:
        return code


def compile_program(code: str, timeout: int):
    signal.alarm(timeout)
    try:
        module = ModuleType("tmp_sol", "")
        exec(code, module.__dict__)
        compiled = module.Solution() if "class Solution" in code else module
        assert compiled is not None
    finally:
        signal.alarm(0)
    return compiled


def _failure_code(error: BaseException) -> tuple[int, str]:
    if "timeoutexception" in repr(error).lower():
        return TLE, "Time Limit Exceeded"
    return RTE, "Runtime Error"


def grade_call_based(code: str, inputs: list, outputs: list, fn_name: str, timeout: int, state: dict):
    compiled = compile_program(PRELUDE + "\n\n" + code, timeout)
    method = getattr(compiled, fn_name, None) if hasattr(compiled, fn_name) else None
    if method is None:
        return None
    args_list = [[json.loads(line) for line in text.split("\n")] for text in inputs]
    expected_list = [json.loads(text) for text in outputs]
    state["phase"] = "test"
    results: list = []
    for args, expected in zip(args_list, expected_list, strict=False):
        signal.alarm(timeout)
        faulthandler.enable()
        try:
            prediction = method(*args)
            signal.alarm(0)
            if isinstance(prediction, tuple):  # tuples count as lists
                prediction = list(prediction)
            outcome = prediction == expected
            results.append(outcome)
            if not outcome:
                return results, {"output": truncate(prediction), "inputs": truncate(args),
                                 "expected": truncate(expected), "error_code": WA, "error_message": "Wrong Answer"}
        except Exception as error:
            signal.alarm(0)
            code_, message = _failure_code(error)
            results.append(code_)
            return results, {"error": repr(error), "error_code": code_, "error_message": message,
                             "inputs": truncate(args), "expected": truncate(expected)}
        finally:
            signal.alarm(0)
            faulthandler.disable()
    return results, {}


class LazyMockOpen:
    """`mock_open(read_data=text)`, built on first use: building its MagicMocks costs milliseconds per test, and
    programs rarely reach the patched `builtins.open` (the prelude binds the real `open` before the patch)."""

    __slots__ = ("_mock", "_text")

    def __init__(self, text: str) -> None:
        self._text, self._mock = text, None

    def _real(self):
        if self._mock is None:
            self._mock = mock_open(read_data=self._text)
        return self._mock

    def __call__(self, *args, **kwargs):
        return self._real()(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._real(), name)


class MockStdinWithBuffer:
    """lcb_runner's stdin mock, under upstream's name (error messages show it): `read()` and `readlines()` give the
    whole input (readlines splits on newlines, so lines lack their newline and the last one is empty when the input
    ends with one), `readline()` comes from a StringIO (with newlines), `.buffer` gives bytes, anything else is the
    StringIO's; not iterable (no `__iter__`)."""

    def __init__(self, inputs: str) -> None:
        self.inputs = inputs
        self._stringio = StringIO(inputs)
        self.buffer = MockBuffer(inputs)

    def read(self, *args):
        return self.inputs

    def readline(self, *args):
        return self._stringio.readline(*args)

    def readlines(self, *args):
        return self.inputs.split("\n")

    def __getattr__(self, name):
        return getattr(self._stringio, name)


class MockBuffer:
    """lcb_runner's MockBuffer: `read()` gives the whole input as bytes, `readline()` always the first line."""

    def __init__(self, inputs: str) -> None:
        self.inputs = inputs.encode("utf-8")

    def read(self, *args):
        return self.inputs

    def readline(self, *args):
        return self.inputs.split(b"\n")[0] + b"\n"


def call_with_stdin(method, text):
    """Run `method` with stdin replaced the way lcb_runner's call_method does (same patch order: the patches of
    `sys.stdin.read/readline/readlines` apply to the process's own stdin, entered before `sys.stdin` is swapped)."""
    if isinstance(text, list):
        text = "\n".join(text)
    lines = iter(text.split("\n"))

    @patch("builtins.open", LazyMockOpen(text))
    @patch("sys.stdin", MockStdinWithBuffer(text))
    @patch("sys.stdin.readline", lambda *args: next(lines))
    @patch("sys.stdin.readlines", lambda *args: text.split("\n"))
    @patch("sys.stdin.read", lambda *args: text)
    def run(_method):
        try:
            return _method()
        except SystemExit:
            pass

    return run(method)


def stripped_lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def as_decimals(line: str) -> tuple[bool, list]:
    try:
        return True, [Decimal(token) for token in line.split()]
    except Exception:
        return False, []


def compare_stdout(prediction: str, expected: str) -> str | None:
    """None when the outputs match by lcb_runner's rules; else the wrong-answer message."""
    got, want = stripped_lines(prediction), stripped_lines(expected)
    if len(got) != len(want):
        return "Wrong answer: mismatched output length"
    for index, (got_line, want_line) in enumerate(zip(got, want, strict=False)):
        if got_line == want_line:
            continue
        ok_got, got_decimals = as_decimals(got_line)
        ok_want, want_decimals = as_decimals(want_line)
        if not (ok_got and ok_want) or got_decimals != want_decimals:
            return f"Wrong answer at output_line_idx={index}: {truncate(got_line)} != {truncate(want_line)}"
    return None


def grade_stdio(code: str, inputs: list, outputs: list, timeout: int, state: dict):
    compiled = compile_program(wrap_program(strip_main_guard(code)), timeout)
    method = getattr(compiled, "wrapped_function", None) if hasattr(compiled, "wrapped_function") else None
    if method is None:
        return None
    state["phase"] = "test"
    results: list = []
    for text, expected in zip(inputs, outputs, strict=False):
        signal.alarm(timeout)
        faulthandler.enable()
        signal.alarm(timeout)
        with _Capture() as captured:
            try:
                call_with_stdin(method, text)
                signal.alarm(0)
            except Exception as error:
                signal.alarm(0)
                code_, message = _failure_code(error)
                results.append(code_)
                return results, {"error": repr(error), "error_code": code_, "error_message": message,
                                 "inputs": truncate(text), "expected": truncate(expected)}
            finally:
                signal.alarm(0)
                faulthandler.disable()
        prediction = captured[0]
        mismatch = compare_stdout(prediction, expected)
        if mismatch is not None:
            results.append(WA)
            return results, {"output": truncate(prediction), "inputs": truncate(text), "expected": truncate(expected),
                             "error_code": WA, "error_message": mismatch}
        results.append(True)
    return results, {}


def reliability_guard() -> None:
    """Disable what lcb_runner's reliability_guard disables (no memory limit: lcb_runner passes None)."""
    import builtins
    import shutil
    import subprocess

    faulthandler.disable()
    builtins.quit = None
    builtins.help = None
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in ("kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid", "fork",
                 "forkpty", "killpg", "rename", "renames", "truncate", "replace", "unlink", "fchmod", "fchown",
                 "chmod", "chown", "chroot", "lchflags", "lchmod", "lchown", "getcwd", "chdir"):
        setattr(os, name, None)
    shutil.rmtree = shutil.move = shutil.chown = None
    subprocess.Popen = None
    for name in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[name] = None


def run_tests(request: dict, state: dict) -> tuple[list, dict]:
    """lcb_runner's run_test: any exception escaping the grading becomes [-4] 'Error during testing'."""
    signal.signal(signal.SIGALRM, _on_alarm)
    reliability_guard()
    timeout = int(request.get("timeout", 6))
    fn_name = request.get("fn_name")
    signal.alarm(timeout)
    try:
        if fn_name is None:
            graded = grade_stdio(request["code"], request["inputs"], request["outputs"], timeout, state)
        else:
            graded = grade_call_based(request["code"], request["inputs"], request["outputs"], fn_name, timeout,
                                      state)
        results, metadata = graded  # None (no Solution method / no wrapped_function) fails here, as upstream
        return results, metadata
    except Exception as error:
        return [RTE], {"error_code": RTE, "error_message": f"Error during testing: {error}"}
    finally:
        signal.alarm(0)


def fix_results(results: list, metadata: dict) -> tuple[list, dict]:
    """evaluate_generations_by_problem's conversion: a numpy array becomes its first item, a numpy bool a bool.
    When that conversion fails upstream keeps the raw results and records a TestRunnerError (-5)."""
    if NUMPY is None:
        return results, metadata
    try:
        fixed = []
        for value in results:
            if isinstance(value, NUMPY.ndarray):
                value = value.item(0)
            if isinstance(value, NUMPY.bool_):
                value = bool(value)
            fixed.append(value)
        return fixed, metadata
    except Exception as error:
        return results, {"error": repr(error), "error_code": RUNNER, "error_message": "TestRunnerError"}


def _plain(value) -> object:
    """A result as JSON can carry it: lcb_runner's codes and bools as they are, anything else by its str."""
    return value if isinstance(value, (bool, int)) else str(value)


def child_main(request: dict, result_fd: int, uid: int) -> None:
    """The forked child: become `uid`, run the tests, write the JSON result to `result_fd`, exit."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sys.stdin.close()  # multiprocessing's child closes stdin (so sys.__stdin__ too) and opens /dev/null as fd 0
    sys.stdin = open(os.devnull)  # noqa: SIM115
    os.chdir("/tmp")
    if DROP_PRIVILEGES:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    sys.argv = list(ARGV)
    write, exit_, dumps = os.write, os._exit, json.dumps  # bound before the program can replace them
    state = {"phase": "compile"}
    results, metadata = fix_results(*run_tests(request, state))
    payload = dumps({"results": [_plain(r) for r in results], "metadata": metadata,
                     "phase": state["phase"]}, default=str).encode()
    view = memoryview(len(payload).to_bytes(8, "big") + payload)  # length-prefixed: no need to wait for EOF
    while view:
        view = view[write(result_fd, view):]
    exit_(0)


# ---------------------------------------------------------------------------------------------------------------
# the worker: lcb_runner's check_correctness (fork, global timeout, kill)


def _kill_uid(uid: int) -> None:
    """Kill every process running as `uid`: whatever the child left behind, even outside its process group."""
    for _ in range(3):  # a process may fork while being listed
        found = False
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):
                    if os.stat(f"/proc/{entry}").st_uid == uid:
                        os.kill(int(entry), signal.SIGKILL)
                        found = True
        if not found:
            return


def _collect(pid: int, read_fd: int, deadline: float) -> tuple[bytes | None, bool]:
    """The child's length-prefixed result, read until it is complete, the child exits or the deadline passes.

    Returns (payload or None, whether the child exited). Like lcb_runner, which joins the child process rather
    than waiting for a pipe to close, processes the child started that still hold the pipe delay nothing.
    """
    import selectors

    buffer = bytearray()
    pidfd = os.pidfd_open(pid)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(read_fd, selectors.EVENT_READ, "pipe")
            selector.register(pidfd, selectors.EVENT_READ, "exit")
            while (payload := _complete(buffer)) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None, False
                for key, _ in selector.select(remaining):
                    if key.data == "exit":  # everything the child wrote is in the pipe by now
                        os.set_blocking(read_fd, False)
                        while True:
                            try:
                                chunk = os.read(read_fd, 1 << 20)
                            except BlockingIOError:
                                break
                            if not chunk:
                                break
                            buffer += chunk
                        return _complete(buffer), True
                    chunk = os.read(read_fd, 1 << 20)
                    if not chunk:
                        selector.unregister(read_fd)
                    buffer += chunk
            return payload, False
    finally:
        os.close(pidfd)


def _complete(buffer: bytearray) -> bytes | None:
    if len(buffer) < 8:
        return None
    size = int.from_bytes(buffer[:8], "big")
    return bytes(buffer[8: 8 + size]) if len(buffer) >= 8 + size else None


def grade(request: dict) -> dict:
    """Grade one request in a forked child with lcb_runner's global timeout; returns the response dict."""
    started = time.monotonic()
    n_tests = len(request["inputs"])
    timeout = int(request.get("timeout", 6))
    deadline = started + (timeout + 1) * n_tests + 5
    uid = 100000 + os.getpid()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            child_main(request, write_fd, uid)
        finally:
            os._exit(1)
    os.close(write_fd)
    payload, exited = _collect(pid, read_fd, deadline)
    os.close(read_fd)
    timed_out = payload is None and not exited
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)  # whatever the child left in its process group
    _, status = os.waitpid(pid, 0)
    if DROP_PRIVILEGES:
        _kill_uid(uid)
    elapsed = round(time.monotonic() - started, 4)
    response = None
    if payload is not None:
        with contextlib.suppress(ValueError):  # a program that broke its own process's json: no result
            response = json.loads(payload)
    if isinstance(response, dict) and isinstance(response.get("results"), list):
        response["elapsed"] = elapsed
        return response
    # lcb_runner: no result from the child -> [-2] with TestRunnerError (-5); the cause is ours to add
    reason = "global_timeout" if timed_out else "died"
    detail = ("killed at the global timeout" if timed_out else
              f"child exited without a result (status {os.waitstatus_to_exitcode(status)})")
    return {"results": [WA], "metadata": {**NO_RESULT, "cause": detail}, "phase": reason, "elapsed": elapsed}


# ---------------------------------------------------------------------------------------------------------------
# the fork-server on stdio


def read_frame(fd: int) -> bytes | None:
    """One request: an ASCII length line, then that many bytes (no control bytes: docker's detach keys are
    ctrl-p ctrl-q). None at end of input."""
    header = b""
    while not header.endswith(b"\n"):
        chunk = os.read(fd, 1)
        if not chunk:
            return None
        header += chunk
    size, data = int(header), bytearray()
    while len(data) < size:
        chunk = os.read(fd, min(1 << 20, size - len(data)))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def write_frame(fd: int, response: dict) -> None:
    data = json.dumps(response).encode()
    view = memoryview(str(len(data)).encode() + b"\n" + data)
    while view:
        view = view[os.write(fd, view):]


def serve(idle_exit: float) -> None:
    """Read requests on stdin and answer on stdout, one at a time, each program run in a forked child.

    The server holds no state between requests besides the preloaded modules; the child forks from it with the
    request in memory. Exits at end of input or after `idle_exit` idle seconds.
    """
    import gc
    import select

    preload()
    gc.freeze()  # preloaded objects: children's collections skip them instead of copying their pages
    write_frame(1, {"ready": True})
    while True:
        readable, _, _ = select.select([0], [], [], idle_exit or None)
        if not readable:
            return
        frame = read_frame(0)
        if frame is None:
            return
        try:
            response = grade(json.loads(frame))
        except Exception as error:  # a runner error, never a verdict about the program
            response = {"runner_error": f"{type(error).__name__}: {error}"}
        del frame
        write_frame(1, response)


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        serve(float(argv[1]) if len(argv) > 1 else 0.0)
        return 0
    if len(argv) == 2 and argv[0] == "grade":
        try:
            preload()
            with open(argv[1], "rb") as f:
                response = grade(json.load(f))
        except Exception as error:
            response = {"runner_error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(response))
        return 0
    sys.stderr.write("usage: lcb_grader.py serve [IDLE_S] | grade FILE\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
