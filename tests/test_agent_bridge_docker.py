"""Bridge agents end to end in Docker: the real Claude Code and Codex CLIs (installed into the task images at build
time) in Terminal-Bench and SWE-bench fixture sandboxes, their model calls through inspect's sandbox agent bridge to
the harness provider and a fake DeepSeek API that plays short episodes in each CLI's own tool format.

Each agent solves hello-file and the calc-1 fixture (score 1) and does nothing on sum-numbers (score 0); tokens and
cost are the fake's usage at the price table's rates; the manifest records the agent, its CLI and images; no API
key is in the sandbox's environment, files or processes. The agent phase stops at the suite's time limit, and
`make eval AGENT=claude-code` runs against the fake.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fakes import (
    FakeModelServer,
    Reply,
    Request,
    anthropic_message,
    anthropic_usage,
    chat_completion,
    deepseek_usage,
    text_block,
    tool_call,
    tool_use_block,
)
from fakes.policy import fast_policy
from inspect_ai.log import read_eval_log

from harness import run
from harness.cost import usage_cost
from harness.paths import REPO_ROOT
from harness.results.calls import read_calls
from harness.run import EvalRequest, run_eval

pytestmark = pytest.mark.docker

KEY = "sk-fake-deepseek-0123456789abcdef"
FOUND = re.compile(r"KEYS_FOUND=(\d+)")
# the key's occurrences in the sandbox: environment and command line of every process, files where a CLI keeps
# its settings (the bracket keeps the pattern from matching the grep's own command line)
LEAK_CHECK = (
    "pattern='s[k]-fake-deepseek-0123456789abcdef'; "
    "n=$({ for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ; tr '\\0' ' ' < $p/cmdline; echo; done; "
    'grep -rshI -e "$pattern" /root /home /tmp /etc /app /testbed /var/tmp; } 2>/dev/null | grep -c -e "$pattern"); '
    "echo KEYS_FOUND=$n"
)
HELLO = "echo 'Hello, world!' > /app/hello.txt"
CALC = "/testbed/calc/ops.py"
CODEX_PATCH = (
    "apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: calc/ops.py\n@@\n"
    "-    return a // b\n+    return a / b\n*** End Patch\nEOF"
)
EPISODES: dict[str, dict[str, list[tuple[str, dict[str, Any]] | None]]] = {
    # per task: the tool call of each turn of the main conversation; None ends the episode with a message
    "claude-code": {
        "/app/hello.txt": [("Bash", {"command": f"{HELLO}; {LEAK_CHECK}", "description": "Write the file"}), None],
        "divide() truncates": [
            ("Read", {"file_path": CALC}),
            ("Edit", {"file_path": CALC, "old_string": "    return a // b", "new_string": "    return a / b"}),
            None,
        ],
        "/app/numbers.txt": [None],  # the model ends at once: a no-op
    },
    "codex-cli": {
        "/app/hello.txt": [("exec_command", {"cmd": f"{HELLO}; {LEAK_CHECK}"}), None],
        "divide() truncates": [("exec_command", {"cmd": CODEX_PATCH, "workdir": "/testbed"}), None],
        "/app/numbers.txt": [None],
    },
}


class Episodes:
    """The fake model: each request's task is found in its messages, its turn is the number of assistant
    messages; requests without tools (a CLI's side calls) get a short text. Records the usage it serves."""

    def __init__(self, agent: str) -> None:
        self.episodes = EPISODES[agent]
        self.served: list[dict[str, Any]] = []

    def __call__(self, request: Request) -> Reply:
        body = request.body
        turn = sum(1 for m in body["messages"] if m["role"] == "assistant")
        usage = deepseek_usage(3_000 + 700 * turn, 60 + turn, cache_hit=2_000 * turn)
        self.served.append(usage)
        text = json.dumps(body["messages"])
        task = next((name for name in self.episodes if name in text), None)
        if not body.get("tools") or task is None:
            return Reply(chat_completion("ok", usage=usage))
        steps = self.episodes[task]
        step = steps[turn] if turn < len(steps) else None
        if step is None:
            return Reply(chat_completion("Done.", usage=usage))
        name, arguments = step
        assert name in [t["function"]["name"] for t in body["tools"]], f"no {name} among the CLI's tools"
        return Reply(chat_completion(tool_calls=[tool_call(name, arguments)], usage=usage))


def samples(run_dir: Path) -> dict[str, Any]:
    return {str(s.id): s for f in (run_dir / "logs").glob("*.eval") for s in read_eval_log(str(f)).samples or []}


def evaluate(
    agent: str,
    monkeypatch: pytest.MonkeyPatch,
    responder: Callable[[Request], Reply],
    model: str = "deepseek-v4-pro",
    **options: Any,
):
    monkeypatch.setenv("DEEPSEEK_API_KEY", KEY)
    monkeypatch.setattr(run, "policy", lambda: fast_policy())
    suites = options.pop("suites", ["terminal_bench"])
    with FakeModelServer(responder=responder) as server:
        return run_eval(
            EvalRequest(
                model=model,
                suites=suites,
                options={"data": "sample", **options},
                base_url=server.anthropic_url if model.endswith("@anthropic") else server.openai_url,
                agent=agent,
            )
        )


@pytest.mark.parametrize("agent", ["claude-code", "codex-cli"])
def test_bridge_agent_solves_tasks_in_its_own_tool_format(agent, docker_engine, results_dir, monkeypatch) -> None:
    episodes = Episodes(agent)
    outcome = evaluate(
        agent,
        monkeypatch,
        episodes,
        suites=["terminal_bench", "swe_verified"],
        task_names="hello-file,sum-numbers",
        instance_ids="harness-fixtures__calc-1",
    )
    rows = pd.read_csv(outcome.run_dir / "samples.csv").set_index("task")
    assert rows["score"].to_dict() == {"hello-file": 1.0, "sum-numbers": 0.0, "harness-fixtures__calc-1": 1.0}
    assert set(rows["agent_name"]) == {agent} and not rows["errored"].any()

    # the key is nowhere in the sandbox (the CLI's tool output) nor in the logs
    got = samples(outcome.run_dir)
    output = "\n".join(m.text for m in got["hello-file"].messages if m.role == "tool")
    assert FOUND.findall(output) == ["0"], output
    assert KEY not in "".join(p.read_bytes().decode("latin-1") for p in (outcome.run_dir / "logs").glob("*.eval"))

    # every model call the CLI made went through the harness provider: the fake's usage, the price table's cost
    served = episodes.served
    assert rows["model_calls"].sum() == len(served) and rows["api_retries"].sum() == 0
    assert rows["input_tokens"].sum() == sum(u["prompt_tokens"] - u["prompt_cache_hit_tokens"] for u in served)
    assert rows["cache_read_tokens"].sum() == sum(u["prompt_cache_hit_tokens"] for u in served)
    assert rows["output_tokens"].sum() == sum(u["completion_tokens"] for u in served)
    calls = [c for log in (outcome.run_dir / "logs").glob("*.eval") for cs in read_calls(str(log)).values() for c in cs]
    assert len(calls) == len(served)
    assert rows["cost_usd"].sum() == pytest.approx(sum(usage_cost("deepseek-v4-pro", c.usage, c.at) for c in calls))

    record = json.loads((outcome.run_dir / "manifest.json").read_text())
    version = {"claude-code": "2.1.332", "codex-cli": "0.171.0"}[agent]
    assert record["agent"]["agent_name"] == agent and record["agent"]["agent_version"] == version
    assert version in record["agent"]["cli_version"] and record["run"]["agent"] == agent
    layered = record["images"]["agent"]["terminal_bench"]["layered"]
    assert all(entry["tag"].startswith(f"harness-{agent}/") and entry["id"] for entry in layered.values())
    # the SWE evaluation container keeps the task image: only the agent's container has the CLI
    swe = got["harness-fixtures__calc-1"]
    assert next(iter(swe.scores.values())).metadata["resolved"]


def test_time_limit_stops_the_agent_phase(docker_engine, results_dir, monkeypatch) -> None:
    def sleeper(request: Request) -> Reply:
        usage = deepseek_usage(1_000, 20)
        if not request.body.get("tools"):
            return Reply(chat_completion("ok", usage=usage))
        call = tool_call("Bash", {"command": "sleep 300", "description": "wait", "timeout": 600000})
        return Reply(chat_completion(tool_calls=[call], usage=usage))

    # hello-file's 120 s agent timeout x 0.1: the agent phase ends after 12 s, the verifier still runs
    outcome = evaluate("claude-code", monkeypatch, sleeper, task_names="hello-file", timeout_multiplier=0.1)
    sample = samples(outcome.run_dir)["hello-file"]
    assert sample.metadata["agent_timed_out"] and sample.metadata["agent_seconds"] < 40
    meta = sample.scores["verifier"].metadata
    assert meta["trial_error"] == "AgentTimeoutError" and sample.scores["verifier"].value == 0.0
    # what the cancelled phase left running (the bridge's tools, at times the CLI) is swept before the verifier
    assert any("inspect-sandbox-tools" in p for p in meta["killed_processes"])


def test_make_eval_with_claude_code_against_a_fake_endpoint(docker_engine, tmp_path) -> None:
    episodes = Episodes("claude-code")
    env = {
        **os.environ,
        "DEEPSEEK_API_KEY": KEY,
        "HARNESS_RESULTS_DIR": str(tmp_path / "results"),
        "INSPECT_DISPLAY": "none",
    }
    with FakeModelServer(responder=episodes) as server:
        args = f"--base-url {server.openai_url} --task-names hello-file --data sample"
        done = subprocess.run(
            # `-o`: the venv running these tests is the one to use
            [
                "make",
                "-o",
                ".venv/bin/harness",
                "eval",
                "MODEL=deepseek-v4-pro",
                "AGENT=claude-code",
                "SUITE=terminal_bench",
                f"ARGS={args}",
            ],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [run_dir] = (tmp_path / "results" / "runs").iterdir()
    [row] = pd.read_csv(run_dir / "samples.csv").to_dict("records")
    assert (row["task"], row["score"], row["agent_name"]) == ("hello-file", 1.0, "claude-code")
    assert row["model_calls"] == len(episodes.served)


@pytest.mark.parametrize("agent", ["claude-code", "codex-cli"])
def test_bridge_agent_uses_the_task_mcp_servers(agent, docker_engine, results_dir, monkeypatch) -> None:
    """MCP-Atlas: the sample's MCP tools reach the CLI through the bridge; its commit shows in the sandbox."""
    calls = [
        ("git_git_add", {"repo_path": "/data/repos/garden", "files": ["TODO.md"]}),
        ("git_git_commit", {"repo_path": "/data/repos/garden", "message": "Add TODO list"}),
    ]
    offered: list[list[str]] = []

    def responder(request: Request) -> Reply:
        usage = deepseek_usage(1_000, 20)
        names = [t["function"]["name"] for t in request.body.get("tools") or []]
        turn = sum(1 for m in request.body["messages"] if m["role"] == "assistant")
        if not names or "garden" not in json.dumps(request.body["messages"]):
            return Reply(chat_completion("ok", usage=usage))
        offered.append(names)
        if turn >= len(calls):
            return Reply(chat_completion("committed", usage=usage))
        tool, arguments = calls[turn]
        name = next(n for n in names if n.endswith(tool))  # the bridge's MCP server prefixes the task's tool names
        return Reply(chat_completion(tool_calls=[tool_call(name, arguments)], usage=usage))

    outcome = evaluate(agent, monkeypatch, responder, suites=["mcp_atlas"], task_ids="offline-git-commit-todo")
    [row] = pd.read_csv(outcome.run_dir / "samples.csv").to_dict("records")
    assert (row["score"], row["errored"]) == (1.0, False), row
    assert any(name.endswith("git_git_commit") for name in offered[0])


@pytest.mark.parametrize(
    ("agent", "limit", "value"), [("claude-code", "turn_limit", 3), ("codex-cli", "token_limit", 5_000)]
)
def test_turn_and_token_limits_count_the_bridged_calls(agent, limit, value, docker_engine, results_dir, monkeypatch):
    """inspect's sample limits count every call the CLI makes through the bridge: a model that never stops is cut
    at the suite's turn or token budget (here made small), and the sample is still scored."""
    from suites.terminal_bench import task as tb_task

    def endless(request: Request) -> Reply:
        usage = deepseek_usage(1_000, 20)
        names = [t["function"]["name"] for t in request.body.get("tools") or []]
        if not names:
            return Reply(chat_completion("ok", usage=usage))
        call = (
            ("Bash", {"command": "true", "description": "again"})
            if "Bash" in names
            else ("exec_command", {"cmd": "true"})
        )
        return Reply(chat_completion(tool_calls=[tool_call(*call)], usage=usage))

    monkeypatch.setattr(tb_task, "task_limits", lambda suite: {limit: value})
    outcome = evaluate(agent, monkeypatch, endless, task_names="hello-file")
    [row] = pd.read_csv(outcome.run_dir / "samples.csv").to_dict("records")
    assert row["limit"] == limit.removesuffix("_limit") and row["score"] == 0.0 and not row["errored"]
    # the call that crosses the limit is the last: the 4th of 3 turns, the 5th of 1,020 tokens each
    assert row["model_calls"] == (value + 1 if limit == "turn_limit" else 5)


def test_claude_code_on_deepseeks_anthropic_route(docker_engine, results_dir, monkeypatch) -> None:
    """deepseek-v4-pro@anthropic, the endpoint DeepSeek offers for Claude Code: the bridged calls reach the fake as
    Anthropic messages, with Claude Code's own tools."""
    served: list[dict[str, Any]] = []

    def responder(request: Request) -> Reply:
        assert request.dialect == "anthropic"
        turn = sum(1 for m in request.body["messages"] if m["role"] == "assistant")
        usage = anthropic_usage(800, 40, cache_read=1_200 * turn)
        served.append(usage)
        names = [t["name"] for t in request.body.get("tools") or []]
        if "Bash" not in names or turn > 0:
            return Reply(anthropic_message(text_block("Done."), usage=usage))
        return Reply(anthropic_message(tool_use_block("Bash", {"command": HELLO, "description": "write"}), usage=usage))

    outcome = evaluate(
        "claude-code", monkeypatch, responder, model="deepseek-v4-pro@anthropic", task_names="hello-file"
    )
    [row] = pd.read_csv(outcome.run_dir / "samples.csv").to_dict("records")
    assert (row["score"], row["route"], row["agent_name"]) == (1.0, "anthropic", "claude-code")
    assert row["model_calls"] == len(served) and row["input_tokens"] == 800 * len(served)
    assert row["cache_read_tokens"] == sum(u["cache_read_input_tokens"] for u in served)


def test_claude_code_answers_livecodebench_agentic_in_its_final_message(docker_engine, results_dir, monkeypatch):
    """livecodebench_agentic: the CLI writes and runs the program in the grader image, and its last message (there
    is no `submit` tool in a CLI) carries the program the grader reads."""
    from suites.livecodebench.oracle import fenced, program

    def responder(request: Request) -> Reply:
        usage = deepseek_usage(1_000, 20)
        turn = sum(1 for m in request.body["messages"] if m["role"] == "assistant")
        if not request.body.get("tools") or turn > 1:
            return Reply(chat_completion(f"Checked on the example.\n{fenced(program('90001'))}", usage=usage))
        step = [
            ("Write", {"file_path": "/tmp/solution.py", "content": program("90001")}),
            ("Bash", {"command": "python3 -m py_compile /tmp/solution.py && echo COMPILES", "description": "check"}),
        ][turn]
        return Reply(chat_completion(tool_calls=[tool_call(*step)], usage=usage))

    outcome = evaluate("claude-code", monkeypatch, responder, suites=["livecodebench_agentic"], limit=1)
    [row] = pd.read_csv(outcome.run_dir / "samples.csv").to_dict("records")
    assert (row["task"], row["score"], row["agent_name"]) == (90001, 1.0, "claude-code")
    output = "\n".join(m.text for s in samples(outcome.run_dir).values() for m in s.messages if m.role == "tool")
    assert "COMPILES" in output
