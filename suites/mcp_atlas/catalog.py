"""The MCP server catalog (`servers.toml`): launch specs, availability here, and `<server>_<tool>` name mapping."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import HarnessError

CATALOG_FILE = Path(__file__).parent / "servers.toml"


class InitCall(BaseModel):
    """A tool call made once after the server starts, before the agent acts."""

    model_config = ConfigDict(extra="forbid")

    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class Volatile(BaseModel):
    """Part of a tool's output that is not reproducible, so replay does not compare it (data, with its reason)."""

    model_config = ConfigDict(extra="forbid")

    reason: str
    fields: list[str] = Field(default_factory=list)
    """Top-level keys of the JSON object in the output (after any text before its first `{`) that are left out
    of the comparison; empty: the whole output is not compared."""


class Server(BaseModel):
    """One MCP server as MCP-Atlas names it."""

    model_config = ConfigDict(extra="forbid")

    package: str
    """`registry:name@version` as pinned (npm, pypi or git)."""
    command: str | None = None
    """Executable inside the sandbox image (installed servers only)."""
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    network: bool = False
    """Needs the internet."""
    keys: list[str] = Field(default_factory=list)
    """API-key environment variables it needs."""
    installed: bool = False
    """Baked into the harness's sandbox image."""
    reads_data: bool = False
    """Works on MCP-Atlas's /data files."""
    retired: bool = False
    """Listed by some rows, shipped by no current MCP-Atlas environment."""
    tools: list[str] = Field(default_factory=list)
    """Bare tool names the pinned version exposes (installed servers: checked against the live server; others:
    read from the pinned package where listed). A row naming another tool of a listed server is an error."""
    init_calls: list[InitCall] = Field(default_factory=list)
    prepare: list[str] = Field(default_factory=list)
    """A command (argv) run in the sandbox before the server starts."""
    data_paths: list[str] = Field(default_factory=list)
    """Files under /data the server itself reads (e.g. memory's graph file): replay checks they exist."""
    volatile: dict[str, Volatile] = Field(default_factory=dict)
    """Bare tool name -> the part of its output that changes between runs or installs."""
    note: str = ""


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    aliases: dict[str, str] = Field(default_factory=dict)
    servers: dict[str, Server]


@cache
def catalog() -> Catalog:
    try:
        with CATALOG_FILE.open("rb") as f:
            data = tomllib.load(f)
        cat = Catalog.model_validate(data)
    except tomllib.TOMLDecodeError as ex:
        raise HarnessError(f"{CATALOG_FILE}: not valid TOML ({ex})") from ex
    except ValidationError as ex:
        err = ex.errors()[0]
        raise HarnessError(f"{CATALOG_FILE}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from ex
    for name, server in cat.servers.items():
        if "_" in name:
            raise HarnessError(f"{CATALOG_FILE}: server name {name!r} contains '_' (tool names split on it)")
        if server.installed and not server.command:
            raise HarnessError(f"{CATALOG_FILE}: servers.{name} is installed but has no command")
        for tool in server.volatile:
            if tool not in server.tools:
                raise HarnessError(f"{CATALOG_FILE}: servers.{name}.volatile.{tool}: the server has no such tool")
    return cat


def split_tool(name: str) -> tuple[str, str]:
    """`<server>_<tool>` -> (server, bare tool name), after upstream's old-name aliases; unknown names fail."""
    full = catalog().aliases.get(name, name)
    server, sep, tool = full.partition("_")
    if not sep or not tool:
        raise HarnessError(f"tool name {name!r} is not of the form <server>_<tool>")
    servers = catalog().servers
    if server not in servers:
        raise HarnessError(
            f"tool {name!r} names server {server!r}, which {CATALOG_FILE.name} does not list; "
            f"add it there (launch command, network, keys)"
        )
    entry = servers[server]
    if (entry.installed or entry.tools) and tool not in entry.tools:
        known = "its tools" if entry.installed else "its known tools (not installed here)"
        raise HarnessError(
            f"tool {name!r}: server {server} ({entry.package}) has no tool {tool!r}; "
            f"{known}: {', '.join(entry.tools)}; if the pinned version has it, add it to {CATALOG_FILE.name}"
        )
    return server, tool


def unavailable_reason(server: str, *, online: bool, has_data: bool) -> str | None:
    """Why `server` cannot run in this harness's sandbox now, or None when it can."""
    entry = catalog().servers[server]
    if entry.retired:
        return f"{server} is retired from MCP-Atlas's environment"
    if entry.keys:
        return f"{server} needs API key(s) {', '.join(entry.keys)}, which must not enter a sandbox"
    if not entry.installed:
        return f"{server} is not installed in the sandbox image ({entry.package})"
    if entry.network and not online:
        return f"{server} needs the internet; pass --online true to give the sandbox a network"
    if entry.reads_data and not has_data:
        return f"{server} works on MCP-Atlas's /data files; pass --data-dir with a copy of them"
    return None
