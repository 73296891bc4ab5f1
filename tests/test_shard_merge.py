"""`--shard K/N` (a hash of the sample id) and `harness merge`: refusals offline, and in Docker three shards of the
bundled oracle run merged into a run whose report, compare and nightly gate equal the unsharded run's."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import HarnessError
from harness.merge import merge
from harness.shard import parse, select, shard_of
from harness.suite import get_suite, parse_options
from harness.tasks import suite_task

SUITES = "terminal_bench,livecodebench"


def test_shard_is_a_fixed_function_of_the_id() -> None:
    # sha256("django__django-11099")[:8] mod 4, the same on every machine and in every dataset order
    assert [shard_of("django__django-11099", n) for n in (1, 2, 3, 4)] == [1, 1, 3, 3]
    ids = [f"task-{i}" for i in range(200)]
    parts = [select(ids, f"{k}/4", key=str) for k in range(1, 5)]
    assert sorted(i for p in parts for i in p) == sorted(ids)  # a partition: every id in exactly one shard
    assert all(30 <= len(p) <= 70 for p in parts)  # and balanced on average
    assert select(list(reversed(ids)), "2/4", key=str) == list(reversed(parts[1]))  # order does not matter


@pytest.mark.parametrize("text", ["0/3", "4/3", "x", "1/0", "1-3"])
def test_bad_shards_name_the_option(text: str) -> None:
    with pytest.raises(HarnessError, match=f"--shard {re.escape(text)}: "):
        parse(text)
    with pytest.raises(HarnessError, match="--shard: "):
        parse_options(get_suite("livecodebench"), {"shard": text})


def test_every_suite_is_sharded_by_the_harness() -> None:
    """suite_task filters every suite's samples, including suites that do nothing about shards themselves."""
    for suite in ("terminal_bench", "livecodebench", "mcp_atlas", "swe_verified"):
        whole = [s.id for s in suite_task(suite=suite, agent="oracle", data="sample").dataset]
        parts = [[s.id for s in suite_task(suite=suite, agent="oracle", data="sample", shard=f"{k}/3").dataset]
                 for k in (1, 2, 3)]  # fmt: skip
        assert sorted(str(i) for p in parts for i in p) == sorted(map(str, whole)), suite
        assert all(shard_of(i, 3) == k for k, part in enumerate(parts, 1) for i in part), suite


def _fake_run(root: Path, name: str, shard: str | None, **changes: object) -> Path:
    record = {
        "run_id": name,
        "model": {"alias": "oracle", "kind": "oracle", "provider": "mockllm", "inspect_model": "mockllm/oracle"},
        "suites": {"livecodebench": {"scaffold_hash": "s1", "dataset": {"sha256": "d1"}, "options": {"limit": None}}},
        "policy": {"hash": "p1"},
        "run": {"epochs": 1, "shard": shard},
    }
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = record
        for key in parents:
            target = target[key]  # type: ignore[assignment,index]
        target[leaf] = value  # type: ignore[index]
    run = root / name
    (run / "logs").mkdir(parents=True)
    (run / "manifest.json").write_text(json.dumps(record))
    return run


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model__alias": "noop"}, "mixed model"),
        ({"model__kind": "scripted"}, "mixed model"),
        ({"agent": {"agent_name": "mini-swe-agent"}}, "mixed agent name"),
        ({"policy__hash": "p2"}, "mixed policy hash"),
        ({"suites__livecodebench__scaffold_hash": "s2"}, "mixed scaffold hash"),
        ({"suites__livecodebench__dataset": {"sha256": "d2"}}, "mixed dataset hash"),
        ({"suites__livecodebench__options": {"limit": 3}}, "mixed suite options"),
        ({"run__epochs": 3}, "mixed epochs"),
    ],
)
def test_merge_refuses_mixed_runs(tmp_path: Path, change: dict, message: str) -> None:
    a = _fake_run(tmp_path, "a", "1/2")
    b = _fake_run(tmp_path, "b", "2/2", **change)
    with pytest.raises(HarnessError, match=f"harness merge: {message}: a has .*, b has"):
        merge([a, b], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_merge_refuses_repeated_missing_and_unsharded(tmp_path: Path) -> None:
    runs = [_fake_run(tmp_path, n, s) for n, s in (("a", "1/3"), ("b", "1/3"), ("c", "3/3"), ("d", None))]
    with pytest.raises(HarnessError, match="shard 1/3 given twice"):
        merge(runs[:2], tmp_path / "out")
    with pytest.raises(HarnessError, match=r"shard\(s\) 2/3 missing; run them, or pass --partial"):
        merge([runs[0], runs[2]], tmp_path / "out")
    with pytest.raises(HarnessError, match="d ran without --shard"):
        merge([runs[0], runs[3]], tmp_path / "out")
    assert main(["merge", str(runs[0]), "--out", str(tmp_path / "out")]) == 2  # one run is not a merge


# ---------------------------------------------------------------------------------------------------------------
# Docker: the single run and its three shards, run at once in child processes


def _eval(root: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "HARNESS_RESULTS_DIR": str(root), "INSPECT_DISPLAY": "none"}
    cmd = [sys.executable, "-m", "harness.cli", "eval", "--model", "oracle", "--suite", SUITES, "--limit", "4", *extra]
    return subprocess.Popen(cmd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _run_dir(process: subprocess.Popen[str]) -> Path:
    output, _ = process.communicate()
    lines = [line for line in output.splitlines() if line.startswith("run directory: ")]
    assert process.returncode == 0 and lines, output[-3000:]
    return Path(lines[-1].removeprefix("run directory: "))


def _report(run: Path) -> str:
    """`harness report` without what differs between any two runs: run ids and times."""
    from harness.results import load
    from harness.results.report import write_report

    text, _ = write_report(load([run]), run, plot=False)
    text = re.sub(r"Runs: .*", "Runs: <id>", text)
    return "\n".join(line.rsplit("|", 2)[0] if line.startswith("| oracle") else line for line in text.splitlines())


@pytest.mark.docker
def test_three_shards_merge_into_the_single_run(docker_engine: None, tmp_path: Path) -> None:
    started = {"single": _eval(tmp_path / "single")}
    started |= {k: _eval(tmp_path / f"shard{k}", "--shard", f"{k}/3") for k in (1, 2, 3)}
    runs = {name: _run_dir(p) for name, p in started.items()}
    shards = [runs[k] for k in (1, 2, 3)]
    assert [json.loads((r / "manifest.json").read_text())["run"]["shard"] for r in shards] == ["1/3", "2/3", "3/3"]

    out = tmp_path / "merged"
    record = merge(shards, out)
    assert record["merged"] == {**record["merged"], "shards": 3, "missing_shards": []}
    assert record["samples"] == {"planned": 8, "logged": 8} and record["success"] is True
    assert record["cost"]["cost_usd"] == 0.0 and record["cost"]["shards_usd"] == 0.0
    assert _report(out) == _report(runs["single"])

    from harness.results import load

    merged, single = load([out]), load([runs["single"]])
    assert set(merged["run_id"]) == {"merged"}  # one run, whatever runs the shards were
    columns = ["suite", "task", "epoch", "score", "passed", "errored"]
    assert merged[columns].equals(single[columns])
    compare = subprocess.run(
        [sys.executable, "-m", "harness.cli", "compare", str(runs["single"]), str(out)], capture_output=True, text=True
    )
    assert compare.returncode == 0 and compare.stdout.count("no significant difference") == 2, compare.stdout
    assert main(["claims", str(out)]) == 0
    assert main(["nightly", "--model", "oracle", "--run-dir", str(out)]) == 0  # gated against the oracle baseline
    assert "Nightly regression: oracle: PASS" in (out / "nightly.md").read_text()

    with pytest.raises(HarnessError, match="samples in more than one input: livecodebench/"):
        merge([runs["single"], Path(shutil.copytree(runs["single"], tmp_path / "again"))], tmp_path / "dup")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "--model", "oracle", "--suite", "livecodebench", "--shard", "4/3"], "argument --shard: 4/3: K must"),
        (["eval", "--model", "oracle", "--suite", "livecodebench", "--image-map", "m.json"], "apply to --sandbox k8s"),
        (["nightly", "--model", "oracle", "--shard", "1/2", "--run-dir", "x"], "--shard runs one shard"),
    ],
)
def test_bad_shard_and_sandbox_options_are_one_line_errors(
    args: list[str], message: str, results_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (results_dir / "runs").exists()  # refused before any run directory
