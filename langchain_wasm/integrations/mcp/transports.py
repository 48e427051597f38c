"""The two transports: stdio (one client) and streamable HTTP (many clients, one session each) on loopback."""

from __future__ import annotations

import contextlib
import ipaddress
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import WasmMCPServer

__all__ = ["http_app", "serve_http", "serve_stdio"]


async def serve_stdio(server: WasmMCPServer) -> None:
    """Serve on stdin/stdout. Guests' output is captured by the sandbox, so nothing else writes to stdout."""
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read, write):
        await server.server.run(read, write, server.initialization_options())


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def http_app(server: WasmMCPServer, *, host: str = "127.0.0.1", path: str = "/mcp") -> Any:
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
    manager = StreamableHTTPSessionManager(app=server.server, security_settings=security)

    class _Endpoint:
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await manager.handle_request(scope, receive, send)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            yield

    return Starlette(routes=[Route(path, endpoint=_Endpoint(), methods=["GET", "POST", "DELETE"])], lifespan=lifespan)


async def serve_http(server: WasmMCPServer, host: str = "127.0.0.1", port: int = 8000, path: str = "/mcp") -> None:
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
