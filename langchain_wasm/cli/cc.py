"""``langchain-wasm cc FILE.c|FILE.cpp [--stdin F] [-- ARGS]``: compile with clang in Wasm, run in the sandbox."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Literal

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("cc", help="compile a C/C++ file with clang running in Wasm and run it in the sandbox")
    p.add_argument("file", help="a .c or .cpp/.cc/.cxx file")
    _options(p)
    p.add_argument("args", nargs=argparse.REMAINDER, help="-- then the program's arguments")
    p.set_defaults(func=run)


def _options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stdin", metavar="F", help="file whose bytes the program reads on stdin (- for ours)")
    p.add_argument("-O", dest="opt", default="2", choices=["0", "1", "2", "3", "s", "z"], help="optimisation")
    p.add_argument("--flag", action="append", default=[], metavar="FLAG", help="an allow-listed compiler flag")
    p.add_argument("--timeout", type=float, default=2.0, help="the program's wall-clock limit in seconds")
    p.add_argument("--emit", metavar="OUT.wasm", help="also write the compiled module here")


def run(ns: argparse.Namespace) -> int:
    """Compile and run; the program's exit status is ours. Diagnostics are one block on stderr (exit 1)."""
    from langchain_wasm.compiler import PROGRAM_LIMITS, WasmCompileError, WasmCompiler

    rest = list(ns.args)
    cut = rest.index("--") if "--" in rest else len(rest)
    if cut:  # options after FILE (argparse's REMAINDER took them): parse them here
        late = argparse.ArgumentParser(prog="langchain-wasm cc", add_help=False)
        _options(late)
        _, unknown = late.parse_known_args(rest[:cut], namespace=ns)
        rest = unknown + rest[cut:]
    args = rest[1:] if rest[:1] == ["--"] else rest
    path = Path(ns.file)
    language: Literal["c", "c++"] = "c++" if path.suffix in (".cpp", ".cc", ".cxx", ".C") else "c"
    source = path.read_text(encoding="utf-8")
    stdin = b""
    if ns.stdin == "-":
        stdin = sys.stdin.buffer.read()
    elif ns.stdin:
        stdin = Path(ns.stdin).read_bytes()
    try:
        program = WasmCompiler().compile(source, language=language, flags=(f"-O{ns.opt}", *ns.flag))
    except WasmCompileError as exc:
        print(
            f"{path.name}: compile failed\n{_rename(str(exc), path.name)}",
            file=sys.stderr,
        )
        return 1
    for warning in program.warnings:
        print(_rename(str(warning), path.name), file=sys.stderr)
    if ns.emit:
        Path(ns.emit).write_bytes(program.wasm)
    limits = PROGRAM_LIMITS.__class__(timeout_s=ns.timeout, fuel=None)
    result = program.run(stdin=stdin, argv=args, limits=limits)
    if ns.json:
        print(
            json.dumps(
                {
                    "exit_code": result.exit_code,
                    "stdout": result.stdout_text(),
                    "stderr": result.stderr_text(),
                    "cached": program.cached,
                    "metrics": result.metrics.as_dict(),
                }
            )
        )
    else:
        sys.stdout.write(result.stdout_text())
        sys.stderr.write(result.stderr_text())
    return int(result.exit_code or 0)


def _rename(text: str, name: str) -> str:
    """Diagnostics say ``main.c``/``main.cpp`` (the scratch copy); show the user's file name instead."""
    return re.sub(r"\bmain\.(?:cpp|c)\b", lambda _: name, text)
