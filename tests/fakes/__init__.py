"""Fake model API servers for offline tests: scripted responses and faults served to the real SDK clients."""

from .responses import (
    anthropic_message,
    anthropic_usage,
    chat_completion,
    deepseek_usage,
    openai_response,
    text_block,
    thinking_block,
    tool_call,
    tool_use_block,
)
from .server import Error, FakeModelServer, Hang, Reply, Request, Reset

__all__ = [
    "Error",
    "FakeModelServer",
    "Hang",
    "Reply",
    "Request",
    "Reset",
    "anthropic_message",
    "anthropic_usage",
    "chat_completion",
    "deepseek_usage",
    "openai_response",
    "text_block",
    "thinking_block",
    "tool_call",
    "tool_use_block",
]
