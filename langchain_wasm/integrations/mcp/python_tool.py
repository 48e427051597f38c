"""``run_python`` over MCP: one interpreter session per MCP session, figures as images, files as resources.

The session starts on the first call and ends with the MCP session (or when a limit stops it; the next call then
starts a fresh one and says so). Files the code writes are listed as ``resource_link`` content whose
``sandbox://workspace/<path>`` URIs the same MCP session can read with ``resources/read``.
"""

from __future__ import annotations

import base64
import mimetypes
import threading
from typing import Any
from urllib.parse import quote, unquote

import anyio.to_thread
from mcp import types

from langchain_wasm.errors import WasmCallError
from langchain_wasm.python.sandbox import WasmPythonSandbox
from langchain_wasm.python.session import PythonSession
from langchain_wasm.python.tool import describe_tool
from langchain_wasm.tools.errors import to_tool_error

__all__ = ["CONTENT_LIMIT", "PYTHON_TOOL", "PythonSessionState", "URI_PREFIX", "python_tool_definition"]

PYTHON_TOOL = "run_python"
URI_PREFIX = "sandbox://workspace/"
#: The text a model reads per run is capped; the full report is in ``structuredContent``.
CONTENT_LIMIT = 6000


def python_tool_definition(sandbox: WasmPythonSandbox) -> types.Tool:
    """The ``run_python`` tool as MCP lists it."""
    return types.Tool(
        name=PYTHON_TOOL,
        description=describe_tool(sandbox, stateful=True).replace("in this conversation", "in this MCP session"),
        inputSchema={
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Python source to run, like a notebook cell: the value of the last expression "
                    "is shown.",
                }
            },
            "required": ["code"],
            "additionalProperties": False,
        },
        annotations=types.ToolAnnotations(
            title="Run Python in a WebAssembly sandbox",
            readOnlyHint=False,  # it writes its own workspace
            destructiveHint=False,  # never anything outside it
            idempotentHint=False,
            openWorldHint=False,
        ),
    )


def _uri(path: str) -> str:
    return URI_PREFIX + quote(path)


def _mime(path: str) -> str:
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


class PythonSessionState:
    """What one MCP session owns: its interpreter session (started on first use) and nothing else."""

    def __init__(self, sandbox: WasmPythonSandbox) -> None:
        self.sandbox = sandbox
        self.session: PythonSession | None = None
        self._lock = threading.Lock()
        self._running = threading.Lock()  # one cell at a time per MCP session, so the files diff is its own

    def _session(self) -> tuple[PythonSession, bool]:
        with self._lock:
            if self.session is not None and self.session.alive:
                return self.session, False
            restarted = self.session is not None
            self.session = self.sandbox.session()
            return self.session, restarted

    def close(self) -> None:
        with self._lock:
            session, self.session = self.session, None
        if session is not None:
            session.close("the MCP session ended")

    # -- the tool ------------------------------------------------------------------------------------------
    def _run(self, code: str) -> types.CallToolResult:
        with self._running:
            return self._run_cell(code)

    def _run_cell(self, code: str) -> types.CallToolResult:
        try:
            session, restarted = self._session()
        except WasmCallError as exc:
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=f"run_python could not start a Python session: {exc}")],
                isError=True,
            )
        try:
            before = session.workspace.files()
            result = session.run(code)
            after = session.workspace.files() if session.alive else {}
        except WasmCallError as exc:
            message = f"{to_tool_error(PYTHON_TOOL, exc)} The Python session was reset: earlier variables are gone."
            return types.CallToolResult(content=[types.TextContent(type="text", text=message)], isError=True)
        note = "[note: the previous Python session had ended; this is a new one, earlier variables are gone]\n"
        content: list[types.ContentBlock] = [
            types.TextContent(type="text", text=(note if restarted else "") + result.text(CONTENT_LIMIT))
        ]
        content += [
            types.ImageContent(type="image", data=base64.b64encode(png).decode(), mimeType="image/png")
            for png in result.images
        ]
        written = sorted(k for k, v in after.items() if before.get(k) != v)
        content += [
            types.ResourceLink(
                type="resource_link", name=path, uri=_uri(path), mimeType=_mime(path), size=after[path][0]
            )
            for path in written
        ]
        report = result.as_dict()
        report.pop("images")
        report["images"] = len(result.images)
        report["files"] = [_uri(p) for p in written]
        return types.CallToolResult(content=content, structuredContent=report, isError=not result.ok)

    async def run(self, arguments: dict[str, Any]) -> types.CallToolResult:
        """Run a cell on a worker thread (the session's deadline bounds it even if the request is cancelled)."""
        code = arguments.get("code")
        if not isinstance(code, str):
            return types.CallToolResult(
                content=[types.TextContent(type="text", text="run_python needs a string argument 'code'.")],
                isError=True,
            )
        return await anyio.to_thread.run_sync(self._run, code)

    # -- resources -----------------------------------------------------------------------------------------
    def resources(self) -> list[types.Resource]:
        """This session's workspace files (none before its first run)."""
        session = self.session
        if session is None or not session.alive:
            return []
        return [
            types.Resource(name=path, uri=_uri(path), mimeType=_mime(path), size=size)
            for path, size in session.list_files().items()
        ]

    def read(self, uri: str) -> tuple[bytes, str]:
        """The bytes and MIME type of a workspace file of this session; ``ValueError`` for anything else."""
        if not uri.startswith(URI_PREFIX):
            raise ValueError(f"unknown resource {uri!r}: this server serves {URI_PREFIX}<path> only")
        session = self.session
        if session is None or not session.alive:
            raise ValueError("this MCP session has no Python workspace yet (call run_python first)")
        path = unquote(uri[len(URI_PREFIX) :])
        return session.get_file(path), _mime(path)
