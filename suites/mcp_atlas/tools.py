"""A sample's MCP tools: its servers started inside the sandbox container, named `<server>_<tool>` for the model.

Each server runs in the sample's container as one long-lived `docker exec -i` process whose stdio carries MCP;
inspect's stdio MCP client (`mcp_server_stdio` + `mcp_tools`) talks to it. (inspect's `mcp_server_sandbox` does
one `docker exec` of its bundled tool binary per MCP message, about 20 per sample at 1-2 s of CPU each; on the
2-core CI machine that alone took minutes for the offline set.)

inspect exposes an MCP server's tools under their bare names (`read_text_file`); MCP-Atlas shows the model
`<server>_<tool>` (`filesystem_read_text_file`), which also keeps two servers' `read_file` apart. Each enabled name
is mapped explicitly through the catalog; a name the live server does not expose is an error, never a silent drop.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

import anyio
from inspect_ai.tool import ContentText, Tool, ToolDef, ToolError, mcp_connection, mcp_server_stdio, mcp_tools
from inspect_ai.util import sandbox

from harness.errors import HarnessError
from suites.mcp_atlas.catalog import Server, catalog, split_tool
from suites.mcp_atlas.dataset import ToolCall

WORKDIR = "/data"


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


def exec_args(container: str, server: Server) -> list[str]:
    """`docker exec -i` arguments that start `server` in `container`, in /data, with its environment."""
    args = ["exec", "-i", "-w", WORKDIR]
    for key, value in server.env.items():
        args += ["-e", f"{key}={value}"]
    return [*args, container, server.command or "", *server.args]


def docker_cli_env() -> dict[str, str]:
    """The host environment the docker CLI needs (MCP's stdio client passes only a safe default set)."""
    from mcp.client.stdio import get_default_environment

    return get_default_environment() | {k: v for k, v in os.environ.items() if k.startswith("DOCKER_")}


def with_timeout(tool: Tool, name: str, seconds: int) -> Tool:
    """`tool` renamed to `name`; a call running past `seconds` becomes a tool error the model sees."""
    tdef = ToolDef(tool)

    async def execute(**kwargs: Any) -> Any:
        try:
            with anyio.fail_after(seconds):
                return await tool(**kwargs)
        except TimeoutError as ex:
            raise ToolError(f"Tool call timed out after {seconds}s") from ex

    return ToolDef(execute, name=name, description=tdef.description, parameters=tdef.parameters).as_tool()


@contextlib.asynccontextmanager
async def connected_tools(names: Iterable[str], *, timeout: int) -> AsyncIterator[dict[str, Tool]]:
    """Start the servers of `names` in the sample's sandbox; yield {`<server>_<tool>`: Tool} while connected."""
    wanted = wanted_tools(names)
    if not wanted:
        yield {}
        return
    entries = catalog().servers
    container = (await sandbox().connection()).container
    if not container:
        raise HarnessError("MCP-Atlas servers need a docker sandbox (no container found)")
    await prepare_servers(wanted)
    servers = {
        name: mcp_server_stdio(
            name=name, command="docker", args=exec_args(container, entries[name]), env=docker_cli_env()
        )
        for name in wanted
    }
    async with mcp_connection([mcp_tools(s) for s in servers.values()]):
        tools: dict[str, Tool] = {}
        for name, server in servers.items():
            live = {ToolDef(t).name: t for t in await server.tools()}
            for call in entries[name].init_calls:
                await _call(live, name, call.tool, call.arguments)
            for bare, full in wanted[name].items():
                if bare not in live:
                    raise HarnessError(
                        f"MCP server {name} ({entries[name].package}) exposes no tool {bare!r}; "
                        f"it has: {', '.join(sorted(live))}"
                    )
                tools[full] = with_timeout(live[bare], full, timeout)
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
        return "".join(
            p.text if isinstance(p, ContentText) else f"[{getattr(p, 'type', 'non-text')} content omitted]"
            for p in result
        )
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
