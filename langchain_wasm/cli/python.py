"""``langchain-wasm python``: run Python code in the sandboxed interpreter."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from langchain_wasm.cli._common import (
    MIB,
    print_result,
)
from langchain_wasm.runtime import Limits

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("python", help="run Python in the sandboxed interpreter: python [-c CODE | FILE]")
    p.add_argument("file", nargs="?", help="a .py file, or - for stdin")
    p.add_argument("-c", help="code to run")
    p.add_argument("--timeout", type=float, help="seconds (0 = none; default 30)")
    p.add_argument("--memory-mb", type=float, help="memory cap in MiB (default 1024)")
    p.add_argument(
        "--allow-http", action="append", metavar="URL", help="let urllib/requests reach this origin (repeatable)"
    )
    p.set_defaults(func=run)


def run(ns: argparse.Namespace) -> int:
    """Run Python code in the sandboxed interpreter (CPython on WASI, our limits)."""
    from langchain_wasm.python import WasmPythonSandbox
    from langchain_wasm.python.runtime_files import runtime_is_compiled

    if ns.c is not None:
        code = ns.c
    elif ns.file == "-" or ns.file is None:
        code = sys.stdin.read()
    else:
        code = Path(ns.file).read_text(encoding="utf-8")
    if not runtime_is_compiled():
        print(
            "langchain-wasm: compiling the Python runtime once (~1-2 min; later runs start in ms)...", file=sys.stderr
        )
    kwargs: dict[str, Any] = {}
    if ns.timeout is not None:
        kwargs["limits"] = Limits(
            timeout_s=ns.timeout if ns.timeout > 0 else None, fuel=None, memory_bytes=int((ns.memory_mb or 1024) * MIB)
        )
    if ns.allow_http:
        kwargs["http"] = list(ns.allow_http)
    result = WasmPythonSandbox(**kwargs).run(code)
    if ns.json:
        print_result(
            {
                "stdout": result.stdout,
                "stderr": result.stderr,
                "result": result.result_repr,
                "error": str(result.error) if result.error else None,
                "exit_code": result.exit_code,
                "images": len(result.images),
                "metrics": result.metrics.as_dict(),
            },
            True,
        )
    else:
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        if result.result_repr is not None:
            print(result.result_repr)
        if result.error is not None:
            sys.stderr.write(f"{result.error}\n")
    return result.exit_code
