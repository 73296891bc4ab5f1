"""The Terminal-Bench verifier, as Harbor's: runs after the agent phase (also after an agent timeout).

0. Kill every process the agent left running (processes.py; Harbor does not).
1. Delete any /logs/verifier/reward.* the agent wrote, and any /tests it made.
2. Copy tests/ to /tests (the agent never saw it; TB1: run-tests.sh goes there too).
3. Run tests/test.sh with bash from the task container's workdir, with [verifier].env, within
   [verifier].timeout_sec x timeout_multiplier; on a timeout run it once more (Harbor retries once).
4. Read /logs/verifier/reward.txt, else reward.json (rewards.py). No valid reward is an error of its class.
TB1 tasks: run-tests.sh's exit code becomes reward.txt (1 when it exits 0), as Harbor's TerminalBenchMapper;
`test_exit_code` is run-tests.sh's own exit code.
5. `reward_strict` (strict.py): the reward, or 0 when the verifier's pytest log shows a test that did not run or pass.
A container that dies during the verifier is an infrastructure error (`InfraError`), retried as a sample in a
fresh sandbox and never scored: a missing reward file is first checked against a dead container.
"""

from __future__ import annotations

from pathlib import Path

from inspect_ai.scorer import Score, Target, mean, scorer, stderr
from inspect_ai.solver import TaskState
from inspect_ai.util import SandboxEnvironment, sandbox

from harness.errors import HarnessError
from harness.sandbox_files import read_files, upload
from harness.scoring import InfraError, infra_errors, mean_valid, verdict
from suites.terminal_bench.dataset import TbTask, load_task
from suites.terminal_bench.files import MAKE_LOG_DIRS
from suites.terminal_bench.processes import kill_agent_processes
from suites.terminal_bench.rewards import Reward, RewardError, parse_reward
from suites.terminal_bench.strict import strict_reward

VERIFIER_DIR = "/logs/verifier"
TESTS_DIR = "/tests"
STDOUT = f"{VERIFIER_DIR}/test-stdout.txt"
ATTEMPTS = 2
"""Harbor's _verify_with_retry: stop_after_attempt(2), retrying only on VerifierTimeoutError."""
STDOUT_TAIL = 2000
ENVIRONMENT_ERROR = "environment_error"
"""Sample metadata: the build log tail of a task whose image could not be built (harness.build_failures)."""


def verifier_command(task: TbTask) -> str:
    if task.format == "tb1":
        return (
            f"bash {TESTS_DIR}/run-tests.sh > {STDOUT} 2>&1; code=$?; "
            f"if [ $code -eq 0 ]; then echo 1 > {VERIFIER_DIR}/reward.txt; "
            f"else echo 0 > {VERIFIER_DIR}/reward.txt; fi; exit $code"
        )
    return f"bash {TESTS_DIR}/{task.test_script.relative_to(task.tests_dir).as_posix()} > {STDOUT} 2>&1"


def verifier_env(task: TbTask) -> dict[str, str]:
    env = dict(task.config.verifier.env)
    if task.format == "tb1":
        env.setdefault("TEST_DIR", TESTS_DIR)
    return env


async def prepare(box: SandboxEnvironment, task: TbTask) -> None:
    """Fresh /tests with the task's tests, and no reward file left from the agent phase (one root exec)."""
    extra = {"run-tests.sh": task.test_script.read_bytes()} if task.format == "tb1" else None
    try:
        await upload(
            box,
            TESTS_DIR,
            task.tests_dir if task.tests_dir.is_dir() else None,
            extra,
            before=f"rm -rf {TESTS_DIR} {VERIFIER_DIR}/reward.txt {VERIFIER_DIR}/reward.json",
            after=MAKE_LOG_DIRS,
            user="root",
        )
    except HarnessError as ex:  # the failed command's stderr names the cause
        raise RewardError("AddTestsDirError", f"preparing {TESTS_DIR}: {ex}") from ex


async def verify_once(box: SandboxEnvironment, task: TbTask, timeout: float) -> tuple[Reward, int, str]:
    """One verifier attempt: (reward, test exit code, stdout). TimeoutError when test.sh overruns."""
    await prepare(box, task)
    run = await box.exec(
        ["bash", "-c", verifier_command(task)],
        env=verifier_env(task),
        timeout=max(1, round(timeout)),
        timeout_retry=False,
    )
    files = await read_files(box, [STDOUT, f"{VERIFIER_DIR}/reward.txt", f"{VERIFIER_DIR}/reward.json"])
    reward = parse_reward(files[f"{VERIFIER_DIR}/reward.txt"], files[f"{VERIFIER_DIR}/reward.json"])
    return reward, run.returncode, files[STDOUT] or ""


async def require_alive(box: SandboxEnvironment) -> None:
    """Raise `InfraError` when the task container no longer runs commands."""
    try:
        alive = (await box.exec(["true"], timeout=60)).success
    except Exception as ex:
        raise InfraError("sandbox_error", f"the task container stopped: {type(ex).__name__}: {ex}") from ex
    if not alive:
        raise InfraError("sandbox_error", "the task container no longer runs commands")


@scorer(metrics=[mean(), stderr(), mean_valid(), infra_errors()])
def verifier():
    """Harbor's verifier as an inspect scorer; value = the trial's reward, or 0 with `infra_error` set."""

    async def score(state: TaskState, target: Target) -> Score:
        if build_log := state.metadata.get(ENVIRONMENT_ERROR):
            return verdict(
                0, infra_error="EnvironmentBuildError", trial_error="EnvironmentBuildError", explanation=build_log
            )
        task = load_task(Path(state.metadata["task_dir"]))
        timeout = float(state.metadata["verifier_timeout_sec"])
        agent_error = "AgentTimeoutError" if state.metadata.get("agent_timed_out") else None
        details = {
            "agent_timed_out": bool(agent_error),
            "timeout_multiplier": state.metadata["timeout_multiplier"],
            "agent_timeout_sec": state.metadata["agent_timeout_sec"],
            "verifier_timeout_sec": timeout,
        }
        box = sandbox()
        try:
            details["killed_processes"] = await kill_agent_processes(box)
        except HarnessError as ex:
            return verdict(0, infra_error="AgentProcessesSurvivedError", explanation=str(ex), **details)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                reward, exit_code, stdout = await verify_once(box, task, timeout)
            except TimeoutError:
                if attempt < ATTEMPTS:
                    continue
                return verdict(
                    0,
                    infra_error="VerifierTimeoutError",
                    trial_error="VerifierTimeoutError",
                    explanation=f"tests exceeded {timeout:.0f} s in {ATTEMPTS} attempts",
                    **details,
                )
            except RewardError as ex:
                await require_alive(box)  # a verifier killed with its container is retried, not scored
                return verdict(
                    0, infra_error=ex.error_class, trial_error=ex.error_class, explanation=str(ex), **details
                )
            checked = strict_reward(reward.value, stdout)
            reward_strict = reward.value if checked.strict else 0.0
            return verdict(
                reward.value,
                strict=reward_strict,
                reward_strict=reward_strict,
                strict_violations=checked.violations,
                pytest_sessions=checked.sessions,
                trial_error=agent_error,
                reward_source=reward.source,
                rewards=reward.rewards,
                test_exit_code=exit_code,
                verifier_attempts=attempt,
                explanation=f"{reward.source}: {reward.value:g} (test exit {exit_code}); strict {reward_strict:g}"
                + "".join(f"; {v}" for v in checked.violations)
                + f"\n{stdout[-STDOUT_TAIL:]}",
                **details,
            )
        raise AssertionError("unreachable")

    return score
