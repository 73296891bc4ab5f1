"""The MCP server catalog is data the image agrees with: pins, launch commands, tool names, MCP-Atlas's names."""

from __future__ import annotations

import re

import pytest

from harness.errors import HarnessError
from harness.paths import SANDBOXES
from suites.mcp_atlas.catalog import catalog, split_tool

DOCKERFILE = (SANDBOXES / "mcp_atlas" / "Dockerfile").read_text()
CONSTRAINTS = (SANDBOXES / "mcp_atlas" / "constraints.txt").read_text()

# the servers the issue asks for, and MCP-Atlas's pins (desktop-commander: see the README's deviations)
REQUIRED = {"filesystem", "calculator", "git", "memory", "sqlite", "time", "fetch", "mcp-server-code-runner"}
PINS = {
    "filesystem": "npm:@modelcontextprotocol/server-filesystem@2026.7.10",
    "memory": "npm:@modelcontextprotocol/server-memory@2025.8.4",
    "mcp-server-code-runner": "npm:mcp-server-code-runner@0.1.7",
    "calculator": "pypi:mcp-server-calculator==0.2.0",
    "cli-mcp-server": "pypi:cli-mcp-server==0.2.5",
    "fetch": "pypi:mcp-server-fetch==2025.4.7",
    "git": "pypi:mcp-server-git==2026.7.10",
}


def test_required_servers_are_installed_with_mcp_atlas_pins() -> None:
    servers = catalog().servers
    assert all(servers[name].installed for name in REQUIRED)
    for name, package in PINS.items():
        assert servers[name].package == package


def test_every_installed_package_is_in_the_dockerfile_at_its_pin() -> None:
    for name, server in catalog().servers.items():
        if not server.installed:
            continue
        registry, spec = server.package.split(":", 1)
        assert server.command and server.tools, name
        assert registry in ("npm", "pypi"), name
        assert re.search(rf"\s{re.escape(spec)}[\s;]", DOCKERFILE), f"{name}: {spec} not in the Dockerfile"
        if registry == "pypi":
            assert spec in CONSTRAINTS.splitlines(), f"{name}: {spec} not in constraints.txt"
            assert re.search(rf"\b{re.escape(server.command or '')}\b", DOCKERFILE), f"{name}: command not linked"


def test_servers_needing_keys_or_internet_are_marked() -> None:
    servers = catalog().servers
    keyed = {n for n, s in servers.items() if s.keys}
    assert {"brave-search", "exa", "notion", "github", "google-workspace", "airtable"} <= keyed
    assert not any(servers[n].installed for n in keyed)  # a key in the sandbox would be readable by the agent
    assert servers["fetch"].network and not servers["filesystem"].network


def test_tool_names_map_explicitly() -> None:
    assert split_tool("filesystem_read_text_file") == ("filesystem", "read_text_file")
    assert split_tool("git_git_status") == ("git", "git_status")
    assert split_tool("mcp-server-code-runner_run-code") == ("mcp-server-code-runner", "run-code")
    assert split_tool("desktop-commander_read_file") == ("desktop-commander", "read_file")
    assert split_tool("wikipedia_get_article") == ("wikipedia", "get_article")  # not installed: not checked
    for bad, message in [
        ("filesystem", "not of the form"),
        ("nosuch_tool", "does not list"),
        ("calculator_integrate", "has no tool 'integrate'"),
    ]:
        with pytest.raises(HarnessError, match=message):
            split_tool(bad)


def test_every_keyless_offline_server_is_installed_or_says_why_not() -> None:
    for name, server in catalog().servers.items():
        if server.retired or server.keys or server.network:
            continue
        # mcp-code-executor runs offline upstream, but its npm package is not served to this machine
        assert server.installed or "404" in server.note, name
    assert "pandas==2.3.1" in catalog().servers["mcp-code-executor"].note  # upstream's pins, for when it can be


def test_volatile_declarations_name_real_tools(tmp_path, monkeypatch) -> None:
    from suites.mcp_atlas import catalog as catalog_module

    text = catalog_module.CATALOG_FILE.read_text()
    bad = tmp_path / "servers.toml"
    bad.write_text(
        text.replace(
            "[servers.desktop-commander.volatile.get_usage_stats]", "[servers.desktop-commander.volatile.get_usage]"
        )
    )
    monkeypatch.setattr(catalog_module, "CATALOG_FILE", bad)
    catalog_module.catalog.cache_clear()
    try:
        with pytest.raises(HarnessError, match=r"volatile\.get_usage: the server has no such"):
            catalog_module.catalog()
    finally:
        catalog_module.catalog.cache_clear()
