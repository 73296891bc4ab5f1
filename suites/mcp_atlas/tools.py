"""A sample's MCP tools: its servers started inside the sandbox through inspect's MCP bridge, named `<server>_<tool>`.

inspect exposes an MCP server's tools under their bare names (`read_text_file`); MCP-Atlas shows the model
`<server>_<tool>` (`filesystem_read_text_file`), which also keeps two servers' `read_file` apart. Each enabled name
is mapped explicitly through the catalog; a name the live server does not expose is an error, never a silent drop.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

from inspect_ai.tool import Tool, ToolDef, mcp_connection, mcp_server_sandbox, mcp_tools
from inspect_ai.util import sandbox

from harness.errors import HarnessError
from suites.mcp_atlas.catalog import catalog, split_tool


def wanted_tools(names: Iterable[str]) -> dict[str, dict[str, str]]:
    """server -> {bare tool: the `<server>_<tool>` name shown to the model}."""
    wanted: dict[str, dict[str, str]] = {}
    for name in names:
        server, tool = split_tool(name)
        wanted.setdefault(server, {})[tool] = f"{server}_{tool}"
    return wanted


async def prepare_servers(servers: Iterable[str]) -> None:
    """Run each server's `prepare` command (e.g. create the memory file's folder) before it starts."""
    for name in servers:
        prepare = catalog().servers[name].prepare
        if prepare:
            result = await sandbox().exec(prepare)
            if not result.success:
                raise HarnessError(f"preparing MCP server {name} failed: {result.stderr.strip()[:200]}")


@contextlib.asynccontextmanager
async def connected_tools(names: Iterable[str], *, timeout: int) -> AsyncIterator[dict[str, Tool]]:
    """Start the servers of `names` in the sample's sandbox; yield {`<server>_<tool>`: Tool} while connected."""
    wanted = wanted_tools(names)
    entries = catalog().servers
    servers = {name: mcp_server_sandbox(name=name, command=entries[name].command or "", args=entries[name].args,
                                        env=entries[name].env or None, cwd="/data", timeout=timeout)
               for name in wanted}
    await prepare_servers(servers)
    async with mcp_connection([mcp_tools(s) for s in servers.values()]):
        tools: dict[str, Tool] = {}
        for name, server in servers.items():
            live = {ToolDef(t).name: t for t in await server.tools()}
            for call in entries[name].init_calls:
                await _call(live, name, call.tool, call.arguments)
            for bare, full in wanted[name].items():
                if bare not in live:
                    raise HarnessError(f"MCP server {name} ({entries[name].package}) exposes no tool {bare!r}; "
                                       f"it has: {', '.join(sorted(live))}")
                tools[full] = ToolDef(live[bare], name=full).as_tool()
        yield tools


async def _call(live: dict[str, Tool], server: str, tool: str, arguments: dict[str, Any]) -> None:
    if tool not in live:
        raise HarnessError(f"MCP server {server}: init call to unknown tool {tool!r}")
    await live[tool](**arguments)
