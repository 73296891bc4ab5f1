"""Agentic coding benchmark reproduction harness: one scaffold, one retry policy, real Docker sandboxes."""

__version__ = "0.1.0"
