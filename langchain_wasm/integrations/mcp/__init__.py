"""An MCP server for the sandbox: every guest as a tool plus ``run_python``, over stdio or streamable HTTP.

Needs the ``mcp`` extra: ``pip install 'langchain-wasm[mcp]'``. From the command line: ``langchain-wasm mcp``.
"""

from __future__ import annotations

try:
    import mcp  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("the MCP server needs the official MCP SDK: pip install 'langchain-wasm[mcp]'") from exc

from .python_tool import PYTHON_TOOL, URI_PREFIX
from .server import WasmMCPServer, find_manifests

__all__ = ["PYTHON_TOOL", "URI_PREFIX", "WasmMCPServer", "find_manifests"]
