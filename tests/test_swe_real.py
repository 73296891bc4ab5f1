"""One real SWE-bench Verified row end to end: sympy__sympy-20590, its real eval_script and official grading, in a
local stand-in for its official image built by ../shared/tools/swe-emulate.sh (sympy==1.7 sdist, offline).

The stand-in is built once per machine and cached under a content tag (script, row, pip spec, base image), so a
second run only re-tags it with the official name."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import images
from harness.cli import main
from suites.swe_verified import dataset

pytestmark = pytest.mark.docker

INSTANCE = "sympy__sympy-20590"
PIP_SPEC = "sympy==1.7"
VERIFIED = "swe-bench-verified/test.parquet"


def emulated_image(parquet: Path, script: Path) -> str:
    """The row's official image name, pointing at a cached stand-in built by swe-emulate.sh."""
    row = next(r for r in dataset.load(dataset.source("full", str(parquet), None, None)) if r.instance_id == INSTANCE)
    key = hashlib.sha256(
        b"\0".join(
            [
                script.read_bytes(),
                row.model_dump_json().encode(),
                PIP_SPEC.encode(),
                (images.image_id(images.BASE_IMAGE) or "").encode(),
            ]
        )
    ).hexdigest()[:12]
    cached = f"harness-swe-emulated/{INSTANCE}:h{key}"
    if images.image_id(cached):
        images.docker("tag", cached, row.image)
        return row.image
    images.log(f"building the stand-in for {row.image} with {script} (a few minutes, once per machine)")
    env = {**os.environ, "PYTHON": sys.executable}
    built = subprocess.run(
        ["bash", str(script), str(parquet), INSTANCE, PIP_SPEC, images.BASE_IMAGE],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert built.returncode == 0 and built.stdout.strip() == row.image, built.stderr[-2000:]
    images.docker("tag", row.image, cached)
    return row.image


@pytest.fixture(scope="session")
def sympy_image(docker_engine, shared_data: Path) -> str:
    script = shared_data.parent / "tools" / "swe-emulate.sh"
    if not script.is_file():
        pytest.skip(f"{script} not found (it builds the local stand-in image)")
    return emulated_image(shared_data / VERIFIED, script)


def scores(run_dir: Path) -> dict:
    from inspect_ai.log import read_eval_log_samples

    (log,) = sorted((run_dir / "logs").glob("*.eval"))
    (sample,) = read_eval_log_samples(str(log))
    return {"meta": next(iter(sample.scores.values())).metadata, "sample": sample}


def test_real_sympy_row_gold_resolves_and_empty_does_not(sympy_image, shared_data, results_dir, capsys) -> None:
    args = ["--data", "full", "--dataset", str(shared_data / VERIFIED), "--instance-ids", INSTANCE]
    assert main(["validate", "swe_verified", *args, "--display", "none"]) == 0
    out = capsys.readouterr().out
    assert "oracle: 1/1 passed, 0 infrastructure errors, 0 skipped; expected 1/1: OK" in out
    assert "noop: 0/1 passed, 0 infrastructure errors, 0 skipped; expected 0/1: OK" in out

    gold_dir, empty_dir = sorted((results_dir / "runs").iterdir(), key=lambda p: "noop" in p.name)
    gold = scores(gold_dir)
    meta = gold["meta"]
    assert gold["sample"].metadata["image"] == sympy_image == "swebench/sweb.eval.x86_64.sympy_1776_sympy-20590:latest"
    assert meta["resolved"] and meta["resolved_strict"]
    assert meta["canary_status"] == "FAILED"  # sympy's own runner reports the always-failing canary as failed
    assert (meta["fail_to_pass"], meta["pass_to_pass"]) == ("1/1", "21/21")
    assert meta["base_found"] is False  # the stand-in's history lacks base_commit: the diff base is its HEAD
    assert "test_immutable ok" in meta["test_output"]
    manifest = json.loads((gold_dir / "manifest.json").read_text())
    # the stand-in was built here, not pulled: recorded as local, with its id and no registry digest
    assert sympy_image not in manifest["images"]["pulled"]
    assert manifest["images"]["local"][sympy_image] == {"id": images.image_id(sympy_image), "digest": None}
    assert manifest["suites"]["swe_verified"]["options"]["data"] == str((shared_data / VERIFIED).resolve())
    prediction = json.loads((gold_dir / "swe_verified" / "predictions.jsonl").read_text())
    assert prediction["instance_id"] == INSTANCE and "+    __slots__ = ()" in prediction["model_patch"]

    # swebench never grades an empty patch; the unpatched run's own log shows FAIL_TO_PASS failing
    meta = scores(empty_dir)["meta"]
    assert meta["empty_patch"] and not meta["resolved"]
    assert meta["unpatched_tests_status"]["FAIL_TO_PASS"]["failure"] == ["test_immutable"]
    assert len(meta["unpatched_tests_status"]["PASS_TO_PASS"]["success"]) == 21
    assert "test_immutable F" in meta["test_output"]
