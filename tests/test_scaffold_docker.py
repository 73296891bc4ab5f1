"""End to end in Docker: a fake DeepSeek API drives the real scaffold through the real provider in a Terminal-Bench
sandbox; the run writes its manifest (response models, hashes, images, cost) and the key never reaches the sandbox.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from fakes import FakeModelServer, Reply, Request, chat_completion, deepseek_usage, tool_call
from fakes.policy import fast_policy

from harness import run
from harness.cost import usage_cost
from harness.results import load
from harness.results.calls import read_calls
from harness.run import EvalRequest, run_eval

pytestmark = pytest.mark.docker

KEY = "sk-fake-deepseek-0123456789abcdef"
COMMAND = "echo 'Hello, world!' > /app/hello.txt; env | grep -c -i -e deepseek -e api_key || true"


def model_turn(request: Request) -> Reply:
    """Turn 1: act in the shell; turn 2: submit. Cache hits grow as the prefix is reused."""
    turn = sum(1 for m in request.body["messages"] if m["role"] == "assistant")
    usage = deepseek_usage(2_000 + 500 * turn, 80, cache_hit=1_500 * turn)
    if turn == 0:
        call = tool_call("bash_session", {"action": "type_submit", "input": COMMAND})
        return Reply(chat_completion(reasoning_content="Write the file.", tool_calls=[call], usage=usage))
    call = tool_call("submit", {"answer": "done"})
    return Reply(chat_completion(reasoning_content="Done.", tool_calls=[call], usage=usage))


def test_fake_deepseek_drives_the_scaffold_in_docker(docker_engine, results_dir, monkeypatch) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", KEY)
    monkeypatch.setattr(run, "policy", lambda: fast_policy())
    with FakeModelServer(responder=model_turn) as server:
        outcome = run_eval(
            EvalRequest(
                model="deepseek-v4-pro",
                suites=["terminal_bench"],
                options={"data": "sample", "limit": 1},
                base_url=server.openai_url,
            )
        )
        requests = server.model_requests()
    assert outcome.success

    df = load([outcome.run_dir / "logs"])
    assert dict(zip(df["task"], df["score"], strict=True)) == {"hello-file": 1.0}

    assert len(requests) == 2
    assistant = next(m for m in requests[1].body["messages"] if m["role"] == "assistant")
    assert assistant["reasoning_content"] == "Write the file."
    shell_output = next(m for m in requests[1].body["messages"] if m["role"] == "tool")["content"]
    assert KEY not in shell_output
    # `grep -c` found no key variable in the sandbox (the output starts after the shell setup's prompt)
    assert re.search(r"(^|# )0\n", shell_output, re.MULTILINE), shell_output

    record = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert record["model"]["inspect_model"] == "deepseek/deepseek-v4-pro"
    assert record["model"]["response_models"] == {"deepseek-v4-pro": 2}
    assert record["model"]["price_plan"] == "list" and record["model"]["model_id"] == "deepseek-v4-pro"
    assert record["versions"]["inspect_ai"] and record["versions"]["git_sha"]
    assert record["suites"]["terminal_bench"]["scaffold_hash"] and record["policy"]["hash"]
    assert record["images"]["built"] and all(record["images"]["built"].values())
    assert record["started"] <= record["finished"]
    [row] = pd.read_csv(outcome.run_dir / "samples.csv").to_dict("records")
    assert (row["input_tokens"], row["cache_read_tokens"], row["output_tokens"]) == (2_000 + 1_000, 1_500, 160)
    calls = [c for cs in read_calls(str(next((outcome.run_dir / "logs").glob("*.eval")))).values() for c in cs]
    assert row["cost_usd"] == pytest.approx(sum(usage_cost("deepseek-v4-pro", c.usage, c.at) for c in calls))
    assert row["price_windows"] in ("list/peak=2", "list/off-peak=2", "list/off-peak=1;list/peak=1")
    assert (row["model_calls"], row["api_attempts"], row["api_retries"]) == (2, 2, 0)
    assert row["response_models"] == "deepseek-v4-pro=2" and row["passed"]
    assert KEY not in "".join(p.read_bytes().decode("latin-1") for p in (outcome.run_dir / "logs").rglob("*.eval"))
