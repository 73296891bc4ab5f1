"""Responders for the fake server that act like a model solving the toy suite's sums."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .responses import chat_completion, deepseek_usage, tool_call
from .server import Action, Error, Reply, Request


def _question(request: Request) -> str:
    user = next(m for m in request.body["messages"] if m["role"] == "user")
    content: Any = user["content"]
    return content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)


def sum_solver(
    *,
    usage: dict[str, Any] | None = None,
    fail_after: int | None = None,
    status: int = 402,
    model: str = "deepseek-v4-pro",
    message: str | None = None,
) -> Callable[[Request], Action]:
    """Answer each toy sample in one turn (submit the sum), with `usage` per call; after `fail_after` requests
    every request gets HTTP `status`."""
    count = 0

    def respond(request: Request) -> Action:
        nonlocal count
        count += 1
        if fail_after is not None and count > fail_after:
            return Error(status, message or f"fake {status}")
        a, b = (int(n) for n in re.findall(r"\d+", _question(request))[:2])
        return Reply(
            chat_completion(
                reasoning_content="add them",
                model=model,
                tool_calls=[tool_call("submit", {"answer": str(a + b)})],
                usage=usage or deepseek_usage(1000, 100),
            )
        )

    return respond
