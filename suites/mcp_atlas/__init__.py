"""MCP-Atlas format tool tasks: real MCP servers in the sandbox, claims judged (or checks run), replay parity."""
