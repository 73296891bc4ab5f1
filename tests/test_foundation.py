"""The whole path in real Docker sandboxes: dataset, sandbox, solver, scorer, logs, results table, manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import images
from harness.results import load
from harness.run import EvalRequest, run_eval

pytestmark = pytest.mark.docker
TB_TWO = {"task_names": "hello-file,sum-numbers"}  # two of the terminal_bench samples keep these tests short


def scores(run_dir: Path) -> dict[str, float]:
    df = load([run_dir / "logs"])
    return dict(zip(df["task"], df["score"], strict=True))


def test_oracle_scores_one_and_noop_zero(docker_engine, results_dir) -> None:
    oracle = run_eval(EvalRequest(model="oracle", suites=["terminal_bench"], options=TB_TWO))
    assert oracle.success
    assert scores(oracle.run_dir) and set(scores(oracle.run_dir).values()) == {1.0}
    noop = run_eval(EvalRequest(model="noop", suites=["terminal_bench"], options=TB_TWO))
    assert set(scores(noop.run_dir).values()) == {0.0}
    for name in ("manifest.json", "samples.csv", "summary.csv"):
        assert (oracle.run_dir / name).is_file()
    manifest = json.loads((oracle.run_dir / "manifest.json").read_text())
    assert manifest["model"]["alias"] == "oracle"
    assert manifest["policy"]["hash"] and manifest["suites"]["terminal_bench"]["scaffold_hash"]
    assert manifest["finished"]


def test_scripted_model_drives_the_scaffold_through_tool_calls(docker_engine, results_dir, tmp_path) -> None:
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(
            {
                "hello-file": [
                    {
                        "tool_calls": [
                            {
                                "function": "bash_session",
                                "arguments": {
                                    "action": "type_submit",
                                    "input": "echo 'Hello, world!' > /app/hello.txt",
                                },
                            }
                        ]
                    },
                    {"tool_calls": [{"function": "submit", "arguments": {"answer": "done"}}]},
                ],
                "*": [{"tool_calls": [{"function": "submit", "arguments": {"answer": "skip"}}]}],
            }
        )
    )
    run = run_eval(EvalRequest(model="scripted", suites=["terminal_bench"], script=script, options=TB_TWO))
    assert scores(run.run_dir) == {"hello-file": 1.0, "sum-numbers": 0.0}


def test_second_image_build_does_nothing(docker_engine, capsys) -> None:
    from suites.terminal_bench.task import Options
    from suites.terminal_bench.task import images as suite_images

    specs = [s for s in suite_images(Options()) if isinstance(s, images.ImageBuild)]
    images.ensure_built(specs)
    capsys.readouterr()
    images.ensure_built(specs)
    err = capsys.readouterr().err
    assert err.count("is up to date; nothing to do") == len(specs)
    assert "building" not in err


def test_from_images_are_read_with_args_and_without_stages() -> None:
    text = (
        "ARG BASE=example.org/tb/base:1\nFROM ${BASE} AS build\nRUN make\n"
        "FROM --platform=linux/amd64 python:3.13-slim\nCOPY --from=build /out /out\n"
        "COPY --from=example.org/tools:2 /bin/tool /bin/\nFROM scratch\n"
    )
    assert images.from_images(text, {}) == ["example.org/tb/base:1", "python:3.13-slim", "example.org/tools:2"]
    assert images.from_images(text, {"BASE": "mine:2"})[0] == "mine:2"


def test_a_changed_from_image_gives_a_new_content_tag(docker_engine, tmp_path) -> None:
    # a task image FROM another local image: when that image changes, its tag changes, so the stale build is not
    # reused ("up to date; nothing to do") with the old base underneath
    base_ref = "harness-test-from-base:latest"
    (tmp_path / "base").mkdir()
    (tmp_path / "child").mkdir()
    (tmp_path / "child" / "Dockerfile").write_text(f"FROM {base_ref}\nRUN cat /marker\n")
    child = images.ImageBuild(name="harness-test-from-child", context=tmp_path / "child")
    tags = []
    try:
        for marker in ("one", "two"):
            (tmp_path / "base" / "Dockerfile").write_text(f"FROM {images.BASE_IMAGE}\nRUN echo {marker} > /marker\n")
            images.docker("build", "-q", "-t", base_ref, str(tmp_path / "base"))
            tags.append(child.tag)
        assert tags[0] != tags[1]
        assert child.tag == tags[1]  # stable while nothing changes
    finally:
        images.docker("image", "rm", "-f", base_ref, check=False)
