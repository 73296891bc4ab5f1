"""Wire formats of the fake server: streamed events and error bodies, in OpenAI's and Anthropic's shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def error_body(dialect: str, status: int, message: str) -> dict[str, Any]:
    kind = {
        400: "invalid_request_error",
        401: "authentication_error",
        402: "insufficient_balance",
        403: "permission_error",
        422: "invalid_request_error",
        429: "rate_limit_error",
    }.get(status, "api_error")
    if dialect == "anthropic":
        return {"type": "error", "error": {"type": kind, "message": message}}
    if dialect == "responses":
        return {"error": {"message": message, "type": kind, "code": kind, "param": None}}
    return {"error": {"message": message, "type": kind, "code": kind}}


def events(dialect: str, body: dict[str, Any], request: dict[str, Any]) -> Iterator[str]:
    """The SSE events that stream `body` (a complete response) the way the API would."""
    if dialect == "anthropic":
        yield from _anthropic_events(body)
    elif dialect == "responses":
        yield from _responses_events(body)
    else:
        yield from _openai_events(body, include_usage=bool((request.get("stream_options") or {}).get("include_usage")))


def _data(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload)}\n\n"


def _openai_events(body: dict[str, Any], include_usage: bool) -> Iterator[str]:
    base = {"id": body["id"], "object": "chat.completion.chunk", "created": body["created"], "model": body["model"]}
    for choice in body["choices"]:
        message = choice["message"]
        delta: dict[str, Any] = {"role": "assistant"}
        if message.get("reasoning_content"):
            delta["reasoning_content"] = message["reasoning_content"]
        yield _data({**base, "choices": [{"index": choice["index"], "delta": delta, "finish_reason": None}]})
        if message.get("content"):
            yield _data(
                {
                    **base,
                    "choices": [
                        {"index": choice["index"], "delta": {"content": message["content"]}, "finish_reason": None}
                    ],
                }
            )
        for i, call in enumerate(message.get("tool_calls") or []):
            yield _data(
                {
                    **base,
                    "choices": [
                        {
                            "index": choice["index"],
                            "delta": {"tool_calls": [{"index": i, **call}]},
                            "finish_reason": None,
                        }
                    ],
                }
            )
        yield _data(
            {**base, "choices": [{"index": choice["index"], "delta": {}, "finish_reason": choice["finish_reason"]}]}
        )
    if include_usage:
        yield _data({**base, "choices": [], "usage": body["usage"]})
    yield "data: [DONE]\n\n"


def _anthropic_event(kind: str, payload: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **payload})}\n\n"


def _anthropic_events(body: dict[str, Any]) -> Iterator[str]:
    usage = body["usage"]
    start = {**body, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 0}}
    yield _anthropic_event("message_start", {"message": start})
    for index, block in enumerate(body["content"]):
        kind = block["type"]
        if kind == "text":
            yield _anthropic_event(
                "content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}}
            )
            yield _anthropic_event(
                "content_block_delta", {"index": index, "delta": {"type": "text_delta", "text": block["text"]}}
            )
        elif kind == "thinking":
            yield _anthropic_event(
                "content_block_start",
                {"index": index, "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
            )
            yield _anthropic_event(
                "content_block_delta",
                {"index": index, "delta": {"type": "thinking_delta", "thinking": block["thinking"]}},
            )
            yield _anthropic_event(
                "content_block_delta",
                {"index": index, "delta": {"type": "signature_delta", "signature": block["signature"]}},
            )
        elif kind == "tool_use":
            yield _anthropic_event(
                "content_block_start",
                {
                    "index": index,
                    "content_block": {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}},
                },
            )
            yield _anthropic_event(
                "content_block_delta",
                {"index": index, "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}},
            )
        yield _anthropic_event("content_block_stop", {"index": index})
    yield _anthropic_event(
        "message_delta",
        {
            "delta": {"stop_reason": body["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": usage["output_tokens"]},
        },
    )
    yield _anthropic_event("message_stop", {})


def _responses_events(body: dict[str, Any]) -> Iterator[str]:
    """OpenAI Responses API streaming: lifecycle events around each output message's text."""
    seq = 0

    def event(kind: str, **payload: Any) -> str:
        nonlocal seq
        seq += 1
        return f"event: {kind}\ndata: {json.dumps({'type': kind, 'sequence_number': seq, **payload})}\n\n"

    pending = {**body, "status": "in_progress", "output": [], "usage": None}
    yield event("response.created", response=pending)
    yield event("response.in_progress", response=pending)
    for index, item in enumerate(body["output"]):
        yield event(
            "response.output_item.added", output_index=index, item={**item, "status": "in_progress", "content": []}
        )
        for part_index, part in enumerate(item.get("content", [])):
            ids = {"item_id": item["id"], "output_index": index, "content_index": part_index}
            yield event("response.content_part.added", **ids, part={**part, "text": ""})
            yield event("response.output_text.delta", **ids, delta=part["text"], logprobs=[])
            yield event("response.output_text.done", **ids, text=part["text"], logprobs=[])
            yield event("response.content_part.done", **ids, part=part)
        yield event("response.output_item.done", output_index=index, item=item)
    yield event("response.completed", response=body)
