"""MCP-Atlas format tool tasks: real MCP servers in the sandbox, claims judged (or checks run), replay parity."""

from harness.extras import require_extra

require_extra("mcp_atlas", "mcp", "mcp", "huggingface_hub")
