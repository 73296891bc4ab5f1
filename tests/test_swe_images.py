"""Official images: pulled by the row's name (mirror/namespace override), retried on Docker Hub 429s, and a failing
registry is a one-line error; every sample gets an agent and a separate evaluation container from one image."""

from __future__ import annotations

import subprocess

import pytest

from harness import images
from harness.cli import main
from harness.errors import HarnessError
from harness.suite import parse_options
from suites.swe_verified import sandbox
from suites.swe_verified.dataset import FIXTURES_FILE
from suites.swe_verified.task import SUITE, Options
from suites.swe_verified.task import images as suite_images
from suites.swe_verified.task import instances as suite_instances


class FakeDocker:
    """Stands in for the docker CLI: image absent, `pull` answers from a list of (returncode, stderr)."""

    def __init__(self, pulls: list[tuple[int, str]]) -> None:
        self.pulls = list(pulls)
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, *args: str, check: bool = True, **kwargs: object) -> subprocess.CompletedProcess[str]:
        self.calls.append(args)
        if args[0] == "pull":
            code, err = self.pulls.pop(0)
            return subprocess.CompletedProcess(args, code, "", err)
        if args[:2] == ("image", "inspect"):
            pulled = any(c[0] == "pull" for c in self.calls) and not self.pulls
            out = '["swebench/x@sha256:abc"]' if "RepoDigests" in args[3] else "sha256:1"
            return subprocess.CompletedProcess(args, 0 if pulled else 1, out if pulled else "", "")
        return subprocess.CompletedProcess(args, 0, "26.1", "")


THROTTLED = "Error response from daemon: toomanyrequests: You have reached your pull rate limit (HTTP 429)"


def test_pull_retries_429_with_backoff_and_records_the_digest(monkeypatch) -> None:
    fake = FakeDocker([(1, THROTTLED), (1, THROTTLED), (0, "")])
    sleeps: list[float] = []
    monkeypatch.setattr(images, "docker", fake)
    monkeypatch.setattr(images.time, "sleep", sleeps.append)
    assert images.pull(["swebench/x:latest"]) == {"swebench/x:latest": "swebench/x@sha256:abc"}
    assert sleeps == [5.0, 10.0]
    assert [c for c in fake.calls if c[0] == "pull"] == [("pull", "-q", "swebench/x:latest")] * 3


def test_pull_gives_up_after_the_last_attempt_and_fails_fast_on_other_errors(monkeypatch) -> None:
    monkeypatch.setattr(images.time, "sleep", lambda s: None)
    monkeypatch.setattr(images, "docker", FakeDocker([(1, THROTTLED)] * 3))
    with pytest.raises(HarnessError, match=r"pulling swebench/x:latest failed: .*toomanyrequests"):
        images.pull(["swebench/x:latest"], attempts=3)
    fake = FakeDocker([(1, "Error response from daemon: manifest unknown")])
    monkeypatch.setattr(images, "docker", fake)
    with pytest.raises(HarnessError, match="manifest unknown"):
        images.pull(["swebench/x:latest"])
    assert sum(c[0] == "pull" for c in fake.calls) == 1


def test_mirror_pull_is_tagged_with_the_official_name(monkeypatch) -> None:
    fake = FakeDocker([(0, "")])
    monkeypatch.setattr(images, "docker", fake)
    images.pull(["swebench/sweb.eval.x86_64.a:latest"], mirror="mirror.example.com")
    assert ("pull", "-q", "mirror.example.com/swebench/sweb.eval.x86_64.a:latest") in fake.calls
    assert (
        "tag",
        "mirror.example.com/swebench/sweb.eval.x86_64.a:latest",
        "swebench/sweb.eval.x86_64.a:latest",
    ) in fake.calls


def test_full_data_pulls_each_official_image_once_and_fixtures_build() -> None:
    opts = parse_options(SUITE, {"data": "full", "dataset": str(FIXTURES_FILE), "mirror": "myorg"})
    refs = [s.ref for s in suite_images(opts)]
    assert refs == [
        f"myorg/sweb.eval.x86_64.harness-fixtures_1776_{n}:latest"
        for n in ("calc-1", "dates-3", "inventory-4", "textkit-2")
    ]
    builds = suite_images(Options())
    assert builds[0] == sandbox.ENV_BUILD and all(isinstance(b, images.ImageBuild) for b in builds)
    assert builds[1].build_args["INSTANCE"] == "harness-fixtures__calc-1"


def test_each_sample_has_an_agent_and_a_fresh_evaluation_container() -> None:
    spec = sandbox.spec("swebench/sweb.eval.x86_64.a:latest", eval_network=True)
    services = spec.config.services
    assert set(services) == {"default", "eval"}
    agent, ev = services["default"], services["eval"]
    assert agent.image == ev.image == "swebench/sweb.eval.x86_64.a:latest"
    assert agent.working_dir == ev.working_dir == "/testbed"
    assert agent.model_dump(by_alias=True).get("network_mode") == "none"
    assert ev.model_dump(by_alias=True).get("network_mode") is None
    closed = sandbox.spec("x:1", eval_network=False).config.services["eval"]
    assert closed.model_dump(by_alias=True).get("network_mode") == "none"


@pytest.mark.docker
def test_unreachable_registry_is_a_one_line_error(docker_engine, capsys) -> None:
    code = main(
        [
            "images",
            "pull",
            "--suite",
            "swe_verified",
            "--data",
            "full",
            "--dataset",
            str(FIXTURES_FILE),
            "--instance-ids",
            "harness-fixtures__calc-1",
            "--mirror",
            "127.0.0.1:9",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith(
        "error: pulling 127.0.0.1:9/harness-swe/sweb.eval.x86_64.harness-fixtures_1776_calc-1:latest failed:"
    )
    assert "Traceback" not in err
    assert len(suite_instances(parse_options(SUITE, {"instance_ids": "harness-fixtures__calc-1"}))) == 1
