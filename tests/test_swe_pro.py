"""SWE-bench Pro without Docker: rows, image tags, Scale's entry script, grading and strict rules, the real parsers
of ../shared on recorded outputs of their test runners, published-result comparison, claims."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

from harness import shard
from harness.errors import HarnessError
from harness.results.compare import compare_frames, format_comparison, published_frame
from suites.swe_pro import dataset, fixture_gen, grading
from suites.swe_pro.entryscript import Scripts, create_entryscript, load_scripts, strip_binary_hunks
from suites.swe_pro.task import SUITE, Options, instances, scripts_dir

PRO = "swe-bench-pro"
OUTPUTS = Path(__file__).parent / "fixtures" / "swe_pro_outputs"


def fixture_rows() -> list[dict]:
    return [json.loads(line) for line in dataset.FIXTURES_FILE.read_text().splitlines()]


def fixture(language: str) -> dataset.Instance:
    return next(i for i in dataset.load(dataset.source("sample", None, None, None)) if i.repo_language == language)


def test_fixtures_are_generated_and_cover_three_languages() -> None:
    files = fixture_gen.render()
    assert all(path.read_text() == text for path, text in files.items()), "run python -m suites.swe_pro.fixture_gen"
    rows = fixture_rows()
    assert sorted(r["repo_language"] for r in rows) == ["go", "js", "python"]
    for row in rows:
        assert row["instance_id"].startswith("instance_harness-fixtures__") and row["instance_id"].endswith("-vnan")
        assert row["before_repo_set_cmd"].splitlines()[-1].startswith("git checkout ")
        assert row["dockerhub_tag"] == dataset.dockerhub_tag(row["instance_id"], row["repo"])
        assert "-vnan" not in row["dockerhub_tag"]


def test_rows_load_from_every_file_format_scale_uses(tmp_path: Path) -> None:
    rows = fixture_rows()
    pd.DataFrame(rows).to_parquet(tmp_path / "rows.parquet")
    pd.DataFrame(rows).to_csv(tmp_path / "rows.csv", index=False)
    upper = [{("FAIL_TO_PASS" if k == "fail_to_pass" else k): v for k, v in r.items()} for r in rows]
    (tmp_path / "upper.jsonl").write_text("".join(json.dumps(r) + "\n" for r in upper))
    expected = dataset.load(dataset.source("sample", None, None, None))
    for name in ("rows.parquet", "rows.csv", "upper.jsonl"):
        loaded = dataset.load(dataset.source("full", str(tmp_path / name), None, None))
        assert [i.fail_to_pass for i in loaded] == [i.fail_to_pass for i in expected], name
        assert [i.selected_test_files_to_run for i in loaded] == [i.selected_test_files_to_run for i in expected]


def test_bad_rows_are_one_line_errors(tmp_path: Path) -> None:
    row = fixture_rows()[0]
    for broken, message in (
        ({k: v for k, v in row.items() if k != "requirements"}, "missing column requirements"),
        (dict(row, fail_to_pass="not a list"), "column"),
        (dict(row, repo="noslash"), "must be owner/name"),
    ):
        path = tmp_path / "bad.jsonl"
        path.write_text(json.dumps(broken) + "\n")
        dataset._load_cached.cache_clear()
        with pytest.raises(HarnessError, match=message):
            dataset.load(dataset.source("full", str(path), None, None))


def test_hub_source_is_pinned(monkeypatch) -> None:
    src = dataset.source("full", None, None, None)
    assert (src.kind, src.location, src.split) == ("hub", "ScaleAI/SWE-bench_Pro", "test")
    assert len(src.revision or "") == 40


def test_filters_and_the_harness_shard() -> None:
    rows = dataset.load(dataset.source("sample", None, None, None))
    assert [i.repo_language for i in dataset.select(rows, language=["go"])] == ["go"]
    assert len(dataset.select(rows, repo=["harness-fixtures/jsslug", "harness-fixtures/gokv"])) == 2
    shards = [shard.select(rows, f"{k}/2", key=lambda i: i.instance_id) for k in (1, 2)]  # the harness's --shard
    assert sorted(i.instance_id for s in shards for i in s) == sorted(i.instance_id for i in rows)
    with pytest.raises(HarnessError, match="--language cobol: not in the dataset; valid: go, js, python"):
        dataset.select(rows, language=["cobol"])


def test_scripts_dir_is_required_beyond_the_fixtures(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(dataset.FIXTURES_FILE.read_text())
    assert scripts_dir(Options()) == dataset.FIXTURE_SCRIPTS
    with pytest.raises(HarnessError, match="--scripts-dir DIR is required"):
        instances(Options(dataset=str(path)))
    with pytest.raises(HarnessError, match=r"no run_script\.sh or parser\.py for instance_harness-fixtures__"):
        instances(Options(dataset=str(path), scripts_dir=str(tmp_path)))


def test_prompt_is_scales_problem_statement_requirements_interface() -> None:
    instance = fixture("python")
    text = dataset.task_text(instance)
    assert text == (
        f"{instance.problem_statement}\n\nRequirements:\n{instance.requirements}\n\n"
        f"New interfaces introduced:\n{instance.interface}"
    )
    assert text in dataset.prompt(instance, "/app") and "/app" in dataset.prompt(instance, "/app")


def test_grading_is_scales_subset_rule_and_strict_rules_fire() -> None:
    instance = fixture("go")
    tests = [*instance.fail_to_pass, *instance.pass_to_pass]
    passing = {"tests": [{"name": t, "status": "PASSED"} for t in tests]}
    assert grading.resolved(instance, passing)
    one_failed = {"tests": [{"name": tests[0], "status": "FAILED"}, *passing["tests"][1:]]}
    assert not grading.resolved(instance, one_failed)
    assert not grading.resolved(instance, {"tests": passing["tests"][1:]})  # a missing test is not passed
    assert not grading.resolved(instance, None)
    assert grading.counts(grading.tests_status(instance, one_failed), "FAIL_TO_PASS") == "1/2"

    clean = grading.strict_verdict(resolved=True, instance=instance, model_patch=instance.patch, output=passing, log="")
    assert clean.resolved_strict and not clean.violations
    forged_log = f"--- PASS: {tests[0]} (0.00s)\n--- FAIL: {tests[0]} (0.00s)\n"
    forged = grading.strict_verdict(
        resolved=True, instance=instance, model_patch=instance.patch, output=passing, log=forged_log
    )
    assert not forged.resolved_strict and forged.violations[0].startswith("forged_statuses:")
    hook = instance.patch + "diff --git a/main_test.go b/main_test.go\n+func TestMain(m *testing.M) { os.Exit(0) }\n"
    hooked = grading.strict_verdict(resolved=True, instance=instance, model_patch=hook, output=passing, log="")
    assert any(v.startswith("test_runner_hook:") for v in hooked.violations)
    edits_tests = grading.strict_verdict(
        resolved=True, instance=instance, model_patch=instance.test_patch, output=passing, log=""
    )
    assert any(v.startswith("modifies_test_files: kv_test.go") for v in edits_tests.violations)
    empty = grading.strict_verdict(resolved=True, instance=instance, model_patch="", output=passing, log="")
    assert empty.violations == ["empty_patch_resolves: the tests pass without any change"]


def test_mocha_and_pytest_forged_lines() -> None:
    python = fixture("python")
    name = python.fail_to_pass[0]
    passing = {"tests": [{"name": name, "status": "PASSED"}]}
    assert grading.forged_statuses(python, passing, f"{name} PASSED\nFAILED {name} - AssertionError\n")
    assert not grading.forged_statuses(python, passing, f"{name} PASSED [ 50%]\n")


# ---------------------------------------------------------------------------------------------------------------
# against Scale's own code and scripts in ../shared


def _scale_eval(shared_data: Path) -> types.ModuleType:
    """Scale's swe_bench_pro_eval.py, imported with its optional cloud clients absent."""
    root = shared_data / PRO
    helper = types.ModuleType("helper_code")
    image_uri = _module(root / "image_uri.py", "helper_code.image_uri")
    helper.image_uri = image_uri  # type: ignore[attr-defined]
    sys.modules.setdefault("helper_code", helper)
    sys.modules.setdefault("helper_code.image_uri", image_uri)
    return _module(root / "swe_bench_pro_eval.py", "scale_swe_bench_pro_eval")


def _module(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _info(folder: Path) -> dict[str, str]:
    lines = (folder / "instance_info.txt").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def test_image_tags_match_scales_image_uri_for_all_731(shared_data: Path) -> None:
    image_uri = _module(shared_data / PRO / "image_uri.py", "scale_image_uri")
    folders = sorted((shared_data / PRO / "run_scripts").iterdir())
    assert len(folders) == 731
    for folder in folders:
        info = _info(folder)
        tag = dataset.dockerhub_tag(info["Instance ID"], info["Repository"])
        assert f"jefzda/sweap-images:{tag}" == image_uri.get_dockerhub_image_uri(
            info["Instance ID"], "jefzda", info["Repository"]
        )


def test_entryscript_and_binary_stripping_match_scales(shared_data: Path, monkeypatch) -> None:
    scale = _scale_eval(shared_data)
    folder = next(p for p in sorted((shared_data / PRO / "run_scripts").iterdir()) if "flipt" in p.name)
    info = _info(folder)
    row = dict(
        fixture_rows()[0],
        instance_id=info["Instance ID"],
        repo=info["Repository"],
        base_commit=info["Base Commit"],
        selected_test_files_to_run=repr(json.loads(info["Test Files"])),
        before_repo_set_cmd=f"git reset --hard {info['Base Commit']}\ngit clean -fd \ngit checkout fixsha -- a_test.go",
    )
    instance = dataset.Instance.model_validate(row)
    ours = create_entryscript(instance, load_scripts(shared_data / PRO / "run_scripts", instance))
    monkeypatch.chdir(shared_data / PRO)
    assert ours == scale.create_entryscript(row)
    assert "export " in ours  # the ENV lines of the instance's Dockerfiles
    binary = (
        "diff --git a/x.png b/x.png\nnew file mode 100644\nBinary files /dev/null and b/x.png differ\n"
        "diff --git a/y.go b/y.go\n--- a/y.go\n+++ b/y.go\n@@ -1 +1 @@\n-a\n+b\n"
        "diff --git a/z.bin b/z.bin\nGIT binary patch\nliteral 3\nKc${NkU;qFB0RR91\n\n"
    )
    for patch in (binary, "", fixture("go").patch):
        assert strip_binary_hunks(patch) == scale.strip_binary_hunks(patch)


def test_fixture_entryscript_without_dockerfiles_has_no_exports() -> None:
    instance = fixture("js")
    text = create_entryscript(instance, Scripts("", ""))
    assert "bash /workspace/run_script.sh test/slug.test.js > /workspace/stdout.log" in text
    assert text.splitlines()[7] == instance.before_repo_set_cmd.splitlines()[-1]


PARSER_CASES = {
    # runner: (instance whose real parser reads that runner's output, expected {name: status})
    "pytest": (
        "instance_qutebrowser__qutebrowser-01d1d1494411380d97cac14614a829d3a69cecaf-v2ef375ac784985212b1805e1d0431dc8f1b3c171",
        {
            "tests/unit/utils/test_version.py::test_distribution[None-None]": "PASSED",
            "tests/unit/utils/test_version.py::TestGitStr::test_frozen_ok": "PASSED",
            "tests/unit/utils/test_version.py::TestGitStr::test_normal_error": "FAILED",
            "tests/unit/utils/test_version.py::test_is_sandboxed[distribution1-True]": "SKIPPED",
            "tests/unit/components/test_blockutils.py::test_blocklist_dl": "PASSED",  # XFAIL counts as passed
        },
    ),
    "gotest": (
        # flipt's parser keeps only top-level `--- PASS` lines: subtests and failures are absent (= not passed)
        "instance_flipt-io__flipt-02e21636c58e86c51119b63e0fb5ca7b813b07b1",
        {"TestLogEncoding": "PASSED", "TestCacheBackend": "PASSED"},
    ),
    "mocha": (
        "instance_NodeBB__NodeBB-00c70ce7b0541cfc94afe567921d7668cdc8f4ac-vnan",
        {
            "test/translator.js | Translator shim .translate() should translate correctly": "PASSED",
            "test/translator.js | Translator shim should skip the legacy path": "SKIPPED",
            "test/translator.js | Translator shim .translate() should translate in place": "FAILED",
        },
    ),
    "jest": (
        # element-web's parser reads PASS files only; the failing file's test is absent (= not passed)
        "instance_element-hq__element-web-1077729a19c0ce902e713cf6fab42c91fb7907f1-vnan",
        {
            "test/unit-tests/components/views/messages/MStickerBody-test.tsx | <MStickerBody/> | "
            "should render": "PASSED",
            "test/unit-tests/components/views/messages/MStickerBody-test.tsx | <MStickerBody/> | "
            "skipped should not render when hidden": "SKIPPED",
            "test/unit-tests/utils/FixedRollingArray-test.ts | FixedRollingArray | "
            "should seed the array with the given value": "PASSED",
            "test/unit-tests/utils/FixedRollingArray-test.ts | FixedRollingArray | "
            "should insert at the correct end": "PASSED",
        },
    ),
}


def run_parser(parser: Path, stdout: str, stderr: str, tmp_path: Path) -> dict[str, str]:
    (tmp_path / "stdout.log").write_text(stdout)
    (tmp_path / "stderr.log").write_text(stderr)
    out = tmp_path / "output.json"
    subprocess.run(
        [sys.executable, str(parser), str(tmp_path / "stdout.log"), str(tmp_path / "stderr.log"), str(out)],
        check=True,
        capture_output=True,
    )
    return {t["name"]: t["status"] for t in json.loads(out.read_text())["tests"]}


@pytest.mark.parametrize("runner", sorted(PARSER_CASES))
def test_real_parsers_on_recorded_outputs(runner: str, shared_data: Path, tmp_path: Path) -> None:
    instance_id, expected = PARSER_CASES[runner]
    parser = shared_data / PRO / "run_scripts" / instance_id / "parser.py"
    assert run_parser(parser, (OUTPUTS / f"{runner}.stdout").read_text(), "", tmp_path) == expected


@pytest.mark.parametrize("language", ["python", "go", "js"])
def test_fixture_parsers_read_their_runners_output(language: str, tmp_path: Path) -> None:
    """Our fixtures' parsers on the same recorded formats (pytest, go test, mocha JSON)."""
    runner = {"python": "pytest", "go": "gotest", "js": "mocha"}[language]
    parser = dataset.FIXTURE_SCRIPTS / fixture(language).instance_id / "parser.py"
    parsed = run_parser(parser, (OUTPUTS / f"{runner}.stdout").read_text(), "", tmp_path)
    if language == "go":  # ours keeps failures and subtests too
        assert parsed["TestScheme"] == "FAILED" and parsed["TestCacheBackend/redis"] == "PASSED"
    else:
        assert parsed == PARSER_CASES[runner][1]


# ---------------------------------------------------------------------------------------------------------------
# published results, claims, registration


def test_compare_pairs_a_run_with_a_published_file_on_common_instances(tmp_path: Path) -> None:
    published = tmp_path / "model-x.json"
    published.write_text(json.dumps({"a": True, "b": False, "c": True, "z": False}))
    run = pd.DataFrame(
        {
            "run_id": "r1",
            "suite": "swe_pro",
            "task": ["a", "b", "c", "d"],
            "epoch": 1,
            "model": "oracle",
            "score": [1.0, 1.0, 0.0, 1.0],
            "passed": [True, True, False, True],
            "errored": False,
        }
    )
    (comparison,) = compare_frames(run, published_frame(published))
    assert (comparison.tasks, comparison.unpaired_a, comparison.unpaired_b) == (3, 1, 1)
    assert (comparison.both, comparison.a_only, comparison.b_only, comparison.neither) == (1, 1, 1, 0)
    text = format_comparison(comparison)
    assert "3 paired attempts over 3 tasks in common" in text and "published:model-x" in text
    assert "McNemar exact test" in text
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(HarnessError, match="expected a published result file"):
        published_frame(tmp_path / "bad.json")


def test_compare_cli_on_scales_published_files(shared_data: Path, capsys) -> None:
    from harness.cli import main

    folder = shared_data / PRO / "published_results"
    frame = published_frame(folder / "claude-45sonnet-10132025.json")
    assert len(frame) == 730 and int(frame["passed"].sum()) == 319  # 43.7% of 730
    gpt5, sonnet = folder / "gpt-5-250-turns-10132025.json", folder / "claude-45sonnet-10132025.json"
    assert main(["compare", str(gpt5), str(sonnet)]) == 0
    out = capsys.readouterr().out
    assert "729 paired attempts over 729 tasks in common; unpaired and left out: A 0, B 1" in out
    assert "- mean score: A 0.364, B 0.438" in out and "McNemar exact test: discordant 59 vs 113" in out


def test_suite_is_registered_and_the_v4_card_swe_pro_claims_are_checked() -> None:
    from harness.results.claims import check, format_claims
    from harness.suite import get_suite, suite_names

    assert "swe_pro" in suite_names() and get_suite("swe_pro") is SUITE
    models = ["claude-opus-4-6", "gpt-5.4", "gemini-3.1-pro", "deepseek-v4-pro"]
    runs = pd.DataFrame(
        [
            {"suite": "swe_pro", "model": m, "task": f"t{n}", "epoch": 1, "score": float(n % 2), "errored": False}
            for m in models
            for n in range(10)
        ]
    )
    table = check(runs)
    claimed = {(r.model, r.config): round(100 * r.claimed, 1) for r in table.itertuples() if r.suite == "swe_pro"}
    assert claimed == {
        ("claude-opus-4-6", "Max"): 57.3,
        ("gpt-5.4", "xHigh"): 57.7,
        ("gemini-3.1-pro", ""): 54.2,
        ("deepseek-v4-pro", "Max"): 55.4,
    }
    assert set(table["benchmark_tasks"]) == {731} and "SWE-Pro" in format_claims(table)


def test_sandboxes_clear_scales_bash_entrypoint_and_only_eval_has_a_network() -> None:
    from suites.swe_pro import sandbox

    spec = sandbox.spec("jefzda/sweap-images:x", eval_network=True)
    services = spec.config.services
    assert services["default"].entrypoint == [] and services["default"].network_mode == "none"
    assert services["eval"].entrypoint == [] and services["eval"].network_mode is None
    instance = fixture("go")
    assert sandbox.official_ref(instance) == f"jefzda/sweap-images:{instance.dockerhub_tag}"
    assert sandbox.run_image(instance, fixtures=False, mirror="mirror.example.com") == (
        f"mirror.example.com/jefzda/sweap-images:{instance.dockerhub_tag}"
    )
