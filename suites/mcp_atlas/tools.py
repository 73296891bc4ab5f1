"""A sample's MCP tools: its servers started inside the sandbox through inspect's MCP bridge, named `<server>_<tool>`.

inspect exposes an MCP server's tools under their bare names (`read_text_file`); MCP-Atlas shows the model
`<server>_<tool>` (`filesystem_read_text_file`), which also keeps two servers' `read_file` apart. Each enabled name
is mapped explicitly through the catalog; a name the live server does not expose is an error, never a silent drop.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from inspect_ai.tool import ContentText, Tool, ToolDef, ToolError, mcp_connection, mcp_server_sandbox, mcp_tools
from inspect_ai.util import sandbox

from harness.errors import HarnessError
from suites.mcp_atlas.catalog import catalog, split_tool
from suites.mcp_atlas.dataset import ToolCall

# inspect's in-sandbox launcher replaces (not extends) the environment when one is given, so PATH and HOME
# must be part of it.
BASE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}


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
                                        env=BASE_ENV | entries[name].env, cwd="/data", timeout=timeout)
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


@dataclass
class CallResult:
    call: ToolCall
    output: str
    error: bool


def result_text(result: object) -> str:
    """A tool result as text: text parts joined, other parts described (as MCP-Atlas's harness does)."""
    if isinstance(result, str):
        return result
    if isinstance(result, list):
        return "".join(p.text if isinstance(p, ContentText) else f"[{getattr(p, 'type', 'non-text')} content omitted]"
                       for p in result)
    return "" if result is None else str(result)


async def run_calls(calls: list[ToolCall], tools: dict[str, Tool]) -> list[CallResult]:
    """Call each tool in order; tool errors are results (the model would see them too), not exceptions."""
    results = []
    for call in calls:
        try:
            output = result_text(await tools[call.name](**call.arguments))
            results.append(CallResult(call, output, error=False))
        except ToolError as ex:
            results.append(CallResult(call, f"Error: {ex.message}", error=True))
    return results


def normalise(text: str) -> str:
    """Whitespace-insensitive form: every run of whitespace (CR/LF included) becomes one space."""
    return " ".join(text.split())
