"""MCP-Atlas rows: the real sample file parses, every loader path agrees, and bad rows fail in one clear line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from harness.errors import HarnessError
from suites.mcp_atlas import dataset
from suites.mcp_atlas.catalog import split_tool, unavailable_reason
from suites.mcp_atlas.task import Options, dataset_info, samples, tasks

SAMPLE_IDS = [
    "5c6d7e8f9a",
    "8d9eaf0b1c",
    "a0b1c2d3e4",
    "e5f6d7c8b9",
    "3c4d5e6f7a",
    "9d0e1f2a3b",
    "4b5c6d7e8f",
    "c6d7e8f9a0",
    "7a8b9c0d1e",
    "2b3c4d5e6f",
]


def real_rows(shared_data: Path) -> list[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    with (shared_data / "mcp-atlas" / "sample_tasks.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def test_real_sample_tasks_parse(shared_data) -> None:
    found = dataset.load_file(shared_data / "mcp-atlas" / "sample_tasks.csv")
    assert [t.task_id for t in found] == SAMPLE_IDS
    pet = found[0]
    assert pet.claims[2] == (
        "The difference in profit between the first five weeks at the pet store and the last five weeks was $340.40."
    )
    assert [c.name for c in pet.tool_calls] == [
        "filesystem_list_allowed_directories",
        "filesystem_list_directory",
        "filesystem_read_file",
        "calculator_calculate",
        "calculator_calculate",
        "calculator_calculate",
    ]
    assert pet.tool_calls[0].output == "Allowed directories:\n/data"
    assert pet.tool_calls[3].arguments == {"expression": "(6080+6477+6068+6871+6735)/5"}
    assert found[6].enabled_tools[1] == "brave_brave_web_search"  # old name, mapped through the catalog's aliases
    assert split_tool("brave_brave_web_search") == ("brave-search", "brave_web_search")


def test_parquet_and_csv_give_the_same_tasks(shared_data, tmp_path) -> None:
    frame = pd.read_csv(shared_data / "mcp-atlas" / "sample_tasks.csv", dtype=str, keep_default_na=False)
    for column in ("ENABLED_TOOLS", "GTFA_CLAIMS"):  # parquet exports carry real lists, not strings
        frame[column] = frame[column].map(lambda v: json.loads(v) if v.startswith('["') else v)
    frame.to_parquet(tmp_path / "tasks.parquet")
    from_csv = dataset.load_file(shared_data / "mcp-atlas" / "sample_tasks.csv")
    assert dataset.load_file(tmp_path / "tasks.parquet") == from_csv


def test_python_literal_fields_parse(shared_data, tmp_path) -> None:
    rows = real_rows(shared_data)[:1]
    rows[0]["ENABLED_TOOLS"] = repr(json.loads(rows[0]["ENABLED_TOOLS"]))  # ['a', 'b'] with single quotes
    path = tmp_path / "literal.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    assert dataset.load_file(path)[0].enabled_tools[0] == "filesystem_read_file"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("ENABLED_TOOLS", '["filesystem_read_file", ', "field ENABLED_TOOLS is malformed"),
        ("TRAJECTORY", '[{"role": "assistant"', "field TRAJECTORY is malformed"),
        ("TRAJECTORY", '{"role": "assistant"}', "field TRAJECTORY is malformed (a dict, not a list"),
        ("TRAJECTORY", "", "field TRAJECTORY is empty"),
        (
            "ENABLED_TOOLS",
            "filesystem_read_file, calculator_calculate",
            "field ENABLED_TOOLS is malformed (not a JSON or Python-literal list: 'filesystem_read_file, calc",
        ),
        ("ENABLED_TOOLS", '["osm-mcp-server_teleport"]', "osm-mcp-server (pypi:osm-mcp-server==0.1.1) has no tool"),
        (
            "TRAJECTORY",
            '[{"role": "assistant", "tool_calls": [{"id": "c7", "function": {"name": "calculator_calculate", '
            '"arguments": "[1, 2]"}}]}]',
            "call c7 (calculator_calculate): arguments must be a JSON object, not list",
        ),
        ("GTFA_CLAIMS", "['a claim', 'unterminated]", "field GTFA_CLAIMS is malformed"),
        ("GTFA_CLAIMS", "", "holds no claims"),
        ("PROMPT", "", "field PROMPT is empty"),
        ("ENABLED_TOOLS", '["nosuchserver_do_it"]', "names server 'nosuchserver'"),
        ("ENABLED_TOOLS", '["filesystem_teleport"]', "has no tool 'teleport'"),
        (
            "TRAJECTORY",
            '[{"role": "assistant", "tool_calls": [{"id": "1", "function": {"name": "nosuch_x", "arguments": "{}"}}]}]',
            "TRAJECTORY: tool 'nosuch_x' names server 'nosuch'",
        ),
        (
            "TRAJECTORY",
            '[{"role": "assistant", "tool_calls": [{"id": "1", "function": {"name": "calculator_calculate", '
            '"arguments": "{2+2"}}]}]',
            "field TRAJECTORY is malformed",
        ),
    ],
)
def test_malformed_row_is_one_clear_error(shared_data, tmp_path, field, value, expected) -> None:
    rows = real_rows(shared_data)[:2]
    rows[1][field] = value
    path = tmp_path / "bad.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(HarnessError) as err:
        dataset.load_file(path)
    message = str(err.value)
    assert expected in message and "\n" not in message
    assert str(path) in message and ("task 8d9eaf0b1c" in message or field == "TASK")


def test_missing_column_and_duplicate_ids(shared_data, tmp_path) -> None:
    rows = real_rows(shared_data)[:2]
    pd.DataFrame(rows).drop(columns=["TRAJECTORY"]).to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(HarnessError, match="missing column"):
        dataset.load_file(tmp_path / "a.csv")
    rows[1]["TASK"] = rows[0]["TASK"]
    pd.DataFrame(rows).to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(HarnessError, match="appears twice"):
        dataset.load_file(tmp_path / "b.csv")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("unclosed.csv", b'TASK,PROMPT\n"a,b\n', "not a readable CSV file (Error tokenizing data"),
        ("empty.csv", b"", "not a readable CSV file (No columns to parse from file)"),
        ("binary.csv", b"TASK\n\xff\xfe\n", "not a readable CSV file (not UTF-8 text"),
        ("corrupt.parquet", b"PAR1garbage", "not a readable parquet file (Could not open Parquet input source"),
        ("bad.yaml", b"- TASK: [1,\n  b", "not a readable YAML file (expected ',' or ']'"),
        ("scalars.yaml", b"- just a string\n", "expected a list of rows"),
    ],
)
def test_unreadable_tasks_file_is_one_clear_error(tmp_path, name, content, expected) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(HarnessError) as err:
        dataset.load_file(path)
    message = str(err.value)
    assert message.startswith(f"--tasks-file {path}: ") and expected in message and "\n" not in message


def test_tasks_needing_unavailable_servers_are_skipped_with_reason_and_counted(shared_data) -> None:
    data = shared_data / "mcp-atlas"
    options = Options(data="full", tasks_file=data / "sample_tasks.csv", data_dir=data / "data")
    by_id = {str(s.id): s for s in samples(options)}
    assert len(by_id) == 10  # nothing dropped
    runnable = sorted(i for i, s in by_id.items() if not s.metadata["skip_reason"])
    assert runnable == ["4b5c6d7e8f", "5c6d7e8f9a", "9d0e1f2a3b", "a0b1c2d3e4", "c6d7e8f9a0", "e5f6d7c8b9"]
    assert "ddg-search is not installed" in by_id["8d9eaf0b1c"].metadata["skip_reason"]
    assert by_id["8d9eaf0b1c"].sandbox is None and by_id["5c6d7e8f9a"].sandbox is not None
    # the agent gets only enabled tools whose server runs here; the rest are recorded, not silently lost
    pet = by_id["5c6d7e8f9a"].metadata
    assert pet["agent_tools"][:7] == [
        f"filesystem_{t}"
        for t in (
            "read_file",
            "read_multiple_files",
            "list_directory",
            "directory_tree",
            "search_files",
            "get_file_info",
            "list_allowed_directories",
        )
    ]
    assert "calculator_calculate" in pet["agent_tools"]
    assert pet["dropped_tools"][0] == "wikipedia_search_wikipedia"
    info = dataset_info(options)
    assert info["tasks"] == 10 and info["skipped"] == 4 and set(info["skip_reasons"]) == set(by_id) - set(runnable)


def test_without_data_dir_filesystem_tasks_are_skipped(shared_data) -> None:
    options = Options(data="full", tasks_file=shared_data / "mcp-atlas" / "sample_tasks.csv")
    reasons = {str(s.id): s.metadata["skip_reason"] for s in samples(options)}
    assert reasons["4b5c6d7e8f"] is None  # calculator only
    assert "--data-dir" in reasons["5c6d7e8f9a"]


def test_availability_reasons() -> None:
    assert unavailable_reason("calculator", online=False, has_data=False) is None
    assert "needs the internet" in unavailable_reason("fetch", online=False, has_data=False)
    assert unavailable_reason("fetch", online=True, has_data=False) is None
    assert "API key" in unavailable_reason("brave-search", online=True, has_data=True)
    assert "retired" in unavailable_reason("f1-mcp-server", online=True, has_data=True)


def test_hf_loader_pins_revision_and_checks_digest(shared_data, tmp_path, monkeypatch) -> None:
    import huggingface_hub

    frame = pd.read_csv(shared_data / "mcp-atlas" / "sample_tasks.csv", dtype=str, keep_default_na=False)
    parquet = tmp_path / dataset.HF_FILE
    frame.to_parquet(parquet)
    asked: dict[str, str] = {}

    def fake_download(repo_id: str, filename: str, **kwargs: str) -> str:
        asked.update(repo_id=repo_id, filename=filename, **kwargs)
        return str(parquet)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    with pytest.raises(HarnessError, match="is not the pinned"):
        tasks(Options(data="full"))
    assert asked == {
        "repo_id": "ScaleAI/MCP-Atlas",
        "filename": "MCP-Atlas.parquet",
        "repo_type": "dataset",
        "revision": dataset.HF_REVISION,
    }
    monkeypatch.setattr(dataset, "HF_SHA256", dataset.sha256_file(parquet))
    assert [t.task_id for t in tasks(Options(data="full", limit=3))] == SAMPLE_IDS[:3]


def test_bundled_set_is_the_same_row_format(tmp_path) -> None:
    found = dataset.bundled()
    assert len(found) >= 10
    servers = {split_tool(c.name)[0] for t in found for c in t.tool_calls}
    assert {"filesystem", "git", "sqlite", "memory"} <= servers
    assert all(
        t.checks and t.final_answer and t.data in (None, *[p.name for p in dataset.FIXTURES_DIR.iterdir()])
        for t in found
    )
    # the same rows written as MCP-Atlas CSV (JSON strings) load to the same tasks
    rows = [
        {
            "TASK": t.task_id,
            "ENABLED_TOOLS": json.dumps(t.enabled_tools),
            "PROMPT": t.prompt,
            "TRAJECTORY": json.dumps(t.trajectory),
            "GTFA_CLAIMS": json.dumps(t.claims),
            "CHECKS": json.dumps(t.checks),
            "DATA": t.data or "",
        }
        for t in found
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "bundled.csv", index=False)
    assert dataset.load_file(tmp_path / "bundled.csv") == found


def test_task_ids_filter_and_unknown_id() -> None:
    first = dataset.bundled()[0].task_id
    assert [t.task_id for t in tasks(Options(task_ids=first))] == [first]
    with pytest.raises(HarnessError, match="--task-ids: nope"):
        tasks(Options(task_ids=["nope"]))


def test_replay_mode_skips_only_tasks_with_nothing_to_replay(shared_data) -> None:
    from harness.suite import AgentKind, TaskRequest
    from suites.mcp_atlas.task import build_task

    data = shared_data / "mcp-atlas"
    options = Options(data="full", tasks_file=data / "sample_tasks.csv", data_dir=data / "data", replay=True)
    reasons = {str(s.id): s.metadata["skip_reason"] for s in samples(options)}
    assert reasons["8d9eaf0b1c"] is None  # its filesystem calls replay; its ddg-search call is reported skipped
    assert "osm-mcp-server" in reasons["3c4d5e6f7a"]  # nothing in it can run here
    with pytest.raises(HarnessError, match="--replay replays the reference tool calls"):
        build_task(TaskRequest(options, AgentKind.MODEL))
    assert build_task(TaskRequest(options, AgentKind.ORACLE)).scorer  # no judge needed to replay


def test_sandbox_network_only_with_online_and_an_internet_server(shared_data) -> None:
    data = shared_data / "mcp-atlas"
    options = Options(
        data="full", tasks_file=data / "sample_tasks.csv", data_dir=data / "data", task_ids=["e5f6d7c8b9", "5c6d7e8f9a"]
    )

    def network_modes(opts: Options) -> dict[str, str | None]:
        return {str(s.id): s.sandbox.config.services["default"].network_mode for s in samples(opts)}

    assert network_modes(options) == {"5c6d7e8f9a": "none", "e5f6d7c8b9": "none"}
    online = options.model_copy(update={"online": True})
    assert network_modes(online) == {"5c6d7e8f9a": "none", "e5f6d7c8b9": None}  # only e5f6 enables fetch
    fetch = {str(s.id): "fetch_fetch" in s.metadata["agent_tools"] for s in samples(online)}
    assert fetch == {"5c6d7e8f9a": False, "e5f6d7c8b9": True}
