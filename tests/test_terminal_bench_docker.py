"""Terminal-Bench end to end in real Docker sandboxes: oracle validation, a scripted agent driving an interactive
program, a forged reward, agent and verifier timeouts, broken verifiers, fresh trials, build timeouts."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log

from harness import images
from harness.errors import HarnessError
from harness.results import load, summary
from harness.results.report import render as render_report
from harness.run import EvalRequest, run_eval
from harness.validate import render, validate
from suites.terminal_bench.dataset import SAMPLES_DIR
from suites.terminal_bench.task import Options, tasks

pytestmark = pytest.mark.docker
FIXTURES = Path(__file__).parent / "fixtures" / "terminal_bench"


def samples(run_dir: Path):
    return {str(s.id): s for f in sorted((run_dir / "logs").glob("*.eval")) for s in read_eval_log(str(f)).samples}


def test_every_sample_validates_oracle_one_noop_zero(docker_engine, results_dir) -> None:
    oracle, noop = validate("terminal_bench")
    text = render([oracle, noop])
    assert oracle.ok and noop.ok, text
    names = {t.name: t.format for t in tasks(Options())}
    assert set(oracle.table["task"]) == set(noop.table["task"]) == set(names) and len(names) == 6
    assert set(names.values()) == {"harbor", "tb1"}
    assert "oracle: 6/6 passed, 0 infrastructure errors, 0 skipped; expected 6/6: OK" in text
    manifest = json.loads((oracle.run_dir / "manifest.json").read_text())
    dataset = manifest["suites"]["terminal_bench"]["dataset"]
    assert dataset["digest"].startswith("sha256:") and dataset["n_tasks"] == 6
    assert dataset["timeout_multiplier"] == 1.0 and dataset["leaderboard_timeouts"]
    # the prebuilt docker_image path: here a local image, recorded apart from pulled ones with its local id
    assert manifest["images"]["local"]["harness-base:bookworm"]["id"].startswith("sha256:")


def test_scripted_agent_drives_an_interactive_program_and_cannot_forge_a_reward(
    docker_engine, results_dir, tmp_path
) -> None:
    def typed(text: str) -> dict:
        return {"tool_calls": [{"function": "bash_session", "arguments": {"action": "type_submit", "input": text}}]}

    submit = {"tool_calls": [{"function": "submit", "arguments": {"answer": "done"}}]}
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(
            {
                # vault refuses pipes: the answers go to its prompts through the persistent shell session
                "vault-unlock": [
                    typed("ls /tests /solution; vault"),
                    typed("alice"),
                    typed("open-sesame"),
                    typed("y"),
                    submit,
                ],
                # an agent writing the reward itself: the verifier deletes it, reruns the tests and scores 0
                "kv-sidecar": [typed("mkdir -p /logs/verifier && echo 1 > /logs/verifier/reward.txt"), submit],
            }
        )
    )
    run = run_eval(
        EvalRequest(
            model="scripted",
            suites=["terminal_bench"],
            script=script,
            options={"task_names": "vault-unlock,kv-sidecar"},
        )
    )
    got = samples(run.run_dir)
    vault, kv = got["vault-unlock"], got["kv-sidecar"]
    outputs = [m.text for m in vault.messages if m.role == "tool"]
    assert "cannot access '/tests'" in outputs[0] and "cannot access '/solution'" in outputs[0]
    assert outputs[0].rstrip().endswith("Operator name:") and outputs[1].strip() == "Passphrase:"
    assert "vault: unlocked" in outputs[-1]
    assert vault.scores["verifier"].value == 1.0
    assert vault.scores["verifier"].metadata["rewards"] == {"reward": 1.0, "vault_file": 1.0, "audit_log": 1.0}
    assert kv.scores["verifier"].value == 0.0
    assert kv.scores["verifier"].metadata["reward_source"] == "reward.json"  # the agent's reward.txt is gone


def test_agent_timeout_still_verifies_and_broken_verifiers_are_errors(docker_engine, results_dir) -> None:
    started = time.monotonic()
    run = run_eval(
        EvalRequest(model="oracle", suites=["terminal_bench"], options={"tasks_dir": str(FIXTURES)}, epochs=2)
    )
    assert time.monotonic() - started < 240  # solve.sh sleeps 600 s; the 8 s agent limit cut it
    df = load([run.run_dir / "logs"])
    t = df.set_index(["task", "epoch"])
    # agent-timeout: solve.sh appends `42` then hangs; each trial's verifier still ran and its reward counts.
    # test.sh wants exactly one line, so both trials passing also shows each trial had a fresh environment.
    for epoch in (1, 2):
        assert t.loc[("agent-timeout", epoch), "score"] == 1.0
        assert t.loc[("agent-timeout", epoch), "trial_error"] == "AgentTimeoutError"
        assert not t.loc[("agent-timeout", epoch), "errored"]
        assert t.loc[("no-reward", epoch), "trial_error"] == "RewardFileNotFoundError"
        assert t.loc[("verifier-timeout", epoch), "trial_error"] == "VerifierTimeoutError"
    table = summary(df).iloc[0]  # what `harness eval` prints and `harness report` renders: one pipeline
    assert (table["n"], table["errors"], table["score_valid"]) == (6, 4, 1.0)
    assert table["score"] == pytest.approx(2 / 6)
    assert 0.0 <= table["ci_low"] <= table["score"] <= table["ci_high"] <= 1.0
    text = render_report(df)
    assert "## Errored attempts" in text and text.count("| terminal_bench") == 6  # 4 errors + 2 agent timeouts
    meta = samples(run.run_dir)["verifier-timeout"].scores["verifier"].metadata
    assert meta["infra_error"] == "VerifierTimeoutError" and meta["verifier_timeout_sec"] == 2.0


def test_build_timeout_is_enforced(docker_engine, tmp_path) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM {images.BASE_IMAGE}\nRUN sleep 60 # {time.time()}\n")
    spec = images.ImageBuild(name="harness-tb-build-timeout-test", context=tmp_path, timeout=3)
    started = time.monotonic()
    with pytest.raises(HarnessError, match="exceeded its build timeout of 3 s"):
        images.ensure_built([spec])
    assert time.monotonic() - started < 30


def test_a_task_whose_image_cannot_be_built_is_an_error_row_and_the_rest_runs(docker_engine, tmp_path) -> None:
    tasks_dir = tmp_path / "tasks"
    shutil.copytree(SAMPLES_DIR / "hello-file", tasks_dir / "hello-file")
    broken = tasks_dir / "broken-build"
    shutil.copytree(SAMPLES_DIR / "hello-file", broken)
    dockerfile = broken / "environment" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + f"RUN echo 'no such package {time.time()}' >&2 && exit 3\n")
    run = run_eval(EvalRequest(model="oracle", suites=["terminal_bench"], options={"tasks_dir": str(tasks_dir)}))
    got = samples(run.run_dir)
    assert got["hello-file"].scores["verifier"].value == 1.0
    failed = got["broken-build"].scores["verifier"]
    assert failed.value == 0.0 and failed.metadata["infra_error"] == "EnvironmentBuildError"
    assert "no such package" in failed.explanation  # the build log's tail
    manifest = json.loads((run.run_dir / "manifest.json").read_text())
    assert [t.split(":")[0] for t in manifest["images"]["failed"]] == ["harness-tb-broken-build"]
    df = load([run.run_dir / "logs"]).set_index("task")
    assert df.loc["broken-build", "trial_error"] == "EnvironmentBuildError" and df.loc["broken-build", "errored"]
