"""MCP-Atlas replay verdicts without Docker: per-call comparison, declared volatile fields, task verdicts that
cannot overstate (skipped calls never pass), missing /data as an infrastructure error, and validate's rendering."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from harness.validate import Validation, _table, render
from suites.mcp_atlas.catalog import catalog
from suites.mcp_atlas.dataset import ToolCall
from suites.mcp_atlas.replay import compare, counts, data_paths, recorded_ok, task_verdict

CONFIG = 'Current configuration:\n{"allowedDirectories": ["/data"], "clientId": "%s", "version": "%s"}'


def call(name: str, output: str | None, **arguments) -> ToolCall:
    return ToolCall(id="1", name=name, arguments=arguments, output=output)


def test_declared_volatile_fields_are_left_out_and_nothing_else() -> None:
    recorded = call("desktop-commander_get_config", CONFIG % ("7fff-aaaa", "0.2.6"))
    status, _, volatile = compare(recorded, CONFIG % ("1234-bbbb", "0.2.10"))
    assert status == "match" and volatile.startswith("clientId, usageStats, version")
    other = (CONFIG % ("1234", "0.2.10")).replace('["/data"]', '["/"]')  # an undeclared field differs
    assert compare(recorded, other)[0] == "differed"
    assert compare(recorded, "not json at all")[0] == "differed"
    # the reason is data, per tool
    assert "random id per install" in catalog().servers["desktop-commander"].volatile["get_config"].reason


def test_plain_comparison() -> None:
    assert compare(call("calculator_calculate", "4"), " 4\n")[0] == "match"
    status, detail, _ = compare(call("calculator_calculate", "4"), "5")
    assert status == "differed" and "recorded '4' vs ours '5'" in detail
    assert compare(call("calculator_calculate", None), "4")[0] == "unrecorded"


def checks(*statuses: str) -> list[dict]:
    return [{"task": "t", "index": i, "tool": "x_y", "status": s, "detail": f"d{i}"} for i, s in enumerate(statuses)]


@pytest.mark.parametrize(
    ("statuses", "verdict"),
    [
        (("match", "match"), "passed"),
        (("match", "skipped", "skipped", "skipped"), "skipped"),  # one ran, three skipped: never a pass
        (("match", "differed", "skipped"), "failed"),
        (("match", "unrecorded"), "failed"),
        (("data_missing", "match", "skipped"), "data_missing"),
        (("data_missing", "differed"), "failed"),  # a difference missing data does not explain
        ((), "failed"),  # the no-op replays nothing
        (("skipped",), "skipped"),  # no call could run (replay() reports such a task as one skipped entry)
    ],
)
def test_a_task_passes_only_when_every_call_ran_and_matched(statuses, verdict) -> None:
    assert task_verdict(checks(*statuses))[0] == verdict


def test_counts_are_reported_apart() -> None:
    n = counts(checks("match", "differed", "unrecorded", "data_missing", "skipped", "skipped"))
    assert n == {"replayed": 4, "matched": 1, "differed": 2, "data_missing": 1, "skipped": 2}


def test_data_paths_of_a_call_and_its_server() -> None:
    git = call("git_git_log", "commit abc", repo_path="/data/repos/storyteller", max_count=3)
    assert data_paths(git) == ["/data/repos/storyteller"]
    assert data_paths(call("memory_read_graph", "{}")) == ["/data/repos/memory_mcp_server/memories-for-mcp.json"]
    assert recorded_ok(git) and not recorded_ok(call("git_git_log", "Error: /data/repos/x does not exist"))
    listing = call("filesystem_list_directory", "[FILE] Top Movies.csv\n[DIR] repos", path="/data")
    assert data_paths(listing) == ["/data", "/data/Top Movies.csv", "/data/repos"]


def test_validate_never_says_ok_while_a_task_is_skipped(tmp_path) -> None:
    def row(task: str, passed: bool, **meta) -> dict:
        infra = meta.get("infra_error")
        return {
            "task": task,
            "epoch": 1,
            "passed": passed,
            "strict": None,
            "infra_error": infra,
            "error": None,
            "score_metadata": json.dumps({"passed": passed, **meta}),
        }

    df = pd.DataFrame(
        [
            row("a", True),
            row("b", False, infra_error="replay_incomplete", skipped=True, skip_reason="osm needs the internet"),
        ]
    )
    table = _table(df, expect_pass=True)
    ran = table[~table["skipped"]]
    result = Validation("oracle", tmp_path, table, bool(ran["ok"].all()), complete=len(ran) == len(table))
    text = render([result])
    assert result.ok and not result.complete and result.word == "INCOMPLETE"
    assert "oracle: 1/1 passed, 0 infrastructure errors, 1 skipped; expected 1/1: INCOMPLETE" in text
    assert "- b: osm needs the internet" in text and ": OK" not in text
    failing = _table(pd.DataFrame([row("a", False)]), expect_pass=True)
    assert Validation("oracle", tmp_path, failing, bool(failing["ok"].all())).word == "FAILED"


def test_replay_parity_skips_with_the_reason_without_the_shared_rows(tmp_path) -> None:
    from suites.mcp_atlas.replay import replay_parity

    status, line, differences = replay_parity(tmp_path / "mcp-atlas")
    assert status == "skipped" and "sample_tasks.csv" in line and differences == []
