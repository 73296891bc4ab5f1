"""The one scaffold: append-only history, head+tail tool output with a marker, protocols, budgets, hash."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from fakes import FakeModelServer, Reply, chat_completion, tool_call
from fakes.policy import fast_policy
from fakes.toy_suite import add
from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.scorer import includes
from inspect_ai.solver import Solver
from inspect_ai.tool import tool

from harness.models import resolve
from harness.provider import build_model
from harness.scaffold import budgets, config, scaffold_hash, scaffold_solver, task_limits, truncate_middle


@tool
def noisy():
    async def execute() -> str:
        """Print a long log."""
        return "".join(f"line {i}\n" for i in range(20_000))

    return execute


def run(solver: Solver, server: FakeModelServer, tmp_path: Path) -> None:
    rp = fast_policy(max_attempts=2)
    model = build_model(resolve("deepseek-v4-pro", base_url=server.openai_url), rp)
    task = Task(dataset=[Sample(id="s", input="Go.", target="5")], solver=solver, scorer=includes())
    [log] = eval(task, model=model, log_dir=str(tmp_path / "logs"), display="none", **rp.eval_kwargs())
    assert log.status == "success", log.error


@pytest.fixture()
def server(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-fake")
    with FakeModelServer() as fake:
        yield fake


def test_history_is_append_only_and_long_output_keeps_head_and_tail(server: FakeModelServer, tmp_path: Path) -> None:
    server.play(
        Reply(chat_completion(reasoning_content="look", tool_calls=[tool_call("noisy", {})])),
        Reply(chat_completion(reasoning_content="add", tool_calls=[tool_call("add", {"a": 2, "b": 3})])),
        Reply(chat_completion(reasoning_content="done", tool_calls=[tool_call("submit", {"answer": "5"})])),
    )
    run(scaffold_solver("mcp_atlas", "mcp", extra_tools=[noisy(), add()]), server, tmp_path)
    requests = [r.body["messages"] for r in server.model_requests()]
    assert len(requests) == 3
    for earlier, later in itertools.pairwise(requests):
        assert later[: len(earlier)] == earlier  # every request extends the previous one: stable cache prefix
    output = next(m for m in requests[1] if m["role"] == "tool")["content"]
    limit = budgets("mcp_atlas").max_tool_output
    assert len(output.encode()) <= limit
    assert output.startswith("line 0\nline 1\n") and output.endswith("line 19999\n")
    assert "bytes of output omitted here" in output


def test_single_turn_protocol_has_no_tools_and_one_generation(server: FakeModelServer, tmp_path: Path) -> None:
    server.play(Reply(chat_completion("```python\nprint(5)\n```")))
    run(scaffold_solver("livecodebench", "single_turn"), server, tmp_path)
    [request] = server.model_requests()
    assert "tools" not in request.body
    assert [m["role"] for m in request.body["messages"]] == ["system", "user"]


def test_truncate_middle() -> None:
    text = "".join(f"{i:05d}\n" for i in range(10_000))  # 60,000 bytes
    cut = truncate_middle(text, 1_000)
    assert len(cut.encode()) <= 1_000 and cut.startswith("00000\n") and cut.endswith("09999\n")
    marker = re.search(r"\n\n\[\.\.\. (\d+) bytes of output omitted here[^\]]*\]\n\n", cut)
    assert marker is not None
    assert int(marker.group(1)) + len(cut) - len(marker.group(0)) == len(text)  # head + tail + omitted
    assert truncate_middle("short", 1_000) == "short"
    wide = truncate_middle("é" * 10_000, 500)  # never splits a UTF-8 character
    assert len(wide.encode()) <= 500 and wide.startswith("é") and wide.endswith("é")


def test_budgets_and_hash() -> None:
    cfg = config()
    for suite in cfg.budgets:
        limits = task_limits(suite)
        b = budgets(suite)
        assert limits["turn_limit"] == b.max_steps
        assert limits.get("token_limit") == (b.max_tokens or None)
        assert limits["config"].max_tool_output == b.max_tool_output
    assert scaffold_hash("terminal_bench", "shell") == scaffold_hash("terminal_bench", "shell")
    assert scaffold_hash("terminal_bench", "shell") != scaffold_hash("swe_verified", "shell")  # budgets differ
    assert scaffold_hash("mcp_atlas", "mcp") != scaffold_hash("mcp_atlas", "shell")
