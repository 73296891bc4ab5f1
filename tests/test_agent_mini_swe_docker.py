"""`--agent mini-swe-agent` end to end in Docker: a fake DeepSeek API plays mini's own format (THOUGHT text and bash
tool calls, its submission command) through the real provider, mini's DefaultAgent acts on the sample's sandbox.

Terminal-Bench: a competent episode scores 1 with the fake's usage priced in the samples table, and the key never
reaches the sandbox; an episode that never submits stops at the turn budget (a limit, not an error) and scores 0.
SWE-bench Verified: mini's submitted patch is what is graded (resolved), and a submission without the patch scores 0
although the working tree holds the fix.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fakes import FakeModelServer, Reply, Request, chat_completion, deepseek_usage, tool_call
from fakes.policy import fast_policy

from harness import agent_mini_swe, run
from harness.cost import usage_cost
from harness.results.calls import read_calls
from harness.run import EvalRequest, run_eval
from harness.scaffold import budgets

pytestmark = pytest.mark.docker

KEY = "sk-fake-deepseek-0123456789abcdef"
SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT"


def turn_of(request: Request) -> int:
    return sum(1 for m in request.body["messages"] if m["role"] == "assistant")


def bash_reply(thought: str, command: str, turn: int) -> Reply:
    """One reply in mini's format: its reasoning as text, one bash tool call; usage grows with the prefix."""
    usage = deepseek_usage(2_000 + 500 * turn, 80, cache_hit=1_500 * turn)
    return Reply(
        chat_completion(
            content=f"THOUGHT: {thought}", tool_calls=[tool_call("bash", {"command": command})], usage=usage
        )
    )


def episode(*steps: tuple[str, str]):
    """A responder playing `steps` (thought, command) in order, by the number of assistant turns so far."""

    def respond(request: Request) -> Reply:
        turn = turn_of(request)
        thought, command = steps[min(turn, len(steps) - 1)]
        return bash_reply(thought, command, turn)

    return respond


def samples_row(run_dir) -> dict:
    [row] = pd.read_csv(run_dir / "samples.csv").to_dict("records")
    return row


def priced_calls(run_dir) -> float:
    calls = [c for cs in read_calls(str(next((run_dir / "logs").glob("*.eval")))).values() for c in cs]
    return sum(usage_cost("deepseek-v4-pro", c.usage, c.at) for c in calls)


def eval_mini(server: FakeModelServer, suite: str, options: dict) -> run.EvalOutcome:
    return run_eval(
        EvalRequest(
            model="deepseek-v4-pro",
            suites=[suite],
            options=options,
            base_url=server.openai_url,
            agent="mini-swe-agent",
        )
    )


@pytest.fixture
def fake_deepseek(monkeypatch, results_dir):
    monkeypatch.setenv("DEEPSEEK_API_KEY", KEY)
    monkeypatch.setattr(run, "policy", lambda: fast_policy())


def test_mini_solves_terminal_bench_sample(docker_engine, fake_deepseek) -> None:
    respond = episode(
        (
            "Write the file, and check no key is in the environment.",
            "echo 'Hello, world!' > /app/hello.txt; env | grep -c -i -e deepseek -e api_key; pwd",
        ),
        ("The file is written; I am done.", SUBMIT),
    )
    with FakeModelServer(responder=respond) as server:
        outcome = eval_mini(server, "terminal_bench", {"data": "sample", "limit": 1})
        requests = server.model_requests()
    assert outcome.success
    assert len(requests) == 2

    first = requests[0].body
    assert [t["function"]["name"] for t in first["tools"]] == ["bash"]
    assert first["messages"][0]["content"].strip() == "You are a helpful assistant that can interact with a computer."
    assert "Please solve this issue:" in first["messages"][1]["content"]  # mini.yaml's instance template
    observation = next(m for m in requests[1].body["messages"] if m["role"] == "tool")["content"]
    assert KEY not in observation
    # mini.yaml's observation: `grep -c` found no key variable; the command ran in the container's working directory
    assert json.loads(observation) == {"returncode": 0, "output": "0\n/app\n"}

    row = samples_row(outcome.run_dir)
    assert row["score"] == 1.0 and row["agent_name"] == "mini-swe-agent" and row["agent_version"] == "2.4.6"
    assert (row["input_tokens"], row["cache_read_tokens"], row["output_tokens"]) == (2_000 + 1_000, 1_500, 160)
    assert row["model_calls"] == 2 and pd.isna(row["error"]) and pd.isna(row["limit"])
    assert row["cost_usd"] == pytest.approx(priced_calls(outcome.run_dir)) and row["cost_usd"] > 0

    record = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert record["agent"]["agent_name"] == "mini-swe-agent" and record["agent"]["agent_version"] == "2.4.6"
    assert record["run"]["agent"] == "mini-swe-agent"
    assert KEY not in "".join(p.read_bytes().decode("latin-1") for p in (outcome.run_dir / "logs").rglob("*.eval"))


def test_mini_that_never_submits_stops_at_the_turn_budget(docker_engine, fake_deepseek, monkeypatch) -> None:
    monkeypatch.setattr(agent_mini_swe, "budgets", lambda suite: budgets(suite).model_copy(update={"max_steps": 3}))
    with FakeModelServer(responder=episode(("Look around.", "ls"))) as server:
        outcome = eval_mini(server, "terminal_bench", {"data": "sample", "limit": 1})
        requests = server.model_requests()
    assert len(requests) == 3
    row = samples_row(outcome.run_dir)
    assert row["score"] == 0.0 and row["limit"] == "turn" and pd.isna(row["error"])


def swe_episodes(request: Request) -> Reply:
    """calc-1: fix, write the patch, submit it. dates-3: fix the tree too, but submit without the patch."""
    turn = turn_of(request)
    task = request.body["messages"][1]["content"]
    if "divide() truncates" in task:
        steps = [
            ("Fix the floor division.", "sed -i 's|return a // b|return a / b|' calc/ops.py"),
            ("Write the patch.", "git diff -- calc/ops.py > patch.txt"),
            ("Submit it.", f"{SUBMIT} && cat patch.txt"),
        ]
    else:
        steps = [
            ("Fix the leap year rule in the working tree.", "echo '# touched' >> dates/__init__.py"),
            ("Submit nothing.", SUBMIT),
        ]
    thought, command = steps[min(turn, len(steps) - 1)]
    return bash_reply(thought, command, turn)


def test_mini_submission_is_what_swe_grades(docker_engine, fake_deepseek) -> None:
    ids = "harness-fixtures__calc-1,harness-fixtures__dates-3"
    with FakeModelServer(responder=swe_episodes) as server:
        outcome = eval_mini(server, "swe_verified", {"data": "sample", "instance_ids": ids})
        requests = server.model_requests()
    first = requests[0].body["messages"]
    assert "<pr_description>" in first[1]["content"] and "/testbed" in first[1]["content"]  # swebench.yaml
    assert first[0]["content"].startswith("You are a helpful assistant that can interact with a computer shell")

    from inspect_ai.log import read_eval_log_samples

    (log,) = sorted((outcome.run_dir / "logs").glob("*.eval"))
    scores = {s.id: next(iter(s.scores.values())) for s in read_eval_log_samples(str(log))}
    calc, dates = scores["harness-fixtures__calc-1"], scores["harness-fixtures__dates-3"]
    assert calc.value == 1.0 and calc.metadata["patch_source"] == "submitted"
    assert calc.answer.startswith("diff --git a/calc/ops.py b/calc/ops.py")
    assert dates.value == 0.0 and dates.metadata["empty_patch"] and dates.answer == ""
    preds = {
        row["instance_id"]: row
        for row in map(json.loads, (outcome.run_dir / "swe_verified" / "predictions.jsonl").read_text().splitlines())
    }
    assert preds["harness-fixtures__calc-1"]["model_patch"] == calc.answer
