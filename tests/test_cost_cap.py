"""`harness eval --cost-cap USD`: the run stops starting samples once spent, says so, and resumes later."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fakes import FakeModelServer, deepseek_usage
from fakes.policy import fast_policy
from fakes.responders import sum_solver
from fakes.toy_suite import use_toy_suite

from harness import run
from harness.cli import main

# per call: 5,000 cache-miss + 5,000 cache-hit input tokens, 1,000 output tokens
USAGE = deepseek_usage(10_000, 1_000, cache_hit=5_000)
LAUNCH = (5_000 * 0.435 + 5_000 * 0.003625 + 1_000 * 0.87) / 1e6  # $0.003063 per sample (one call)
FULL = (10_000 * 1.74 + 1_000 * 3.48) / 1e6  # full plan publishes no cache-hit price: hits billed as input


@pytest.fixture()
def toy(monkeypatch: pytest.MonkeyPatch, results_dir) -> None:
    use_toy_suite(monkeypatch)
    monkeypatch.setattr(run, "policy", lambda: fast_policy())
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-fake-key")


def toy_eval(server: FakeModelServer, *extra: str) -> list[str]:
    """`harness eval` of DeepSeek-V4-Pro (served by the fake) on the toy suite."""
    return ["eval", "--model", "deepseek-v4-pro", "--suite", "toy", "--base-url", server.openai_url, *extra]


def test_cost_cap_stops_new_samples_and_resume_continues(toy, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeModelServer(responder=sum_solver(usage=USAGE)) as server:
        code = main(toy_eval(server, "--max-samples", "1", "--cost-cap", "0.005"))
        requests = len(server.model_requests())
    err = capsys.readouterr().err
    assert code == 4  # harness.exit_codes.STOPPED
    assert "stopped starting samples: cost cap $0.005 reached ($0.0061 spent)" in err
    assert requests == 2  # sample 1 ($0.0031) and sample 2 (reaching $0.0061) ran; sample 3 did not start
    [run_dir] = list(run.runs_dir().iterdir())
    samples = pd.read_csv(run_dir / "samples.csv")
    assert list(samples["task"]) == ["sum-2-3", "sum-4-5"]
    assert samples["cost_usd"].tolist() == pytest.approx([LAUNCH, LAUNCH])
    record = json.loads((run_dir / "manifest.json").read_text())
    assert record["run"]["cost_cap_usd"] == 0.005 and record["stop_reason"].startswith("cost cap $0.005")
    assert record["samples"] == {"planned": 3, "logged": 2, "scored": 2, "errored": 0}
    assert record["cost"]["cost_usd"] == pytest.approx(2 * LAUNCH)
    assert record["cost"]["usd_per_solved"] == pytest.approx(LAUNCH)
    assert record["model"]["price_plan"] == "launch-discount"

    with FakeModelServer(responder=sum_solver(usage=USAGE)) as server:
        code = main(toy_eval(server, "--max-samples", "1", "--cost-cap", "1", "--resume", run_dir.name))
        requests = len(server.model_requests())
    assert code == 0 and requests == 1
    samples = pd.read_csv(run_dir / "samples.csv")
    assert sorted(samples["task"]) == ["sum-2-3", "sum-4-5", "sum-6-7"]
    assert json.loads((run_dir / "manifest.json").read_text())["cost"]["cost_usd"] == pytest.approx(3 * LAUNCH)


def test_price_plan_is_selected_and_recorded(toy) -> None:
    with FakeModelServer(responder=sum_solver(usage=USAGE)) as server:
        code = main(toy_eval(server, "--limit", "1", "--price-plan", "deepseek-v4-pro=full"))
    assert code == 0
    [run_dir] = list(run.runs_dir().iterdir())
    record = json.loads((run_dir / "manifest.json").read_text())
    assert record["model"]["price_plan"] == "full"
    assert record["model"]["price_usd_per_1m"]["input"] == 1.74
    assert record["cost"]["cost_usd"] == pytest.approx(FULL)


def test_cost_cap_needs_a_priced_model(toy, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", "http://127.0.0.1:9/v1")
    code = main(["eval", "--model", "openai-compatible/my-model", "--suite", "toy", "--cost-cap", "5"])
    assert code == 2
    assert "--cost-cap: model openai-compatible/my-model has no price" in capsys.readouterr().err
