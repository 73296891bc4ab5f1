"""LiveCodeBench without Docker: data loading and decoding, prompts, extraction, verdicts, pass@k, and the
official grading semantics of the in-sandbox grader (run here in a forked child of the test process)."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import pickle
import zlib
from datetime import date
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.paths import SANDBOXES
from harness.suite import get_suite, parse_options
from suites.livecodebench import dataset, private_tests
from suites.livecodebench.extraction import extract_code
from suites.livecodebench.oracle import fenced, program
from suites.livecodebench.prompts import SYSTEM_MESSAGE, user_prompt
from suites.livecodebench.samples import make_fixtures
from suites.livecodebench.scorer import classify, estimate_pass_at_k


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def grader():
    """The in-sandbox grader module, running programs as the current user."""
    spec = importlib.util.spec_from_file_location("lcb_grader", SANDBOXES / "livecodebench" / "lcb_grader.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.DROP_PRIVILEGES = False
    module.preload()  # as the fork-server does
    return module


def fixture_rows() -> list[dict]:
    return [json.loads(line) for line in dataset.FIXTURES_FILE.read_text().splitlines()]


# ---------------------------------------------------------------------------------------------------------------
# private tests: upstream encoding, safe decoding


def test_private_tests_round_trip_the_upstream_encoding() -> None:
    tests = [{"input": "1\nabc\n", "output": "YES\n", "testtype": "stdin"}]
    encoded = private_tests.encode(tests)
    raw = zlib.decompress(base64.b64decode(encoded))
    assert raw[:2] == b"\x80\x04"  # pickle protocol 4, as the upstream blobs
    assert pickle.loads(raw) == json.dumps(tests)  # our own fixture blob: safe to load with pickle here
    assert private_tests.decode(encoded) == tests
    assert private_tests.decode(json.dumps(tests)) == tests  # plain JSON (the earliest release files)


def test_decoder_refuses_a_malicious_pickle(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    for payload in (Exploit(), ["a list", "of strings"], 42):
        blob = base64.b64encode(zlib.compress(pickle.dumps(payload, protocol=4))).decode()
        with pytest.raises(private_tests.UnsafePickle):
            private_tests.decode(blob)
    assert not marker.exists()
    with pytest.raises(ValueError, match="neither JSON nor base64"):
        private_tests.decode("not json, not base64!")


def test_fixtures_are_exact_upstream_rows() -> None:
    assert dataset.FIXTURES_FILE.read_text() == make_fixtures.render()  # regenerated from problems.toml
    rows = fixture_rows()
    assert len(rows) == 10
    for row in rows:
        assert list(row) == list(dataset.ROW_FIELDS)
        assert all(isinstance(v, str) for v in row.values())
    encodings = {row["private_test_cases"][:1] for row in rows}
    assert encodings == {"[", "e"}  # plain JSON and base64(zlib) ("eJ" is the zlib header)
    types = {json.loads(row["public_test_cases"])[0]["testtype"] for row in rows}
    assert types == {"stdin", "functional"}
    assert {row["platform"] for row in rows} == {"atcoder", "codeforces", "leetcode"}


# ---------------------------------------------------------------------------------------------------------------
# loading: release files, hashes, windows


def _release_dir(tmp_path: Path) -> tuple[Path, dataset.ReleaseConfig]:
    """Two release files in the upstream row format and a config pinning their hashes."""
    rows = fixture_rows()
    data = tmp_path / "hf"
    data.mkdir()
    (data / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:6]))
    (data / "test2.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[6:]))
    files = {
        name: dataset.FileInfo(
            sha256=dataset.sha256_file(data / name),
            size=(data / name).stat().st_size,
            rows=len((data / name).read_text().splitlines()),
        )
        for name in ("test.jsonl", "test2.jsonl")
    }
    base = dataset.release_config()
    config = dataset.ReleaseConfig(
        dataset=base.dataset,
        revision=base.revision,
        files=files,
        releases={"release_v1": ["test.jsonl"], "release_v2": ["test.jsonl", "test2.jsonl"], "v2": ["test2.jsonl"]},
    )
    return data, config


def test_releases_are_cumulative_and_increments_select_one_file(tmp_path: Path) -> None:
    data, config = _release_dir(tmp_path)
    v1 = dataset.load_problems(data="full", release="release_v1", data_dir=data, config=config)
    v2 = dataset.load_problems(data="full", release="release_v2", data_dir=data, config=config)
    only_v2 = dataset.load_problems(data="full", release="v2", data_dir=data, config=config)
    assert (len(v1), len(v2), len(only_v2)) == (6, 10, 4)
    assert {p.question_id for p in v1} | {p.question_id for p in only_v2} == {p.question_id for p in v2}
    assert [p.question_id for p in v2] == sorted(p.question_id for p in v2)


def test_download_uses_the_pinned_revision_and_checks_the_hash(tmp_path: Path, monkeypatch) -> None:
    data, config = _release_dir(tmp_path)
    calls = []

    def fake_download(repo_id, filename, *, repo_type, revision):
        calls.append((repo_id, filename, repo_type, revision))
        return str(data / filename)

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    problems = dataset.load_problems(data="full", release="release_v2", config=config)
    assert len(problems) == 10
    assert calls == [
        ("livecodebench/code_generation_lite", name, "dataset", config.revision)
        for name in ("test.jsonl", "test2.jsonl")
    ]
    assert len(config.revision) == 40
    (data / "test2.jsonl").write_text((data / "test2.jsonl").read_text().replace("abba", "abbb"))
    with pytest.raises(HarnessError, match=r"SHA-256 .* does not match the pinned"):
        dataset.load_problems(data="full", release="release_v2", config=config)


def test_full_data_without_network_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    options = parse_options(get_suite("livecodebench"), {"data": "full", "release": "v6"})
    with pytest.raises(HarnessError) as info:
        get_suite("livecodebench").images(options)
    message = str(info.value)
    assert "cannot get test6.jsonl of livecodebench/code_generation_lite@0fe84c3912ea" in message
    assert "--data-dir" in message and "\n" not in message


def test_bad_rows_name_the_file_line_and_field(tmp_path: Path) -> None:
    row = fixture_rows()[0]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({**row, "difficulty": "trivial"}) + "\n")
    with pytest.raises(HarnessError, match=r"bad.jsonl:1: difficulty 'trivial'"):
        dataset.prepare(bad, "0" * 64)
    evil = base64.b64encode(zlib.compress(pickle.dumps(print, protocol=4))).decode()
    bad.write_text(json.dumps(row) + "\n" + json.dumps({**row, "private_test_cases": evil}) + "\n")
    with pytest.raises(HarnessError, match=r"bad.jsonl:2: private_test_cases: pickle opcode"):
        dataset.prepare(bad, "1" * 64)


def test_contest_date_window_is_inclusive_and_recorded() -> None:
    suite = get_suite("livecodebench")
    options = parse_options(suite, {"start_date": "2024-01-15", "end_date": "2024-09-21"})
    ids = [
        p.question_id
        for p in dataset.load_problems(
            data="sample", release="release_v6", start_date=date(2024, 1, 15), end_date=date(2024, 9, 21)
        )
    ]
    assert ids == ["90002", "90003", "9001_B", "fxc002_c"]
    info = suite.dataset_info(options)
    assert (info["start_date"], info["end_date"], info["problems"]) == ("2024-01-15", "2024-09-21", 4)
    with pytest.raises(HarnessError, match="start_date 2025-01-01 is after end_date"):
        parse_options(suite, {"start_date": "2025-01-01", "end_date": "2024-01-01"})
    with pytest.raises(HarnessError, match=r"--release: .*unknown release 'v7'"):
        parse_options(suite, {"release": "v7"})
    with pytest.raises(HarnessError, match="no problems"):
        suite.images(parse_options(suite, {"start_date": "2030-01-01"}))


def test_full_data_manifest_names_revision_and_file_hashes(tmp_path: Path) -> None:
    info = get_suite("livecodebench").dataset_info
    assert "revision" not in info(parse_options(get_suite("livecodebench"), {}))  # samples: the fixture file
    config = dataset.release_config()
    assert config.releases["release_v6"] == [
        "test.jsonl",
        "test2.jsonl",
        "test3.jsonl",
        "test4.jsonl",
        "test5.jsonl",
        "test6.jsonl",
    ]
    assert sum(config.files[f].rows for f in config.releases["release_v6"]) == 1055
    assert [sum(config.files[f].rows for f in config.releases[f"release_v{n}"]) for n in range(1, 7)] == [
        400,
        511,
        612,
        713,
        880,
        1055,
    ]


# ---------------------------------------------------------------------------------------------------------------
# prompts, extraction, oracle


def test_prompts_follow_lcb_runner_templates() -> None:
    assert SYSTEM_MESSAGE.startswith("You are an expert Python programmer.")
    stdin = user_prompt("Add two numbers.", "")
    assert stdin == (
        "### Question:\nAdd two numbers.\n\n### Format: Read the inputs from stdin solve the problem "
        "and write the answer to stdout (do not directly test on the sample inputs). Enclose your code "
        "within delimiters as follows. Ensure that when the python program runs, it reads the inputs, "
        "runs the algorithm and writes output to STDOUT.\n```python\n# YOUR CODE HERE\n```\n\n"
        "### Answer: (use the provided format with backticks)\n\n"
    )
    leetcode = user_prompt("Two sum.", "class Solution:\n    def f(self):\n        ")
    assert (
        "### Format: You will use the following starter code to write the solution to the problem and enclose "
        "your code within delimiters.\n```python\nclass Solution:\n    def f(self):\n        \n```\n\n" in leetcode
    )
    sample = dataset.to_sample(dataset.load_problems(data="sample", release="release_v6")[0])
    assert sample.input[0].content.startswith("### Question:\n")
    assert {"difficulty", "platform", "contest_date", "tests_file", "n_tests"} <= set(sample.metadata)


def test_extraction_takes_the_last_fenced_block() -> None:
    answer = "Idea:\n```python\nprint(1)\n```\nFinal:\n```python\nprint(2)\n```\nDone."
    assert extract_code(answer) == "print(2)"
    assert extract_code("no code at all") == ""
    assert extract_code("```python\nprint(3)") == ""  # one fence line only
    assert extract_code("x ```py\nprint(4)\n``` y") == "print(4)"  # fence lines are lines containing ```
    assert extract_code(fenced(program("fxc001_a"))) == program("fxc001_a").rstrip()


# ---------------------------------------------------------------------------------------------------------------
# verdicts and pass@k


def test_classify_maps_lcb_result_codes() -> None:
    assert classify({"results": [True, True], "phase": "test"}) == "passed"
    assert classify({"results": [True, False], "phase": "test"}) == "wrong_answer"
    assert classify({"results": [-2], "phase": "test"}) == "wrong_answer"
    assert classify({"results": [True, -3], "phase": "test"}) == "time_limit"
    assert classify({"results": [-4], "phase": "test"}) == "runtime_error"
    assert classify({"results": [-4], "phase": "compile"}) == "compile_error"
    assert classify({"results": [-1, -1], "phase": "global_timeout"}) == "time_limit"
    assert classify({"results": [-1, -1], "phase": "died"}) == "runtime_error"


def test_pass_at_k_matches_the_unbiased_estimator() -> None:
    from math import comb

    for n, c, k in [(10, 3, 1), (10, 3, 5), (20, 0, 5), (5, 5, 5), (7, 2, 3)]:
        assert estimate_pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k))


# ---------------------------------------------------------------------------------------------------------------
# grading semantics (the grader script, in-process on the host)


def grade(
    grader, code: str, inputs: list[str], outputs: list[str], fn_name: str | None = None, timeout: int = 6
) -> dict:
    return grader.grade({"code": code, "inputs": inputs, "outputs": outputs, "fn_name": fn_name, "timeout": timeout})


def test_every_fixture_variant_gets_its_verdict(grader) -> None:
    problems = {p.question_id: p for p in dataset.load_problems(data="sample", release="release_v6")}
    for question_id, variants in make_fixtures.variants().items():
        tests = dataset.read_tests(problems[question_id])
        for variant, expected in variants.items():
            response = grader.grade({"code": program(question_id, variant), **tests, "timeout": 1})
            assert classify(response) == expected, (question_id, variant, response)


@pytest.mark.parametrize(
    ("printed", "expected", "verdict"),
    [
        ("2.5", "2.5000000000", True),  # tokens equal as Decimals
        ("1e3", "1000", True),  # Decimal("1e3") == Decimal("1000")
        ("0.30000000000000004", "0.3", -2),  # no epsilon
        ("1 2 3   \n\n\n", "1 2 3\n", True),  # the whole output and each line are stripped
        ("  7\n8  ", "7\n8\n", True),
        ("7\n\n8", "7\n8", -2),  # an inner blank line changes the line count
        ("YES", "yes", -2),  # case-sensitive
        ("1, 2", "1 2", -2),  # "1," is not a Decimal
        ("NaN", "nan", -2),  # Decimal NaN never equals NaN
        ("nan", "nan", True),  # identical lines match before any Decimal comparison
    ],
)
def test_stdout_comparison_rules(grader, printed, expected, verdict) -> None:
    response = grade(grader, f"import sys\nsys.stdout.write({printed!r})\n", ["\n"], [expected])
    assert response["results"] == [verdict]


def test_call_based_rules(grader) -> None:
    solution = "class Solution:\n    def f(self, a, b):\n        return {body}\n"
    cases = [
        ("(a, b)", "[1, 2]", [True]),  # tuples are compared as lists
        ("[a, b]", "[1, 2]", [True]),
        ("(a + b) / 2", "1.5", [True]),
        ("(a + b) / 2 + 1e-12", "1.5", [False]),  # exact equality
        ("a + b", "3.0", [True]),  # 3 == 3.0 in Python
        ("str(a + b)", "3", [False]),
        ("defaultdict(int)[a] + Counter([b])[b] + len(List.__name__)", "5", [True]),
    ]  # the prelude imports
    for body, expected, want in cases:
        response = grade(grader, solution.format(body=body), ["1\n2"], [expected], fn_name="f")
        assert response["results"] == want, body


def test_stdin_is_patched_as_in_lcb_runner(grader) -> None:
    reads = {
        "input()": "print(int(input()) * 2)",
        "sys.stdin.read": "import sys\nprint(int(sys.stdin.read()) * 2)",
        "from sys import stdin": "from sys import stdin\nprint(int(stdin.readline()) * 2)",
        "main guard": "def main():\n    print(int(input()) * 2)\n\nif __name__ == '__main__':\n    main()",
        "exit()": "print(int(input()) * 2)\nexit()\nprint('never')",
    }
    for name, code in reads.items():
        assert grade(grader, code, ["21\n"], ["42\n"])["results"] == [True], name
    # sys.stdin is a StringIO: no .buffer (a runtime error under the official rules)
    response = grade(grader, "import sys\nprint(sys.stdin.buffer.read())", ["21\n"], ["42\n"])
    assert response["results"] == [-4] and "buffer" in response["metadata"]["error"]
    # the prelude's `from builtins import *` binds `open` before builtins.open is patched: open(0) reads the
    # process's real (empty) stdin, so the program fails, as under lcb_runner
    assert grade(grader, "print(int(open(0).read()) * 2)", ["21\n"], ["42\n"])["results"] == [-4]


def test_state_persists_across_tests_of_one_problem(grader) -> None:
    # one process per problem, as lcb_runner: module state and the Solution instance carry over between tests
    code = "class Solution:\n    calls = 0\n    def f(self, x):\n        self.calls += 1\n        return self.calls\n"
    assert grade(grader, code, ["0", "0", "0"], ["1", "2", "3"], fn_name="f")["results"] == [True, True, True]


def test_first_failure_stops_the_run(grader) -> None:
    response = grade(grader, "print(input())", ["a\n", "b\n", "c\n"], ["a\n", "x\n", "c\n"])
    assert response["results"] == [True, -2]


def test_timeouts(grader) -> None:
    tle = grade(grader, "while True:\n    pass", ["\n", "\n"], ["1", "1"], timeout=1)
    assert tle["results"] == [-3] and tle["elapsed"] < 3
    # a program that swallows the per-test alarm hits the global limit (timeout + 1) * n + 5 and scores -1 each
    stubborn = "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass"
    hung = grade(grader, stubborn, ["\n"], ["1"], timeout=1)
    assert hung["results"] == [-1] and hung["phase"] == "global_timeout"
    assert 7 <= hung["elapsed"] < 9


def test_programs_that_end_the_process_get_no_result(grader) -> None:
    died = grade(
        grader,
        "import sys\nclass Solution:\n    def f(self, x):\n        sys.exit(1)",
        ["1", "2"],
        ["1", "2"],
        fn_name="f",
    )
    assert died["results"] == [-1, -1] and died["phase"] == "died"
    missing = grade(grader, "class Solution:\n    def g(self, x):\n        return x", ["1"], ["1"], fn_name="f")
    assert missing["results"] == [-4] and missing["phase"] == "compile"


def test_big_integers_and_deep_recursion_are_allowed(grader) -> None:
    assert grade(grader, "print(7 ** 8000)", ["\n"], [str(7**8000)])["results"] == [True]
    deep = "def d(n):\n    return 0 if n == 0 else 1 + d(n - 1)\nprint(d(20000))"
    assert grade(grader, deep, ["\n"], ["20000"])["results"] == [True]


def test_processes_left_behind_do_not_delay_the_result(grader) -> None:
    code = "import posix, time\nif posix.fork() == 0:\n    time.sleep(30)\nprint(input())"
    response = grade(grader, code, ["7\n"], ["7\n"])
    assert response["results"] == [True] and response["elapsed"] < 5


def test_options_reach_the_log_as_json_values() -> None:
    from harness.run import _task_args

    options = parse_options(
        get_suite("livecodebench"), {"start_date": "2024-08-01", "data_dir": "/data/lcb", "release": "v6"}
    )
    assert _task_args(options) == {
        "release": "v6",
        "start_date": "2024-08-01",
        "data_dir": "/data/lcb",
        "data": "sample",
    }
