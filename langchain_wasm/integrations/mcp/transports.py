"""The two transports: stdio (one client) and streamable HTTP (many clients, one session each) on loopback."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

from mcp.server.lowlevel import Server
from mcp.server.models import InitializationOptions

__all__ = ["http_app", "serve_http", "serve_stdio"]


async def serve_stdio(server: Server[Any, Any], options: InitializationOptions) -> None:
    """Serve on stdin/stdout. Guests' output is captured by the sandbox, so nothing else writes to stdout."""
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read, write):
        await server.run(read, write, options)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


_BODY = 4 * 1024 * 1024  # the SDK's default cap on a request body


async def _reply(send: Any, status: int, code: int, message: str) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


async def _checked_body(receive: Any, send: Any) -> Any:
    """Read a POST body (capped) and refuse one that is not UTF-8 before the SDK parses it: mcp 1.x answers
    some binary garbage (a NUL byte makes ``json.loads`` guess UTF-16) with a 500 and an exception in the
    session. Returns a ``receive`` that replays the body, or ``None`` when the request was answered here."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _BODY:
            await _reply(send, 413, -32600, f"request body larger than {_BODY} bytes")
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        await _reply(send, 400, -32700, "Parse error: the request body is not UTF-8 JSON")
        return None
    replayed = False

    async def replay() -> Any:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def http_app(server: Server[Any, Any], *, host: str = "127.0.0.1", path: str = "/mcp") -> Any:
    """The Starlette app serving MCP at ``path``. On a loopback address it refuses requests whose ``Host`` or
    ``Origin`` is not loopback (DNS-rebinding protection)."""
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.applications import Starlette
    from starlette.routing import Route

    security = None
    if _is_loopback(host):
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
            allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
        )
    manager = StreamableHTTPSessionManager(app=server, security_settings=security, max_request_body_size=_BODY)

    class _Endpoint:
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope["method"] == "POST":
                receive = await _checked_body(receive, send)
                if receive is None:
                    return
            await manager.handle_request(scope, receive, send)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            yield

    return Starlette(routes=[Route(path, endpoint=_Endpoint(), methods=["GET", "POST", "DELETE"])], lifespan=lifespan)


async def serve_http(server: Server[Any, Any], host: str = "127.0.0.1", port: int = 8000, path: str = "/mcp") -> None:
    """Serve streamable HTTP with uvicorn until interrupted."""
    import uvicorn

    if not _is_loopback(host):
        print(
            f"langchain-wasm mcp: listening on {host}, not loopback: anyone who can reach it can run code in the "
            "sandbox. There is no authentication.",
            file=sys.stderr,
        )
    config = uvicorn.Config(http_app(server, host=host, path=path), host=host, port=port, log_level="warning")
    await uvicorn.Server(config).serve()
