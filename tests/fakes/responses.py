"""Builders for the responses the fake server plays: OpenAI/DeepSeek chat completions and Anthropic messages."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

_ids = itertools.count(1)


def tool_call(name: str, arguments: dict[str, Any] | str, id: str | None = None) -> dict[str, Any]:
    """An OpenAI tool call; `arguments` as a string is sent verbatim (e.g. malformed JSON)."""
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": id or f"call_{next(_ids)}", "type": "function", "function": {"name": name, "arguments": args}}


def deepseek_usage(prompt: int, completion: int, cache_hit: int = 0, reasoning: int = 0) -> dict[str, Any]:
    """DeepSeek's usage block: prompt_tokens includes the cache hits, reported apart as hit and miss."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_cache_hit_tokens": cache_hit,
        "prompt_cache_miss_tokens": prompt - cache_hit,
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }


def chat_completion(
    content: str = "",
    *,
    tool_calls: list[dict[str, Any]] | None = None,
    reasoning_content: str | None = None,
    model: str = "deepseek-v4-pro",
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning_content is not None:
        message["reasoning_content"] = reasoning_content
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": f"chatcmpl-{next(_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}],
        "usage": usage or deepseek_usage(100, 20),
    }


def anthropic_usage(input: int, output: int, cache_read: int = 0, cache_write: int = 0) -> dict[str, Any]:
    return {
        "input_tokens": input,
        "output_tokens": output,
        "cache_read_input_tokens": cache_read,
        "cache_creation_input_tokens": cache_write,
    }


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def thinking_block(thinking: str, signature: str = "sig-fake") -> dict[str, Any]:
    return {"type": "thinking", "thinking": thinking, "signature": signature}


def tool_use_block(name: str, input: dict[str, Any], id: str | None = None) -> dict[str, Any]:
    return {"type": "tool_use", "id": id or f"toolu_{next(_ids)}", "name": name, "input": input}


def anthropic_message(
    *blocks: dict[str, Any], model: str = "deepseek-v4-pro", usage: dict[str, Any] | None = None
) -> dict[str, Any]:
    tool = any(b["type"] == "tool_use" for b in blocks)
    return {
        "id": f"msg_{next(_ids)}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": list(blocks),
        "stop_reason": "tool_use" if tool else "end_turn",
        "stop_sequence": None,
        "usage": usage or anthropic_usage(100, 20),
    }


def openai_response(
    text: str,
    *,
    model: str = "gpt-5.4",
    input_tokens: int = 100,
    output_tokens: int = 20,
    cached: int = 0,
    reasoning: int = 0,
) -> dict[str, Any]:
    """An OpenAI Responses API response with one output message (inspect uses this API for openai/ models)."""
    return {
        "id": f"resp_{next(_ids)}",
        "object": "response",
        "created_at": int(time.time()),
        "model": model,
        "status": "completed",
        "output": [
            {
                "type": "message",
                "id": f"msg_{next(_ids)}",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
            "input_tokens_details": {"cached_tokens": cached},
            "output_tokens_details": {"reasoning_tokens": reasoning},
        },
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }
