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
from harness.cost import usage_cost

# per call: 5,000 cache-miss + 5,000 cache-hit input tokens, 1,000 output tokens
USAGE = deepseek_usage(10_000, 1_000, cache_hit=5_000)
CALL_USAGE = {"input_tokens": 5_000, "input_tokens_cache_read": 5_000, "output_tokens": 1_000}


def per_sample() -> float:
    """One sample's cost (one call) under the rates in force now: DeepSeek bills peak and off-peak hours apart."""
    cost = usage_cost("deepseek-v4-pro", CALL_USAGE)
    assert cost is not None
    return cost


@pytest.fixture()
def toy(monkeypatch: pytest.MonkeyPatch, results_dir) -> None:
    use_toy_suite(monkeypatch)
    monkeypatch.setattr(run, "policy", lambda: fast_policy())
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-fake-key")


def toy_eval(server: FakeModelServer, *extra: str) -> list[str]:
    """`harness eval` of DeepSeek-V4-Pro (served by the fake) on the toy suite."""
    return ["eval", "--model", "deepseek-v4-pro", "--suite", "toy", "--base-url", server.openai_url, *extra]


def test_cost_cap_stops_new_samples_and_resume_continues(toy, capsys: pytest.CaptureFixture[str]) -> None:
    each = per_sample()
    cap = round(1.5 * each, 6)  # sample 1 stays under it, sample 2 reaches it, sample 3 does not start
    with FakeModelServer(responder=sum_solver(usage=USAGE)) as server:
        code = main(toy_eval(server, "--max-samples", "1", "--cost-cap", str(cap)))
        requests = len(server.model_requests())
    err = capsys.readouterr().err
    assert code == 4  # harness.exit_codes.STOPPED
    assert f"stopped starting samples: cost cap ${cap:g} reached (${2 * each:.4f} spent)" in err
    assert requests == 2
    [run_dir] = list(run.runs_dir().iterdir())
    samples = pd.read_csv(run_dir / "samples.csv")
    assert list(samples["task"]) == ["sum-2-3", "sum-4-5"]
    assert samples["cost_usd"].tolist() == pytest.approx([each, each], rel=0.01)
    record = json.loads((run_dir / "manifest.json").read_text())
    assert record["run"]["cost_cap_usd"] == cap and record["stop_reason"].startswith(f"cost cap ${cap:g}")
    assert record["samples"] == {"planned": 3, "logged": 2, "scored": 2, "errored": 0}
    assert record["cost"]["cost_usd"] == pytest.approx(2 * each, rel=0.01)
    assert record["cost"]["usd_per_solved"] == pytest.approx(each, rel=0.01)
    assert record["model"]["price_plan"] == "list"

    with FakeModelServer(responder=sum_solver(usage=USAGE)) as server:
        code = main(toy_eval(server, "--max-samples", "1", "--cost-cap", "1", "--resume", run_dir.name))
        requests = len(server.model_requests())
    assert code == 0 and requests == 1
    samples = pd.read_csv(run_dir / "samples.csv")
    assert sorted(samples["task"]) == ["sum-2-3", "sum-4-5", "sum-6-7"]
    assert json.loads((run_dir / "manifest.json").read_text())["cost"]["cost_usd"] == pytest.approx(3 * each, rel=0.01)


def test_an_ended_discount_plan_prices_calls_at_the_rates_in_force(toy) -> None:
    with FakeModelServer(responder=sum_solver(usage=USAGE)) as server:
        code = main(toy_eval(server, "--limit", "1", "--price-plan", "deepseek-v4-pro=launch-discount"))
    assert code == 0
    [run_dir] = list(run.runs_dir().iterdir())
    record = json.loads((run_dir / "manifest.json").read_text())
    assert record["model"]["price_plan"] == "launch-discount"
    assert record["cost"]["cost_usd"] == pytest.approx(per_sample(), rel=0.01)  # the discount ended in May 2026


def test_cost_cap_needs_a_priced_model(toy, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", "http://127.0.0.1:9/v1")
    code = main(["eval", "--model", "openai-compatible/my-model", "--suite", "toy", "--cost-cap", "5"])
    assert code == 2
    assert "--cost-cap: model openai-compatible/my-model has no price" in capsys.readouterr().err
