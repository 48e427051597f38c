"""``langchain-wasm mcp`` over stdio, driven by ``MultiServerMCPClient`` (which starts the server process)."""

from __future__ import annotations

import json
import subprocess

import pytest
from langchain_mcp_adapters.client import MultiServerMCPClient

from tests.integrations.mcp_server import mcp_checks
from tests.integrations.mcp_server.conftest import CLI, SERVER_ARGS, server_env, stop

pytest.importorskip("mcp")
pytestmark = pytest.mark.timeout(240)


def _client() -> MultiServerMCPClient:
    return MultiServerMCPClient(
        {"wasm": {"transport": "stdio", "command": CLI, "args": SERVER_ARGS, "env": server_env()}}  # type: ignore[typeddict-item]
    )


async def test_stdio_tools_artifacts_state_and_limits(runtime):
    async with _client().session("wasm") as session:
        tools = await mcp_checks.check_tools_load(session)
        await mcp_checks.check_guest_artifact(tools)
        await mcp_checks.check_python_state(session, tools)
        await mcp_checks.check_python_figure(tools)
        await mcp_checks.check_errors_and_limits(tools)


async def test_stdio_each_connection_is_its_own_session(runtime):
    client = _client()
    async with client.session("wasm") as first:
        tools = await mcp_checks.tools_of(first)
        await mcp_checks.call(tools["run_python"], {"code": "secret = 1"})
    async with client.session("wasm") as second:
        tools = await mcp_checks.tools_of(second)
        msg = await mcp_checks.call(tools["run_python"], {"code": "'secret' in globals()"})
        assert mcp_checks.text(msg).strip() == "False"


def _rpc(proc: subprocess.Popen[bytes], message: bytes) -> None:
    assert proc.stdin is not None
    proc.stdin.write(message + b"\n")
    proc.stdin.flush()


def _read_until_id(proc: subprocess.Popen[bytes], want: int) -> dict:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        assert line, "the server closed stdout"
        msg = json.loads(line)
        if msg.get("id") == want:
            return msg


def test_stdio_survives_malformed_input(runtime):
    """Garbage lines, JSON that is not JSON-RPC, unknown methods and tools: errors, and the server keeps serving."""
    proc = subprocess.Popen(
        [CLI, *SERVER_ARGS], env=server_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        _rpc(proc, b"this is not json {{{")
        _rpc(proc, b'{"hello": "world"}')
        _rpc(proc, b"\x00\xff\xfe garbage")
        init = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        }
        _rpc(proc, json.dumps(init).encode())
        assert _read_until_id(proc, 1)["result"]["serverInfo"]["name"] == "langchain-wasm"
        _rpc(proc, b'{"jsonrpc": "2.0", "method": "notifications/initialized"}')
        _rpc(proc, b'{"jsonrpc": "2.0", "id": 2, "method": "no/such/method"}')
        assert "error" in _read_until_id(proc, 2)
        call = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "nope", "arguments": {}}}
        _rpc(proc, json.dumps(call).encode())
        assert _read_until_id(proc, 3)["result"]["isError"] is True
        call = {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "weather", "arguments": {"x": 1}}}
        _rpc(proc, json.dumps(call).encode())
        assert _read_until_id(proc, 4)["result"]["isError"] is True  # schema violation
        call = {
            "jsonrpc": "2.0",
            "id": 5,
            "method": "tools/call",
            "params": {"name": "sha256", "arguments": {"text": "a"}},
        }
        _rpc(proc, json.dumps(call).encode())
        ok = _read_until_id(proc, 5)["result"]
        assert ok["isError"] is False
        assert "structuredContent" in ok
        assert proc.poll() is None
    finally:
        stop(proc)
