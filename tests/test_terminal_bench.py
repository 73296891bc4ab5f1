"""Terminal-Bench suite without Docker: task loading (Harbor and TB1), reward parsing, environments, scoring."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from harness.cli import build_parser
from harness.errors import HarnessError
from harness.images import ImageBuild, ImagePull
from harness.suite import parse_options
from suites.terminal_bench import sandbox
from suites.terminal_bench.dataset import SAMPLES_DIR, load_task, load_tasks, tree_digest
from suites.terminal_bench.oracle import solution_env
from suites.terminal_bench.rewards import RewardError, error_policy, parse_reward
from suites.terminal_bench.scorer import verifier_command
from suites.terminal_bench.task import SUITE, Options, attempt_columns, dataset_info, images, tasks, trial_metadata

FIXTURES = Path(__file__).parent / "fixtures" / "terminal_bench"


def sample(name: str):
    return load_task(SAMPLES_DIR / name)


def copy_task(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(SAMPLES_DIR / name, dest)
    return dest


# --- the bundled samples --------------------------------------------------------------------------------------


def test_samples_cover_the_issue() -> None:
    found = load_tasks(SAMPLES_DIR)
    formats = [t.format for t in found]
    assert formats.count("harbor") >= 4 and formats.count("tb1") >= 1
    assert {"hello-file", "sum-numbers"} <= {t.name for t in found}  # tests/test_foundation.py uses them
    assert any("interactive" in t.config.metadata.get("tags", []) for t in found)
    assert any(not t.config.environment.allow_internet for t in found)
    assert any(t.compose_file is not None and t.format == "harbor" for t in found)
    assert any(t.config.environment.docker_image for t in found)
    for task in found:
        assert (
            "harness-base:bookworm" in (task.build_context / task.dockerfile).read_text()
            if task.build_context
            else task.config.environment.docker_image == "harness-base:bookworm"
        )


def test_tb1_task_is_normalised_to_harbor_semantics() -> None:
    task = sample("tb1-csv-total")
    assert task.format == "tb1"
    assert task.config.agent.timeout_sec == 180 and task.config.verifier.timeout_sec == 60
    assert task.config.metadata["category"] == "data-processing"
    assert task.instruction.startswith("The file /app/sales.csv")
    script = task.solution_text()
    assert script and script.startswith("#!/bin/bash") and "echo $sum > /app/total.txt" in script
    assert "run-tests.sh" in verifier_command(task) and "reward.txt" in verifier_command(task)


# --- malformed tasks: one line naming the task and the field ---------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda p: (p / "task.toml").write_text("[agent]\ntimeout_sec = 'soon'\n"),
            "task.toml field agent.timeout_sec",
        ),
        (lambda p: (p / "task.toml").write_text("[agent\n"), "is not valid TOML"),
        (lambda p: (p / "task.toml").write_text("[environment]\nmemory_mb = -1\n"), "field environment.memory_mb"),
        (lambda p: (p / "tests" / "test.sh").unlink(), "missing tests/test.sh"),
        (lambda p: (p / "solution" / "solve.sh").unlink(), "missing solution/solve.sh"),
        (lambda p: (p / "environment" / "Dockerfile").unlink(), "missing environment/Dockerfile"),
        (lambda p: (p / "instruction.md").write_text("  \n"), "instruction.md is empty"),
    ],
)
def test_malformed_harbor_task(tmp_path: Path, edit, expected: str) -> None:
    path = copy_task(tmp_path, "hello-file")
    edit(path)
    with pytest.raises(HarnessError, match="task hello-file: ") as info:
        load_task(path)
    assert expected in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda p: (p / "task.yaml").write_text("difficulty: easy\n"), "task.yaml field instruction"),
        (
            lambda p: (p / "task.yaml").write_text("instruction: x\nmax_agent_timeout_sec: never\n"),
            "task.yaml field max_agent_timeout_sec",
        ),
        (lambda p: (p / "solution.yaml").write_text("- cmd: ls\n"), "solution.yaml field command"),
        (lambda p: (p / "run-tests.sh").unlink(), "missing run-tests.sh"),
        (lambda p: (p / "docker-compose.yaml").write_text("services: {}\n"), "docker-compose.yaml field services"),
    ],
)
def test_malformed_tb1_task(tmp_path: Path, edit, expected: str) -> None:
    path = copy_task(tmp_path, "tb1-csv-total")
    edit(path)
    with pytest.raises(HarnessError, match="task tb1-csv-total: ") as info:
        load_task(path)
    assert expected in str(info.value)


def test_a_tasks_dir_may_be_one_task_and_must_hold_tasks(tmp_path: Path) -> None:
    assert [t.name for t in load_tasks(SAMPLES_DIR / "hello-file")] == ["hello-file"]
    with pytest.raises(HarnessError, match="holds no task directories"):
        load_tasks(tmp_path)
    with pytest.raises(HarnessError, match="no such directory"):
        load_tasks(tmp_path / "missing")


def test_schema_version_key_is_accepted(tmp_path: Path) -> None:
    path = copy_task(tmp_path, "hello-file")
    text = (path / "task.toml").read_text().replace('version = "1.0"', 'schema_version = "1.1"')
    (path / "task.toml").write_text(text)
    assert load_task(path).config.version == "1.1"


# --- rewards: Harbor's reward.txt / reward.json rules ------------------------------------------------------------


@pytest.mark.parametrize(
    ("txt", "js", "value"),
    [
        ("1", None, 1.0),
        (" 0.25\n", None, 0.25),
        (None, '{"reward": 0.5, "tests": 3}', 0.5),
        (None, '{"accuracy": 0.75}', 0.75),
        ("0", '{"reward": 1}', 0.0),  # reward.txt wins, as in Harbor
    ],
)
def test_reward_files(txt: str | None, js: str | None, value: float) -> None:
    assert parse_reward(txt, js).value == value


@pytest.mark.parametrize(
    ("txt", "js", "error"),
    [
        (None, None, "RewardFileNotFoundError"),
        ("", None, "RewardFileEmptyError"),
        (None, " ", "RewardFileEmptyError"),
        ("pass", None, "VerifierOutputParseError"),
        ("nan", None, "VerifierOutputParseError"),
        ("inf", None, "VerifierOutputParseError"),
        (None, "[1]", "VerifierOutputParseError"),
        (None, '{"reward": "1"}', "VerifierOutputParseError"),
        (None, '{"reward": true}', "VerifierOutputParseError"),
        (None, '{"a": 1, "b": 0}', "VerifierOutputParseError"),
        (None, "{", "VerifierOutputParseError"),
    ],
)
def test_invalid_rewards_are_errors_not_zeros(txt: str | None, js: str | None, error: str) -> None:
    with pytest.raises(RewardError) as info:
        parse_reward(txt, js)
    assert info.value.error_class == error
    assert error in error_policy() and not error_policy()[error].reward_counts


def test_error_policy_table() -> None:
    policy = error_policy()
    assert policy["AgentTimeoutError"].reward_counts
    assert {"VerifierTimeoutError", "RewardFileNotFoundError", "SampleError"} <= set(policy)


# --- environments --------------------------------------------------------------------------------------------------


def dump(task) -> dict:
    return sandbox.compose(task).model_dump(mode="json", by_alias=True, exclude_none=True)


def test_no_internet_means_no_network_and_limits_apply() -> None:
    config = dump(sample("sum-numbers"))
    main = config["services"]["default"]
    assert main["network_mode"] == "none" and main["cpus"] == 1.0 and main["mem_limit"] == "512m"
    assert main["image"].startswith("harness-tb-sum-numbers:h")


def test_internet_when_the_task_allows_it(tmp_path: Path) -> None:
    path = copy_task(tmp_path, "hello-file")
    (path / "task.toml").write_text(
        (path / "task.toml").read_text().replace("allow_internet = false", "allow_internet = true")
    )
    assert "network_mode" not in dump(load_task(path))["services"]["default"]


def test_extra_services_share_an_internal_network_without_internet() -> None:
    task = sample("kv-sidecar")
    config = dump(task)
    main, kv = config["services"]["default"], config["services"]["kv"]
    assert config["networks"] == {"tb_internal": {"internal": True, "labels": {"org.harness.run-id": "unlabelled"}}}
    assert main["networks"] == kv["networks"] == ["tb_internal"] and "network_mode" not in main
    assert main["depends_on"] == ["kv"] and main["environment"]["KV_HOST"] == "kv"
    assert kv["image"].startswith("harness-tb-kv-sidecar-kv:h") and kv["x-local"] is True
    built = [s for s in sandbox.images(task) if isinstance(s, ImageBuild)]
    assert [s.name for s in built] == ["harness-tb-kv-sidecar", "harness-tb-kv-sidecar-kv"]
    assert all(s.timeout == 300 for s in built)


def test_prebuilt_docker_image_is_pulled_not_built(tmp_path: Path) -> None:
    task = sample("no-network")
    assert task.build_context is None
    assert sandbox.images(task) == [ImagePull("harness-base:bookworm")]
    assert dump(task)["services"]["default"]["image"] == "harness-base:bookworm"
    # a task with both: the docker_image, unless --force-build (as Harbor's _use_prebuilt)
    path = copy_task(tmp_path, "hello-file")
    (path / "task.toml").write_text(
        (path / "task.toml")
        .read_text()
        .replace("[environment]", '[environment]\ndocker_image = "example.org/tb/hello:1"')
    )
    both = load_task(path)
    assert sandbox.images(both) == [ImagePull("example.org/tb/hello:1")]
    forced = sandbox.images(both, sandbox.BuildPolicy(force_build=True))
    assert isinstance(forced[0], ImageBuild) and forced[0].name == "harness-tb-hello-file"
    assert parse_options(SUITE, {"force_build": "true"}).force_build


def test_tb1_compose_template_fields_are_dropped() -> None:
    from harness.leftovers import run_digest

    main = dump(sample("tb1-csv-total"))["services"]["default"]
    assert "volumes" not in main and "container_name" not in main
    assert main["environment"] == {"HARNESS_RUN": run_digest("unlabelled")}  # only the run mark (harness.leftovers)
    assert main["command"] == ["tail", "-f", "/dev/null"]


def test_tb1_client_volumes_are_dropped_as_harbor_mapper_does(tmp_path: Path) -> None:
    # the livecodebenchpro adapter's TB1 tasks mount the task directory into the client (`./:/app`); Harbor's
    # TerminalBenchMapper rebuilds the main service without the client's volumes, so the task runs, unmounted
    path = copy_task(tmp_path, "tb1-csv-total")
    compose = path / "docker-compose.yaml"
    compose.write_text(compose.read_text() + "      - ./:/app\n")
    main = dump(load_task(path))["services"]["default"]
    assert "volumes" not in main
    # a Harbor task's main service still may not mount the host writable
    harbor = copy_task(tmp_path / "h", "kv-sidecar")
    kv_compose = harbor / "environment" / "docker-compose.yaml"
    kv_compose.write_text(
        kv_compose.read_text().replace(
            '      KV_PORT: "7070"\n', '      KV_PORT: "7070"\n    volumes:\n      - ./:/app\n'
        )
    )
    with pytest.raises(HarnessError, match="must be read-only"):
        sandbox.compose(load_task(harbor))


@pytest.mark.parametrize(
    ("service", "addition", "expected"),
    [
        ("kv", "    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n", "Docker socket"),
        ("kv", "    network_mode: host\n", "network_mode: host is not allowed"),
        ("main", "    volumes:\n      - /etc:/host-etc\n", "must be read-only"),
    ],
)
def test_task_compose_cannot_take_host_access(tmp_path: Path, service: str, addition: str, expected: str) -> None:
    path = copy_task(tmp_path, "kv-sidecar")
    compose = path / "environment" / "docker-compose.yaml"
    text = compose.read_text()
    anchor = "      context: ./kv\n" if service == "kv" else '      KV_PORT: "7070"\n'
    compose.write_text(text.replace(anchor, anchor + addition))
    with pytest.raises(HarnessError, match=expected):
        sandbox.compose(load_task(path))


@pytest.mark.parametrize(
    ("service", "addition", "key"),
    [
        ("main", "    cap_add: [SYS_ADMIN]\n", "cap_add: SYS_ADMIN"),
        ("kv", "    cap_add:\n      - ALL\n", "cap_add: ALL"),
        ("main", "    security_opt:\n      - seccomp=unconfined\n", "security_opt: seccomp=unconfined"),
        ("kv", "    security_opt: [apparmor=unconfined]\n", "security_opt: apparmor=unconfined"),
        ("main", "    privileged: true\n", "privileged: True"),
        ("kv", "    privileged: true\n", "privileged: True"),
    ],
)
def test_task_privileges_are_refused_unless_allowed(tmp_path: Path, service: str, addition: str, key: str) -> None:
    path = copy_task(tmp_path, "kv-sidecar")
    compose = path / "environment" / "docker-compose.yaml"
    anchor = "      context: ./kv\n" if service == "kv" else '      KV_PORT: "7070"\n'
    compose.write_text(compose.read_text().replace(anchor, anchor + addition))
    name = "main" if service == "main" else "kv"
    with pytest.raises(HarnessError) as caught:
        sandbox.compose(load_task(path))
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"task kv-sidecar: docker-compose.yaml service {name}: {key}")
    assert "--allow-task-privileges" in message
    allowed = sandbox.compose(load_task(path), sandbox.BuildPolicy(allow_privileges=True)).model_dump(
        by_alias=True, exclude_none=True
    )
    target = allowed["services"]["default" if service == "main" else "kv"]
    assert target.get(key.split(":")[0]), "an allowed privilege reaches the compose file"
    assert parse_options(SUITE, {"allow_task_privileges": "true"}).allow_task_privileges


def test_sidecars_get_the_default_limits() -> None:
    kv = dump(sample("kv-sidecar"))["services"]["kv"]
    assert (kv["cpus"], kv["mem_limit"], kv["pids_limit"]) == (1.0, "2g", 1024)


def test_tb1_test_exit_code_is_run_tests_own() -> None:
    command = verifier_command(sample("tb1-csv-total"))
    assert command.endswith("exit $code") and "code=$?" in command


# --- reward_strict: real pytest logs -------------------------------------------------------------------------------

SOLUTIONS = {
    "honest": "def total(numbers):\n    return sum(numbers)\n",
    "failing": "def total(numbers):\n    return 0\n",
    "early_exit": "import os\nos._exit(0)\n",
    "forged_summary": "import atexit, os\n\n\ndef total(numbers):\n    return 0\n\n\n@atexit.register\n"
    "def _forge():\n    print('=' * 30 + ' 3 passed in 0.01s ' + '=' * 30, flush=True)\n    os._exit(0)\n",
}
EXPLOIT_TESTS = Path(__file__).parent / "exploits" / "fixtures" / "terminal_bench" / "pytest-sum" / "tests"


def pytest_log(tmp_path: Path, solution: str, *flags: str) -> tuple[int, str]:
    import subprocess
    import sys

    app = tmp_path / "app"
    app.mkdir()
    (app / "solution.py").write_text(solution)
    test = (EXPLOIT_TESTS / "test_outputs.py").read_text().replace('"/app"', repr(str(app)))
    (tmp_path / "test_outputs.py").write_text(test)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *flags, str(tmp_path / "test_outputs.py")],
        cwd=app,
        capture_output=True,
        text=True,
    )
    return run.returncode, run.stdout + run.stderr


@pytest.mark.parametrize(
    ("case", "exit_code", "rules"),
    [
        ("honest", 0, []),
        ("failing", 1, ["tests_failed"]),
        ("early_exit", 0, ["session_unfinished"]),
        ("forged_summary", 0, ["forged_summary", "tests_failed"]),
    ],
)
def test_reward_strict_reads_real_pytest_logs(tmp_path: Path, case: str, exit_code: int, rules: list[str]) -> None:
    from suites.terminal_bench.strict import strict_reward

    code, log = pytest_log(tmp_path, SOLUTIONS[case], "-rA")
    assert code == exit_code, log
    result = strict_reward(1.0 if code == 0 else 0.0, log)
    assert [v.split(":")[0] for v in result.violations] == rules
    assert result.strict is (case == "honest") and result.sessions == 1


def test_reward_strict_without_per_test_lines_and_without_pytest(tmp_path: Path) -> None:
    from suites.terminal_bench.strict import strict_reward

    code, log = pytest_log(tmp_path, SOLUTIONS["honest"])  # no -rA: only the summary counts
    assert code == 0 and strict_reward(1.0, log).strict
    assert strict_reward(1.0, "expected 430, got 430\n") == strict_reward(1.0, "")  # a shell test.sh
    assert strict_reward(1.0, "").strict and not strict_reward(0.0, "").strict
    forged = "=" * 20 + " 3 passed in 0.01s " + "=" * 20
    assert strict_reward(1.0, forged).violations[0].startswith("forged_summary")


# --- options, timeouts, dataset record ----------------------------------------------------------------------------


def test_timeout_multiplier_scales_agent_verifier_and_build() -> None:
    task = sample("hello-file")
    doubled = sandbox.BuildPolicy(timeout_multiplier=2.0)
    meta = trial_metadata(task, doubled)
    assert (meta["agent_timeout_sec"], meta["verifier_timeout_sec"], meta["timeout_multiplier"]) == (240, 120, 2.0)
    assert sandbox.images(task, doubled)[0].timeout == 600
    assert trial_metadata(task, sandbox.BuildPolicy())["agent_timeout_sec"] == 120


def test_options() -> None:
    opts = parse_options(SUITE, {"task_names": "hello-*,tb1-csv-total"})
    assert [t.name for t in tasks(opts)] == ["hello-file", "tb1-csv-total"]
    with pytest.raises(HarnessError, match="matches no task"):
        tasks(parse_options(SUITE, {"task_names": "nope"}))
    with pytest.raises(HarnessError, match="--timeout-multiplier"):
        parse_options(SUITE, {"timeout_multiplier": 0})
    with pytest.raises(HarnessError, match="--data full needs --tasks-dir"):
        tasks(parse_options(SUITE, {"data": "full"}))
    assert build_parser().parse_args(["eval", "--trials", "5"]).epochs == 5


def test_images_are_deduplicated() -> None:
    specs = images(Options())
    refs = [getattr(s, "tag", None) or s.ref for s in specs]
    assert len(refs) == len(set(refs)) and "harness-base:bookworm" in refs


def test_dataset_info_records_version_and_a_digest_of_the_tree(tmp_path: Path) -> None:
    root = tmp_path / "terminal-bench-2.1"
    shutil.copytree(SAMPLES_DIR, root)
    info = dataset_info(Options(tasks_dir=root))
    assert info["version"] == "2.1" and info["n_tasks"] == 6 and info["formats"] == ["harbor", "tb1"]
    assert info["digest"] == tree_digest(load_tasks(SAMPLES_DIR)) and info["leaderboard_timeouts"]
    (root / "hello-file" / "tests" / "test.sh").write_text("#!/bin/bash\n")
    assert dataset_info(Options(tasks_dir=root))["digest"] != info["digest"]
    assert dataset_info(Options(tasks_dir=root, dataset_version="2.0"))["version"] == "2.0"
    assert dataset_info(Options())["version"] == "bundled"


def test_solution_env_resolves_host_variables_but_never_secrets(tmp_path: Path, monkeypatch) -> None:
    path = copy_task(tmp_path, "vault-unlock")
    text = (
        (path / "task.toml")
        .read_text()
        .replace('env = { OPERATOR = "alice" }', 'env = { OPERATOR = "${TB_OP:-alice}", HOME_DIR = "${HOME}" }')
    )
    (path / "task.toml").write_text(text)
    monkeypatch.setenv("HOME", "/home/x")
    env = solution_env(load_task(path))
    assert env == {"DEBIAN_FRONTEND": "noninteractive", "OPERATOR": "alice", "HOME_DIR": "/home/x"}
    (path / "task.toml").write_text(text.replace("${HOME}", "${OPENAI_API_KEY}"))
    with pytest.raises(HarnessError, match="credentials never enter a sandbox"):
        solution_env(load_task(path))


# --- results: one pipeline (harness/results) with the suite's columns ------------------------------------------


def test_trial_errors_reach_the_one_results_pipeline() -> None:
    from harness.results.report import errored_attempts
    from harness.results.tables import group_summary

    rows = [
        ("a", 1, 1.0, None, None),
        ("a", 2, 0.0, None, None),
        ("b", 1, 1.0, None, "AgentTimeoutError"),
        ("b", 2, 0.0, "VerifierTimeoutError", "VerifierTimeoutError"),
        ("c", 1, 0.0, "EnvironmentBuildError", "EnvironmentBuildError"),
        ("c", 2, 1.0, None, None),
    ]
    df = pd.DataFrame(
        [
            {
                "suite": "terminal_bench",
                "model": "oracle",
                "task": t,
                "epoch": e,
                "score": r,
                "passed": r == 1.0,
                "strict": None,
                "infra_error": infra,
                "error_class": infra,
                "errored": infra is not None,
                "limit": None,
                "retries": 0,
                "cost_usd": 0.0,
                "judge_cost_usd": 0.0,
                "total_tokens": 0,
                "total_time": 1.0,
                **attempt_columns({"trial_error": trial, "agent_timed_out": trial == "AgentTimeoutError"}),
            }
            for t, e, r, infra, trial in rows
        ]
    )
    figures = group_summary(df)
    assert figures["score"] == pytest.approx(3 / 6) and figures["score_valid"] == pytest.approx(3 / 4)
    assert 0.0 <= figures["ci_low"] <= figures["score"] <= figures["ci_high"] <= 1.0  # one interval method
    text = "\n".join(errored_attempts(df))
    for line in ("| b      |       1 | AgentTimeoutError", "VerifierTimeoutError", "EnvironmentBuildError"):
        assert line.split("|")[-1].strip() in text
    assert text.count("| terminal_bench") == 3
