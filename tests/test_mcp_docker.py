"""MCP-Atlas end to end in real Docker sandboxes: oracle 1 / no-op 0 (with the oracle's outputs checked against the
recorded ones), a scripted model through the scaffold's MCP tools, a scripted judge on real rows, trajectory replay
of real rows against their recorded outputs, and the live tool lists of every installed server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.dataset import Sample
from inspect_ai.scorer import Score, Target, scorer
from inspect_ai.solver import Generate, TaskState, solver

from harness import images
from harness.results import load
from harness.run import EvalRequest, run_eval
from suites.mcp_atlas import dataset, sandbox
from suites.mcp_atlas.catalog import catalog
from suites.mcp_atlas.replay import replay
from suites.mcp_atlas.task import Options
from suites.mcp_atlas.tools import connected_tools

pytestmark = pytest.mark.docker

REAL_OFFLINE = ["5c6d7e8f9a", "4b5c6d7e8f"]  # sample rows whose trajectories use only filesystem and calculator


@pytest.fixture(scope="module")
def mcp_image(docker_engine) -> str:
    return images.ensure_built([sandbox.image()])[0]


TOP_CUSTOMER_QUERY = (
    "SELECT c.name, SUM(o.total) FROM customers c JOIN orders o ON o.customer_id = c.id "
    "GROUP BY c.id ORDER BY 2 DESC LIMIT 1"
)
WEEKLY_SALES_ANSWER = "First five weeks: $6,446.20 on average; last five: $6,786.60; difference $340.40."


def sample_scores(run_dir: Path) -> dict[str, dict]:
    from inspect_ai.log import read_eval_log

    logs = sorted((run_dir / "logs").glob("*.eval"))
    out = {}
    for log_file in logs:
        for s in read_eval_log(str(log_file)).samples or []:
            score = next(iter(s.scores.values()))
            out[str(s.id)] = {
                "value": score.value,
                "error": s.error,
                **(score.metadata or {}),
                "mismatches": [c for c in s.metadata.get("replay", []) if c["status"] != "match"],
            }
    return out


def model_tools(run_dir: Path, sample_id: str) -> list[str]:
    """The tool names the model was offered on its first turn."""
    from inspect_ai.log import read_eval_log

    for log_file in (run_dir / "logs").glob("*.eval"):
        for s in read_eval_log(str(log_file)).samples or []:
            if str(s.id) == sample_id:
                return sorted(t.name for t in next(e for e in s.events if e.event == "model").tools)
    raise AssertionError(f"no sample {sample_id}")


def test_oracle_passes_and_noop_fails_every_offline_task(mcp_image, results_dir) -> None:
    oracle = run_eval(EvalRequest(model="oracle", suites=["mcp_atlas"]))
    got = sample_scores(oracle.run_dir)
    assert len(got) == len(dataset.bundled())
    assert {k: v["value"] for k, v in got.items() if v["value"] != 1.0} == {}, got
    # the oracle's replayed tool outputs equal the recorded ones (volatile ones excepted): the servers still match
    assert {k: v["mismatches"] for k, v in got.items() if v["mismatches"]} == {}
    # no-op on the tasks whose checks read the sandbox's state (answer-only checks cannot pass an empty answer:
    # tests/test_mcp_checks.py checks that without Docker)
    stateful = [t.task_id for t in dataset.bundled() if any(c["kind"] == "command_output" for c in t.checks)]
    noop = run_eval(EvalRequest(model="noop", suites=["mcp_atlas"], options={"task_ids": ",".join(stateful)}))
    noop_scores = sample_scores(noop.run_dir)
    assert len(noop_scores) == len(stateful) >= 5
    assert {k: v["value"] for k, v in noop_scores.items() if v["value"] != 0.0} == {}
    summary = load([oracle.run_dir / "logs"])
    assert set(summary["suite"]) == {"mcp_atlas"} and (summary["score"] == 1.0).all()


def test_scripted_model_uses_server_prefixed_mcp_tools(mcp_image, results_dir, tmp_path) -> None:
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(
            {
                "offline-sqlite-top-customer": [
                    {"tool_calls": [{"function": "sqlite_list_tables", "arguments": {}}]},
                    {
                        "tool_calls": [
                            {
                                "function": "sqlite_read_query",
                                "arguments": {"query": TOP_CUSTOMER_QUERY},
                            }
                        ]
                    },
                    {"tool_calls": [{"function": "submit", "arguments": {"answer": "Aiko Tanaka, 430.5 in total"}}]},
                ],
                "offline-git-commit-todo": [
                    {
                        "tool_calls": [
                            {
                                "function": "git_git_add",
                                "arguments": {"repo_path": "/data/repos/garden", "files": ["TODO.md"]},
                            }
                        ]
                    },
                    {
                        "tool_calls": [
                            {
                                "function": "git_git_commit",
                                "arguments": {"repo_path": "/data/repos/garden", "message": "Add TODO list"},
                            }
                        ]
                    },
                    {"tool_calls": [{"function": "submit", "arguments": {"answer": "committed"}}]},
                ],
                "*": [{"tool_calls": [{"function": "submit", "arguments": {"answer": "I could not do it"}}]}],
            }
        )
    )
    ids = "offline-sqlite-top-customer,offline-git-commit-todo,offline-memory-dentist"
    run = run_eval(EvalRequest(model="scripted", suites=["mcp_atlas"], script=script, options={"task_ids": ids}))
    got = sample_scores(run.run_dir)
    assert {k: v["value"] for k, v in got.items()} == {
        "offline-sqlite-top-customer": 1.0,
        "offline-git-commit-todo": 1.0,
        "offline-memory-dentist": 0.0,
    }
    assert got["offline-git-commit-todo"]["checks"][0]["passed"]
    # the model is offered exactly the task's enabled tools, under MCP-Atlas's <server>_<tool> names, plus submit
    dentist = next(t for t in dataset.bundled() if t.task_id == "offline-memory-dentist")
    assert model_tools(run.run_dir, "offline-memory-dentist") == sorted([*dentist.enabled_tools, "submit"])


def test_scripted_model_and_scripted_judge_on_real_rows(mcp_image, shared_data, results_dir, tmp_path) -> None:
    data = shared_data / "mcp-atlas"
    rows = {t.task_id: t for t in dataset.load_file(data / "sample_tasks.csv")}
    pet, invest = rows["5c6d7e8f9a"].claims, rows["4b5c6d7e8f"].claims
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(
            {
                "5c6d7e8f9a": [
                    {
                        "tool_calls": [
                            {
                                "function": "filesystem_read_text_file",
                                "arguments": {"path": "/data/Pet Care 2023 Weekly Financials.csv", "head": 3},
                            }
                        ]
                    },
                    {
                        "tool_calls": [
                            {"function": "calculator_calculate", "arguments": {"expression": "6786.6-6446.2"}}
                        ]
                    },
                    {
                        "tool_calls": [
                            {
                                "function": "submit",
                                "arguments": {"answer": WEEKLY_SALES_ANSWER},
                            }
                        ]
                    },
                ],
                "*": [{"tool_calls": [{"function": "submit", "arguments": {"answer": "About 22k after one year."}}]}],
            }
        )
    )
    verdicts = {pet[0]: "fulfilled", pet[1]: "fulfilled", pet[2]: "partially_fulfilled"}
    verdicts.update({claim: "fulfilled" for claim in invest[:7]})  # 7 of 10: coverage 0.7, below 0.75
    judge_script = tmp_path / "judge.json"
    judge_script.write_text(json.dumps(verdicts))
    run = run_eval(
        EvalRequest(
            model="scripted",
            suites=["mcp_atlas"],
            script=script,
            options={
                "tasks_file": str(data / "sample_tasks.csv"),
                "data_dir": str(data / "data"),
                "task_ids": "5c6d7e8f9a,4b5c6d7e8f,8d9eaf0b1c",
                "judge_model": "scripted",
                "judge_script": str(judge_script),
            },
        )
    )
    got = sample_scores(run.run_dir)
    assert got["5c6d7e8f9a"]["coverage"] == 0.833 and got["5c6d7e8f9a"]["value"] == 1.0
    assert [c["outcome"] for c in got["5c6d7e8f9a"]["claims"]] == ["fulfilled", "fulfilled", "partially_fulfilled"]
    assert got["5c6d7e8f9a"]["judge_calls"] == 3 and got["5c6d7e8f9a"]["judge_usage"]["input_tokens"] == 150
    assert got["4b5c6d7e8f"]["coverage"] == 0.7 and got["4b5c6d7e8f"]["value"] == 0.0
    skipped = got["8d9eaf0b1c"]
    assert skipped["infra_error"] == "server_unavailable" and skipped["skipped"]
    manifest = json.loads((run.run_dir / "manifest.json").read_text())
    assert manifest["suites"]["mcp_atlas"]["dataset"]["skipped"] == 1
    # distractor tools of servers that cannot run here are not offered
    assert model_tools(run.run_dir, "5c6d7e8f9a") == sorted([*rows["5c6d7e8f9a"].enabled_tools[:8], "submit"])


def test_replay_matches_recorded_outputs_of_offline_sample_rows(mcp_image, shared_data) -> None:
    data = shared_data / "mcp-atlas"
    checks = replay(
        Options(data="full", tasks_file=data / "sample_tasks.csv", data_dir=data / "data", task_ids=REAL_OFFLINE)
    )
    assert [(c.task, c.status) for c in checks if c.status != "match"] == []
    assert len(checks) == 6 + 10


@solver
def list_live_tools():
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        servers = [n for n, s in catalog().servers.items() if s.installed]
        names = [f"{n}_{t}" for n in servers for t in catalog().servers[n].tools]
        async with connected_tools(names, timeout=60) as tools:
            state.metadata["live"] = sorted(tools)
        return state

    return solve


@scorer(metrics=[])
def live_tools_scorer():
    async def score(state: TaskState, target: Target) -> Score:
        return Score(value=1.0, metadata={"live": state.metadata.get("live")})

    return score


def test_every_installed_server_starts_and_exposes_the_catalog_tools(mcp_image, tmp_path) -> None:
    task = Task(
        dataset=[Sample(input="-", sandbox=sandbox.spec(network=False))],
        solver=list_live_tools(),
        scorer=live_tools_scorer(),
    )
    log = inspect_eval(task, model="mockllm/model", display="none", log_dir=str(tmp_path))[0]
    sample = log.samples[0]
    assert sample.error is None, sample.error
    expected = sorted(f"{n}_{t}" for n, s in catalog().servers.items() if s.installed for t in s.tools)
    assert sample.metadata["live"] == expected
