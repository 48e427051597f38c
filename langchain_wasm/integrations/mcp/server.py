"""``WasmMCPServer``: guests and sandboxed Python as MCP tools, on the official ``mcp`` SDK's low-level server.

Each MCP session gets its own state through the SDK's lifespan, which the low-level ``Server.run`` enters once
per session (stdio: the one connection; streamable HTTP: each ``Mcp-Session-Id``), so interpreter sessions are
never shared between clients and are closed when their MCP session ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

import anyio.to_thread
from mcp import types
from mcp.server.lowlevel import NotificationOptions, Server
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.models import InitializationOptions
from pydantic import AnyUrl

from langchain_wasm.errors import ManifestError
from langchain_wasm.guest.guest import Guest
from langchain_wasm.python.sandbox import WasmPythonSandbox
from langchain_wasm.runtime.limits import Limits

from .guest_tools import GuestTool, narrow_limits
from .python_tool import PYTHON_TOOL, PythonSessionState, python_tool_definition

__all__ = ["SERVER_NAME", "WasmMCPServer", "find_manifests"]

SERVER_NAME = "langchain-wasm"


def find_manifests(directories: Iterable[str | Path], exclude: Iterable[str] = ("hostile",)) -> list[Path]:
    """Every ``manifest.toml`` under ``directories`` (a directory may also be one guest), skipping ``exclude``."""
    skip, found = set(exclude), []
    for root in map(Path, directories):
        if not root.is_dir():
            raise ManifestError(f"guest directory {root} does not exist")
        found += sorted(m for m in root.rglob("manifest.toml") if not skip.intersection(m.relative_to(root).parts[:-1]))
    return found


class WasmMCPServer:
    """An MCP server offering each guest as a tool, plus ``run_python`` (one interpreter per MCP session).

    Instantiation:
        .. code-block:: python

            from langchain_wasm.integrations.mcp import WasmMCPServer
            server = WasmMCPServer.from_directories(["guests/"], python=WasmPythonSandbox())
            server.run_stdio()                        # or server.run_http(port=8000) on 127.0.0.1

    Args:
        guests: the guests to offer; each call gets the guest manifest's limits and capabilities, narrowed by
            ``limits_cap`` when given (never widened).
        python: the sandbox behind ``run_python`` (its limits apply to every cell), or ``None`` for no Python.
        limits_cap: an upper bound on every guest call's limits (e.g. from command-line flags).
    """

    def __init__(
        self,
        guests: Sequence[Guest] = (),
        *,
        python: WasmPythonSandbox | None = None,
        limits_cap: Limits | None = None,
    ) -> None:
        self.tools: dict[str, GuestTool] = {}
        for guest in guests:
            if guest.name in self.tools or (python is not None and guest.name == PYTHON_TOOL):
                raise ManifestError(f"two tools are named {guest.name!r} (second one: {guest.path})")
            self.tools[guest.name] = GuestTool(guest, narrow_limits(guest.limits, limits_cap))
        self.python = python
        self.server: Server[PythonSessionState | None, Any] = Server(
            SERVER_NAME,
            instructions="Tools that run in WebAssembly sandboxes (no network, no host files, hard limits)."
            + (" run_python keeps its variables for the whole MCP session." if python is not None else ""),
            lifespan=self._lifespan,
        )
        self._register()

    @classmethod
    def from_directories(
        cls, directories: Iterable[str | Path], *, exclude: Iterable[str] = ("hostile",), **kwargs: Any
    ) -> WasmMCPServer:
        """A server for every guest under ``directories`` (``ManifestError`` names a broken manifest)."""
        return cls([Guest.load(m) for m in find_manifests(directories, exclude)], **kwargs)

    @contextlib.asynccontextmanager
    async def _lifespan(self, _: Server[Any, Any]) -> AsyncIterator[PythonSessionState | None]:
        state = PythonSessionState(self.python) if self.python is not None else None
        try:
            yield state
        finally:
            if state is not None:
                # Shielded: transports end a session by cancelling its task, and the interpreter must still be
                # closed (on a thread: a cell still running holds the session's lock until its deadline).
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(state.close)

    def _state(self) -> PythonSessionState | None:
        state: PythonSessionState | None = self.server.request_context.lifespan_context
        return state

    def definitions(self) -> list[types.Tool]:
        """The tools as ``tools/list`` returns them."""
        tools = [t.definition() for t in self.tools.values()]
        if self.python is not None:
            tools.append(python_tool_definition(self.python))
        return tools

    def _register(self) -> None:
        server = self.server

        @server.list_tools()  # type: ignore[no-untyped-call,untyped-decorator]
        async def list_tools() -> list[types.Tool]:
            return self.definitions()

        @server.call_tool()  # type: ignore[untyped-decorator]
        async def call_tool(name: str, arguments: dict[str, Any]) -> types.CallToolResult:
            if name == PYTHON_TOOL and self.python is not None:
                state = self._state()
                assert state is not None
                return await state.run(arguments)
            tool = self.tools.get(name)
            if tool is None:
                known = ", ".join(sorted([*self.tools, *([PYTHON_TOOL] if self.python else [])]))
                return types.CallToolResult(
                    content=[types.TextContent(type="text", text=f"Unknown tool {name!r}. Known tools: {known}.")],
                    isError=True,
                )
            return await tool.call(arguments)

        @server.list_resources()  # type: ignore[no-untyped-call,untyped-decorator]
        async def list_resources() -> list[types.Resource]:
            state = self._state()
            return [] if state is None else await anyio.to_thread.run_sync(state.resources)

        @server.read_resource()  # type: ignore[no-untyped-call,untyped-decorator]
        async def read_resource(uri: AnyUrl) -> list[ReadResourceContents]:
            state = self._state()
            if state is None:
                raise ValueError(f"unknown resource {uri}: this server runs no Python sessions")
            data, mime = await anyio.to_thread.run_sync(state.read, str(uri))
            if mime.startswith("text/") or mime in ("application/json", "text/csv"):
                try:
                    return [ReadResourceContents(content=data.decode("utf-8"), mime_type=mime)]
                except UnicodeDecodeError:
                    pass
            return [ReadResourceContents(content=data, mime_type=mime)]

    def initialization_options(self) -> InitializationOptions:
        return self.server.create_initialization_options(NotificationOptions())

    # -- transports ----------------------------------------------------------------------------------------
    def run_stdio(self) -> None:
        """Serve one client on this process's stdin/stdout until it disconnects."""
        from .transports import serve_stdio

        anyio.run(serve_stdio, self.server, self.initialization_options())

    def run_http(self, *, host: str = "127.0.0.1", port: int = 8000, path: str = "/mcp") -> None:
        """Serve streamable HTTP at ``http://host:port/path`` (loopback by default) until interrupted."""
        from .transports import serve_http

        anyio.run(serve_http, self.server, host, port, path)
