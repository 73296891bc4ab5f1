"""The agent shell never waits for a keypress: in the SWE sample image, through the real scaffold's bash tool,
`git diff`, `git log`, `man ls`, `less FILE` and a `pip install` return to the prompt at once (the scaffold's
shell environment: PAGER=cat and friends, as mini-swe-agent sets them)."""

from __future__ import annotations

import json

import pytest
from inspect_ai.event import ToolEvent
from inspect_ai.log import read_eval_log_samples

from harness.run import EvalRequest, run_eval
from harness.scaffold import config

pytestmark = pytest.mark.docker

SAMPLE = "harness-fixtures__calc-1"
COMMANDS = {  # each ends with a marker that appears only once the command gave the prompt back
    "git-diff": "seq 1 400 > long.txt && git add -N long.txt && git diff | tail -n 1",
    "git-log": "git log -p | wc -l",
    "git-diff-tty": "git diff",
    "git-log-tty": "git log -p",
    "man": "man ls 2>&1 | head -n 3",
    "man-tty": "man ls",
    "less": "less long.txt",
    "more": "more long.txt",
    "pip": "pip install --no-index --no-deps --no-build-isolation . 2>&1 | tail -n 2",
    "env": "echo PAGER=$PAGER PIP_PROGRESS_BAR=$PIP_PROGRESS_BAR TQDM_DISABLE=$TQDM_DISABLE",
}


def bash(command: str) -> dict:
    return {"tool_calls": [{"function": "bash_session", "arguments": {"action": "type_submit", "input": command}}]}


def test_shell_tools_do_not_page_through_the_bash_tool(docker_engine, results_dir, tmp_path) -> None:
    turns = [bash(f"{command}; echo MARK-{name}-DONE") for name, command in COMMANDS.items()]
    path = tmp_path / "script.json"
    path.write_text(
        json.dumps({SAMPLE: [*turns, {"tool_calls": [{"function": "submit", "arguments": {"answer": "x"}}]}]})
    )
    run = run_eval(
        EvalRequest(model="scripted", suites=["swe_verified"], script=path, options={"instance_ids": [SAMPLE]})
    )
    [sample] = [s for s in read_eval_log_samples(str(next((run.run_dir / "logs").glob("*.eval")))) if s.id == SAMPLE]
    outputs = {
        e.arguments["input"].rsplit("MARK-", 1)[1].split("-DONE")[0]: (str(e.result), e.working_time or 0.0)
        for e in sample.events
        if isinstance(e, ToolEvent) and e.function == "bash_session"
    }
    assert set(outputs) == set(COMMANDS)
    for name, (text, seconds) in outputs.items():
        assert f"MARK-{name}-DONE" in text, f"{name} did not return to the prompt: {text[-300:]!r}"
        assert "--More--" not in text and "(END)" not in text, name
        assert seconds < config().budgets["swe_verified"].command_timeout / 2, (name, seconds)
    assert "PAGER=cat PIP_PROGRESS_BAR=off TQDM_DISABLE=1" in outputs["env"][0]
    assert "400" in outputs["less"][0] and "400" in outputs["git-diff-tty"][0]
