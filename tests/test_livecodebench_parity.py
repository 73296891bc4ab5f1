"""LiveCodeBench grading parity with upstream lcb_runner's own code (../shared/reference/livecodebench): the corpus
of suites/livecodebench/parity/ graded by both must give identical per-test results and error metadata, and the
grader image's package pins must be those of lcb_runner's uv.lock. Skips when ../shared is absent."""

from __future__ import annotations

import pytest

from harness.parity import CHECKS, main
from suites.livecodebench import parity


@pytest.fixture(scope="module")
def reference():
    path = parity.reference_dir()
    if not (path / "lcb_runner" / "evaluation" / "testing_util.py").is_file():
        pytest.skip(f"no lcb_runner reference at {path} (../shared is absent; set HARNESS_SHARED)")
    return path


def test_corpus_is_large_and_well_formed() -> None:
    programs = parity.load_corpus()
    assert len(programs) >= 80
    assert len({p.name for p in programs}) == len(programs)
    assert all(p.about and p.code.strip() and len(p.inputs) == len(p.outputs) for p in programs)
    assert {p.fn_name is None for p in programs} == {True, False}  # stdin and call-based problems


def test_upstream_commit_is_pinned_in_data_and_readme() -> None:
    from suites.livecodebench.dataset import HERE

    commit = parity.upstream_commit()
    assert len(commit) == 40
    assert commit in (HERE / "README.md").read_text()
    assert "livecodebench" in CHECKS


def test_image_pins_are_upstreams_locked_versions(reference) -> None:
    assert parity.lock_differences(reference) == []
    assert parity.pinned_versions()["numpy"] == "2.2.5"


def test_a_difference_is_reported() -> None:
    programs = parity.load_corpus()[:1]
    upstream = {programs[0].name: {"results": [-2], "metadata": {"error_code": -5, "error_message": "TestRunnerError"}}}
    ours = {programs[0].name: {"results": [-1], "metadata": {"error_code": -1, "error_message": "global timeout"}}}
    assert len(parity.compare(programs, upstream, ours)) == 1
    assert parity.compare(programs, upstream, upstream) == []


@pytest.mark.docker
def test_corpus_grades_identically_to_lcb_runner(docker_engine, reference, capsys) -> None:
    assert main(["--suite", "livecodebench"]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    n = len(parity.load_corpus())
    assert f"livecodebench: {n}/{n} programs identical to lcb_runner 28fef95" in out, out
