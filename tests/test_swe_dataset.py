"""SWE-bench Verified data: the 5.x schema, fixtures in sync with their sources, filters, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import rows
from harness.cli import main
from harness.errors import HarnessError
from harness.suite import parse_options
from suites.swe_verified import dataset, fixture_gen, grading
from suites.swe_verified.task import SUITE, Options, dataset_info, instances

FIXTURE_IDS = [
    "harness-fixtures__calc-1",
    "harness-fixtures__dates-3",
    "harness-fixtures__inventory-4",
    "harness-fixtures__textkit-2",
]


def fixture_rows() -> list[dict]:
    return [json.loads(line) for line in dataset.FIXTURES_FILE.read_text().splitlines()]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_fixtures_use_exactly_the_5x_schema_and_build_test_specs() -> None:
    rows = fixture_rows()
    assert len(rows) >= 3
    for row in rows:
        assert list(row) == list(dataset.SCHEMA_FIELDS)
        assert row["log_parser"] == "parse_log_pytest" and row["eval_type"] == "pass_and_fail"
        assert row["image"].startswith("harness-swe/sweb.eval.x86_64.")
        script = row["eval_script"]
        assert script.index(": '>>>>> Start Test Output'") < script.index(": '>>>>> End Test Output'")
        assert f"git checkout {row['base_commit']} " in script and row["test_patch"] in script
        spec = grading.test_spec(dataset.Instance.model_validate(row))
        assert spec.FAIL_TO_PASS and spec.PASS_TO_PASS
        assert 'echo ">>>>> Test Exit Code: $SWEBENCH_TEST_EXIT_CODE"' in spec.eval_script


def test_fixtures_are_in_sync_with_their_sources() -> None:
    """instances.jsonl is generated (real git diffs, deterministic commit ids); it must match the sources."""
    assert fixture_gen.render() == dataset.FIXTURES_FILE.read_text(), "run python -m suites.swe_verified.fixture_gen"


def test_sample_data_is_the_fixtures_and_filters_apply() -> None:
    assert [i.instance_id for i in instances(Options())] == FIXTURE_IDS
    opts = parse_options(SUITE, {"instance_ids": "harness-fixtures__dates-3,harness-fixtures__calc-1"})
    assert [i.instance_id for i in instances(opts)] == ["harness-fixtures__calc-1", "harness-fixtures__dates-3"]
    assert [i.instance_id for i in instances(Options(repo=["harness-fixtures/textkit"]))] == [FIXTURE_IDS[3]]
    assert [i.instance_id for i in instances(Options(difficulty=["15 min - 1 hour"]))] == [FIXTURE_IDS[1]]
    halves = [[i.instance_id for i in instances(Options(shard=f"{k}/2"))] for k in (1, 2)]
    assert sorted(halves[0] + halves[1]) == sorted(FIXTURE_IDS) and not set(halves[0]) & set(halves[1])
    assert len(instances(Options(limit=2))) == 2
    info = dataset_info(Options())
    assert info["kind"] == "fixtures" and info["instances"] == 4 and len(info["sha256"]) == 64


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"instance_ids": "nope__nope-1"}, "--instance-ids nope__nope-1: not in the dataset"),
        ({"repo": "django/django"}, "--repo django/django: not in the dataset; valid: harness-fixtures/calc"),
        ({"difficulty": "easy"}, "--difficulty easy: not in the dataset; valid:"),
        ({"shard": "3/2"}, "--shard: Value error, K must be between 1 and N"),
        ({"shard": "x"}, "--shard: Value error, expected K/N"),
    ],
)
def test_bad_filters_name_the_option(options: dict, expected: str) -> None:
    with pytest.raises(HarnessError, match=expected.replace("(", r"\(").replace("[", r"\[")):
        instances(parse_options(SUITE, options))


def test_bad_files_are_one_line_errors(tmp_path: Path) -> None:
    old_schema = [{k: v for k, v in row.items() if k not in dataset.FIVE_X_FIELDS} for row in fixture_rows()]
    with pytest.raises(
        HarnessError,
        match=r"row 0 \(harness-fixtures__calc-1\): missing field eval_script, "
        r"log_parser, eval_type, image; this is the pre-5.x schema",
    ):
        dataset.load(dataset.source("full", str(write_jsonl(tmp_path / "old.jsonl", old_schema)), None, None))
    bad_parser = [dict(fixture_rows()[0], log_parser="parse_log_nonsense")]
    with pytest.raises(HarnessError, match="log_parser 'parse_log_nonsense' is not in swebench's PARSER_REGISTRY"):
        dataset.load(dataset.source("full", str(write_jsonl(tmp_path / "parser.jsonl", bad_parser)), None, None))
    with pytest.raises(HarnessError, match="no such file"):
        dataset.load(dataset.source("full", str(tmp_path / "missing.parquet"), None, None))
    (tmp_path / "rows.csv").write_text("a,b\n")
    with pytest.raises(HarnessError, match=r"unsupported file type '\.csv'"):
        dataset.load(dataset.source("full", str(tmp_path / "rows.csv"), None, None))


def test_hub_source_is_pinned_and_offline_failure_names_the_fix(monkeypatch) -> None:
    src = dataset.source("full", None, None, None)
    assert (src.kind, src.location, src.split) == ("hub", "SWE-bench/SWE-bench_Verified", "test")
    assert len(src.revision or "") == 40
    assert dataset.source("full", None, "abc123", None).revision == "abc123"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(HarnessError, match=r"cannot load it from the Hugging Face hub .*pass --dataset PATH"):
        rows.read_hub("SWE-bench/SWE-bench_Verified-not-cached", "0" * 40, "test")


def test_unknown_option_lists_the_valid_ones(results_dir, capsys) -> None:
    assert main(["eval", "--suite", "swe_verified", "--model", "oracle", "--instance-id", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: suite swe_verified: unknown option --instance-id; valid:") and "--instance-ids" in err


def test_prompt_has_the_problem_statement_and_no_hints() -> None:
    inst = instances(Options(limit=1))[0]
    text = dataset.prompt(inst, "/testbed")
    assert inst.problem_statement.strip() in text and inst.hints_text not in text and "/testbed" in text


# ---------------------------------------------------------------------------------------------------------------
# the real 500 rows

VERIFIED = "swe-bench-verified/test.parquet"


def test_all_500_real_rows_load_and_build_a_test_spec(shared_data: Path) -> None:
    rows = dataset.load(dataset.source("full", str(shared_data / VERIFIED), None, None))
    assert len(rows) == 500 and len({r.instance_id for r in rows}) == 500
    specs = [grading.test_spec(r) for r in rows]
    assert all(
        s.image == r.image and s.eval_script.startswith("#!/bin/bash\nset -uxo pipefail\n")
        for s, r in zip(specs, rows, strict=True)
    )
    opts = parse_options(SUITE, {"data": "full", "dataset": str(shared_data / VERIFIED), "repo": "sympy/sympy"})
    assert len(instances(opts)) == 75


def test_a_dataset_file_is_named_in_the_task_header_and_manifest_options(tmp_path: Path) -> None:
    from harness.run import _task_args

    rows = tmp_path / "mine.jsonl"
    rows.write_text(dataset.FIXTURES_FILE.read_text())
    opts = parse_options(SUITE, {"data": "sample", "dataset": str(rows)})
    assert opts.data == str(rows.resolve()) and _task_args(opts)["data"] == str(rows.resolve())
    assert opts.model_dump()["data"] == str(rows.resolve())  # the manifest's options
    assert dataset_info(opts)["kind"] == "file" and len(instances(opts)) == len(instances(Options()))
    assert parse_options(SUITE, {}).data == "sample"
    with pytest.raises(HarnessError, match="--data elsewhere: expected sample or full"):
        parse_options(SUITE, {"data": "elsewhere"})
