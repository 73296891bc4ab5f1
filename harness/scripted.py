"""The `scripted` pseudo-model: replays model turns from a JSON file through the real scaffold (for tests).

Script format: {"<sample id>" or "*": [turn, ...]}. A turn is {"content": "..."} or
{"content": "...", "tool_calls": [{"function": "bash_session", "arguments": {...}}]}; a turn may carry
"usage" (inspect `ModelUsage` fields, e.g. {"input_tokens": 900, "input_tokens_cache_read": 4000,
"output_tokens": 150, "reasoning_tokens": 60}) so tests get known token counts and costs.
Each sample plays its own list; the turn index is the number of assistant turns already in the conversation.
Usage is set on every output (default 100 in / 20 out) so no tokenizer download is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from inspect_ai.model import ChatMessage, ChatMessageAssistant, GenerateConfig, ModelOutput, ModelUsage
from inspect_ai.tool import ToolCall, ToolChoice, ToolInfo
from pydantic import ValidationError

from harness.errors import HarnessError, read_json

Script = dict[str, list[dict[str, Any]]]
USAGE = ModelUsage(input_tokens=100, output_tokens=20, total_tokens=120)


def load_script(path: Path) -> Script:
    data = read_json(path, "--script")
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise HarnessError(f"--script {path}: expected an object mapping sample ids (or '*') to lists of turns")
    for key, turns in data.items():
        for index, turn in enumerate(turns):
            check_turn(turn, where=f"--script {path}: {key}[{index}]")
    return data


def check_turn(turn: Any, where: str) -> None:
    """A turn is {"content": str, "tool_calls": [{"function": str, "arguments": {...}}], "usage": {...}}."""
    if not isinstance(turn, dict):
        raise HarnessError(f"{where}: a turn must be an object with content and/or tool_calls, not {turn!r:.40}")
    unknown = set(turn) - {"content", "tool_calls", "usage"}
    if unknown:
        raise HarnessError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; valid: content, tool_calls, usage")
    if not isinstance(turn.get("content", ""), str):
        raise HarnessError(f"{where}: content must be a string")
    calls = turn.get("tool_calls", [])
    if not isinstance(calls, list) or not all(
        isinstance(c, dict) and isinstance(c.get("function"), str) and isinstance(c.get("arguments", {}), dict)
        for c in calls
    ):
        raise HarnessError(f'{where}: tool_calls must be a list of {{"function": name, "arguments": {{...}}}}')
    usage(turn.get("usage"), where=where)


def to_output(turn: dict[str, Any], index: int) -> ModelOutput:
    calls = [
        ToolCall(id=f"call_{index}_{i}", function=c["function"], arguments=c.get("arguments", {}))
        for i, c in enumerate(turn.get("tool_calls", []))
    ]
    output = ModelOutput.from_message(
        ChatMessageAssistant(content=turn.get("content", ""), tool_calls=calls or None, model="scripted"),
        stop_reason="tool_calls" if calls else "stop",
    )
    output.model = "scripted"
    output.usage = usage(turn.get("usage"))
    return output


def usage(spec: dict[str, Any] | None, where: str = "script") -> ModelUsage:
    """A turn's usage; total_tokens defaults to the sum of its parts."""
    if not spec:
        return USAGE
    try:
        u = ModelUsage.model_validate(spec)
    except ValidationError as ex:
        err = ex.errors()[0]
        raise HarnessError(f"{where}: turn usage {'.'.join(map(str, err['loc']))}: {err['msg']}") from ex
    if "total_tokens" not in spec:
        u.total_tokens = (
            u.input_tokens + u.output_tokens + (u.input_tokens_cache_read or 0) + (u.input_tokens_cache_write or 0)
        )
    return u


def output_function(
    script: Script,
) -> Callable[[list[ChatMessage], list[ToolInfo], ToolChoice, GenerateConfig], ModelOutput]:
    def next_output(
        messages: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice, config: GenerateConfig
    ) -> ModelOutput:
        from inspect_ai.log._samples import sample_active

        active = sample_active()
        sample_id = str(active.sample.id) if active is not None else "*"
        turns = script.get(sample_id, script.get("*", []))
        index = sum(1 for m in messages if isinstance(m, ChatMessageAssistant))
        if index >= len(turns):
            return to_output({"content": "(script exhausted)"}, index)
        return to_output(turns[index], index)

    return next_output
