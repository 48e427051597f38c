"""``WasmMCPServer`` in process (the SDK's in-memory transport): limits only narrow, sessions are closed with
their MCP session, the session cap holds, and the command line refuses flags that would loosen a limit."""

from __future__ import annotations

import asyncio

import pytest
from mcp.shared.memory import create_connected_server_and_client_session

from langchain_wasm.cli import main
from langchain_wasm.errors import ManifestError
from langchain_wasm.guest.guest import Guest
from langchain_wasm.integrations.mcp import WasmMCPServer
from langchain_wasm.integrations.mcp.guest_tools import narrow_limits
from langchain_wasm.python import WasmPythonSandbox
from langchain_wasm.runtime import Limits
from tests.guests.conftest import GUESTS

MIB = 1024 * 1024
pytestmark = pytest.mark.timeout(240)


def test_narrow_limits_never_widens():
    manifest = Limits(timeout_s=0.5, fuel=1000, memory_bytes=16 * MIB)
    loose = Limits(timeout_s=100.0, fuel=10**12, memory_bytes=4096 * MIB, stdout_bytes=2**40)
    assert narrow_limits(manifest, loose) == manifest
    tight = narrow_limits(manifest, Limits(timeout_s=0.1, fuel=None, memory_bytes=8 * MIB))
    assert (tight.timeout_s, tight.fuel, tight.memory_bytes) == (0.1, 1000, 8 * MIB)
    unlimited = Limits(timeout_s=None, fuel=None)
    assert narrow_limits(unlimited, Limits(timeout_s=2.0)).timeout_s == 2.0  # a cap bounds "no limit" too


def test_server_tools_get_the_manifest_limits_narrowed():
    loop = Guest.load(GUESTS / "hostile" / "loop")
    server = WasmMCPServer([loop], limits_cap=Limits(timeout_s=60.0, fuel=None, memory_bytes=4096 * MIB))
    assert server.tools["loop"].limits == loop.limits  # the flag is looser: the manifest wins
    server = WasmMCPServer([loop], limits_cap=Limits(timeout_s=0.05))
    assert server.tools["loop"].limits.timeout_s == 0.05


def test_two_tools_with_one_name_are_refused():
    weather = Guest.load(GUESTS / "weather")
    with pytest.raises(ManifestError, match="two tools are named 'weather'"):
        WasmMCPServer([weather, weather])


async def test_guest_errors_are_tool_errors_in_process():
    server = WasmMCPServer.from_directories([GUESTS / "hostile" / "loop", GUESTS / "weather"])
    async with create_connected_server_and_client_session(server.server) as client:
        stopped = await client.call_tool("loop", {})
        assert stopped.isError
        assert "loop was stopped" in stopped.content[0].text  # type: ignore[union-attr]
        unknown = await client.call_tool("nope", {})
        assert unknown.isError
        assert "Known tools: loop, weather" in unknown.content[0].text  # type: ignore[union-attr]
        ok = await client.call_tool("weather", {"city": "Rome"})
        assert not ok.isError
        assert ok.structuredContent["city"] == "Rome"  # type: ignore[index]
        assert ok.meta["langchain_wasm/metrics"]["fuel_used"] > 0  # type: ignore[index]
        assert (await client.list_resources()).resources == []  # no Python: nothing to read


async def test_a_hostile_guest_gets_only_its_manifest_capabilities():
    """steal_files tries /etc/passwd, ``..`` and the environment; served over MCP it gets what its manifest
    grants (no preopens) and nothing more, and its report is validated structured content."""
    server = WasmMCPServer.from_directories([GUESTS / "hostile" / "steal_files"])
    async with create_connected_server_and_client_session(server.server) as client:
        result = await client.call_tool("steal_files", {})
        assert not result.isError
        assert result.structuredContent["managed"] == []  # type: ignore[index]


async def test_cells_of_one_session_run_one_at_a_time(runtime):
    sandbox = WasmPythonSandbox(limits=Limits(timeout_s=20, fuel=None, memory_bytes=256 * MIB))
    server = WasmMCPServer(python=sandbox)
    async with create_connected_server_and_client_session(server.server) as client:
        await client.call_tool("run_python", {"code": "log = []"})
        cells = [f"import time\nlog.append({i})\ntime.sleep(0.05)\nlog.append({i})" for i in range(4)]
        results = await asyncio.gather(*(client.call_tool("run_python", {"code": c}) for c in cells))
        assert not any(r.isError for r in results)
        log = (await client.call_tool("run_python", {"code": "log"})).structuredContent["result"]  # type: ignore[index]
        assert sorted(log) == [0, 0, 1, 1, 2, 2, 3, 3]
        assert all(log[i] == log[i + 1] for i in range(0, 8, 2))  # never interleaved


async def test_python_sessions_end_with_the_mcp_session_and_respect_the_cap(runtime):
    sandbox = WasmPythonSandbox(limits=Limits(timeout_s=20, fuel=None, memory_bytes=256 * MIB), max_sessions=1)
    server = WasmMCPServer(python=sandbox)
    async with create_connected_server_and_client_session(server.server) as first:
        assert not (await first.call_tool("run_python", {"code": "a = 1"})).isError
        assert len(sandbox.sessions) == 1
        async with create_connected_server_and_client_session(server.server) as second:
            refused = await second.call_tool("run_python", {"code": "a"})
            assert refused.isError
            assert "too many Python sessions" in refused.content[0].text  # type: ignore[union-attr]
        assert (await first.call_tool("run_python", {"code": "a + 1"})).structuredContent["result"] == 2  # type: ignore[index]
        bad = await first.call_tool("run_python", {"code": 5})
        assert bad.isError
    assert sandbox.sessions == []  # closed with its MCP session, workspace deleted


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--timeout", "0"], "--timeout must be > 0"),
        (["--fuel", "-1"], "--fuel must be > 0"),
        (["--memory-mb", "10"], "64 MiB"),
        (["--guests", "/nonexistent/guests"], "does not exist"),
    ],
)
def test_cli_refuses_flags_that_cannot_work(flags, message, capsys):
    assert main(["mcp", *flags]) != 0
    assert message in capsys.readouterr().err
