"""``langchain-wasm mcp --transport http`` on loopback, driven by ``MultiServerMCPClient`` and by raw HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
from urllib.parse import urlparse

import httpx
import pytest
from langchain_mcp_adapters.client import MultiServerMCPClient

from tests.integrations.mcp_server import mcp_checks

pytest.importorskip("mcp")
pytestmark = pytest.mark.timeout(300)

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _client(url: str) -> MultiServerMCPClient:
    return MultiServerMCPClient({"wasm": {"transport": "streamable_http", "url": url}})


async def test_http_tools_artifacts_state_and_limits(http_server):
    url, proc = http_server
    async with _client(url).session("wasm") as session:
        tools = await mcp_checks.check_tools_load(session)
        await mcp_checks.check_guest_artifact(tools)
        await mcp_checks.check_python_state(session, tools)
        await mcp_checks.check_errors_and_limits(tools)
    assert proc.poll() is None


async def test_http_concurrent_clients_have_their_own_sessions(http_server):
    """Several clients at once: each its own MCP session, interpreter and workspace; nothing leaks across."""
    url, _ = http_server
    clients = 4
    all_wrote = asyncio.Barrier(clients)

    async def one(i: int) -> tuple[str, str, list[str]]:
        async with _client(url).session("wasm") as session:
            tools = await mcp_checks.tools_of(session)
            py = tools["run_python"]
            await mcp_checks.call(py, {"code": f"me = {i}\nopen('mine_{i}.txt', 'w').write(str(me))"})
            weather = await mcp_checks.call(tools["weather"], {"city": ["Paris", "Tokyo", "Cairo", "Rome"][i]})
            await all_wrote.wait()  # every client has written its own `me` before any reads it back
            back = await mcp_checks.call(py, {"code": "import os\n(me, sorted(os.listdir('.')))"}, "2")
            files = [r.name for r in (await session.list_resources()).resources]
            return mcp_checks.text(back), weather.artifact["structured_content"]["city"], files

    results = await asyncio.gather(*(one(i) for i in range(clients)))
    for i, (back, city, files) in enumerate(results):
        assert back.strip() == f"({i}, ['mine_{i}.txt'])"
        assert city == ["Paris", "Tokyo", "Cairo", "Rome"][i]
        assert files == [f"mine_{i}.txt"]


async def test_http_resources_are_per_session(http_server):
    url, _ = http_server
    client = _client(url)
    async with client.session("wasm") as a:
        tools = await mcp_checks.tools_of(a)
        await mcp_checks.call(tools["run_python"], {"code": "open('private.txt', 'w').write('only a')"})
        async with client.session("wasm") as b:
            with pytest.raises(Exception, match="no Python workspace"):
                await b.read_resource("sandbox://workspace/private.txt")  # type: ignore[arg-type]
        for escape in ("../../etc/passwd", "%2E%2E/%2E%2E/etc/passwd", "%2Fetc%2Fpasswd", "..%2F..%2Fetc%2Fpasswd"):
            with pytest.raises(Exception, match=r"not a relative path|not a folder in the workspace"):
                await a.read_resource(f"sandbox://workspace/{escape}")  # type: ignore[arg-type]
        assert (await a.read_resource("sandbox://workspace/private.txt")).contents[0].text == "only a"  # type: ignore[arg-type,union-attr]


async def test_http_interpreters_end_with_their_sessions(http_server, server_tmp):
    """Each client that leaves (the adapters send DELETE) takes its interpreter and workspace with it."""
    url, _ = http_server

    def workspaces() -> list[str]:
        return sorted(p.name for p in server_tmp.glob("lcw-python-*"))

    async with _client(url).session("wasm") as session:
        tools = await mcp_checks.tools_of(session)
        await mcp_checks.call(tools["run_python"], {"code": "open('f.txt', 'w').write('x')"})
        assert len(workspaces()) >= 1
    for _ in range(600):  # the server closes it as the session ends; wait for it (bounded), never time it
        if not workspaces():
            break
        await asyncio.sleep(0.1)
    assert workspaces() == []


def test_http_malformed_requests_get_errors_and_the_server_survives(http_server):
    url, proc = http_server
    with httpx.Client(timeout=30) as http:
        garbage = http.post(url, content=b"\x00\xff not json {{{", headers=HEADERS)
        assert 400 <= garbage.status_code < 500
        assert "error" in garbage.json()
        not_rpc = http.post(url, json={"hello": "world"}, headers=HEADERS)
        assert 400 <= not_rpc.status_code < 500
        no_init = http.post(url, json={"jsonrpc": "2.0", "id": 7, "method": "tools/list"}, headers=HEADERS)
        assert 400 <= no_init.status_code < 500  # no session id and not an initialize
        unknown = http.post(
            url, json={"jsonrpc": "2.0", "id": 8, "method": "tools/list"}, headers={**HEADERS, "mcp-session-id": "x"}
        )
        assert unknown.status_code == 404
        wrong_accept = http.post(url, json=INIT, headers={"Content-Type": "application/json"})
        assert wrong_accept.status_code == 406
        wrong_type = http.post(url, content=json.dumps(INIT), headers={**HEADERS, "Content-Type": "text/plain"})
        assert wrong_type.status_code in (400, 415)
        rebinding = http.post(url, json=INIT, headers={**HEADERS, "Host": "evil.example:80"})
        assert rebinding.status_code in (400, 403, 421)
        huge = http.post(url, content=b"[" + b"1," * (3 * 1024 * 1024) + b"1]", headers=HEADERS)
        assert huge.status_code == 413
        assert http.get(url.replace("/mcp", "/other")).status_code == 404
        # a real session, then nonsense inside it
        init = http.post(url, json=INIT, headers=HEADERS)
        assert init.status_code == 200
        sid = init.headers["mcp-session-id"]
        inside = {**HEADERS, "mcp-session-id": sid, "mcp-protocol-version": "2025-06-18"}
        http.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=inside)
        bad_method = http.post(url, json={"jsonrpc": "2.0", "id": 2, "method": "no/such"}, headers=inside)
        assert "error" in bad_method.text
        bad_args = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "run_python", "arguments": 5}}
        assert "error" in http.post(url, json=bad_args, headers=inside).text.lower()
        assert http.delete(url, headers=inside).status_code in (200, 204)
    # not HTTP at all
    parsed = urlparse(url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=10) as raw:
        raw.sendall(b"\x16\x03\x01 definitely not http\r\n\r\n")
        raw.recv(1024)
    assert proc.poll() is None
    ok = asyncio.run(_weather_ok(url))
    assert ok == "Paris"


async def _weather_ok(url: str) -> str:
    async with _client(url).session("wasm") as session:
        tools = await mcp_checks.tools_of(session)
        msg = await mcp_checks.call(tools["weather"], {"city": "Paris"})
        return str(msg.artifact["structured_content"]["city"])
