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
    for turns in data.values():
        for turn in turns:
            usage(turn.get("usage") if isinstance(turn, dict) else None, where=f"--script {path}")
    return data


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
