"""``langchain-wasm run``: run a WASI command in a fresh sandbox."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from langchain_wasm.cli._common import (
    UsageError,
    caps_from_flags,
    interruptible,
    limits_from_flags,
    load_target,
    print_result,
    sandbox_flags,
    subcommand,
)
from langchain_wasm.runtime import WasmModule

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = subcommand(sub, "run", run, help="run a WASI command in a fresh sandbox: run MODULE [-- argv...]")
    p.add_argument("module")
    p.add_argument("argv", nargs="*")
    p.add_argument("--stdin", metavar="FILE|-", help="bytes for the guest's stdin")
    sandbox_flags(p)


def run(ns: argparse.Namespace) -> int:
    mod = load_target(ns.module)
    if not isinstance(mod, WasmModule):
        raise UsageError("`run` takes a WASI command module (.wasm or .wat); for a guest directory use `call`")
    if ns.stdin is None or ns.stdin == "-":
        stdin = b"" if ns.stdin is None else sys.stdin.buffer.read()
    elif not Path(ns.stdin).is_file():
        raise UsageError(f"--stdin: no such file: {ns.stdin}")
    else:
        stdin = Path(ns.stdin).read_bytes()
    limits, caps = limits_from_flags(ns), caps_from_flags(ns, command=True)
    r = interruptible(lambda: mod.run(stdin=stdin, argv=ns.argv, limits=limits, capabilities=caps))
    if ns.json:
        print_result(
            {
                "exit_code": r.exit_code,
                "stdout": r.stdout_text(),
                "stderr": r.stderr_text(),
                "metrics": r.metrics.as_dict(),
            },
            True,
        )
    else:
        sys.stdout.buffer.write(r.stdout)
        sys.stderr.buffer.write(r.stderr)
    return r.exit_code
