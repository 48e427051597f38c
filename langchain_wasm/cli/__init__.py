"""``langchain-wasm``: inspect, call and run Wasm modules in the sandbox, and ask the plan/execute agent.

Exit codes: 0 success, 1 the guest failed or refused (or the Python code raised), 2 usage error (flags, input
files, arguments that do not fit), 3 a sandbox limit stopped the guest, 4 the module could not be found, loaded
or granted what it imports, 5 the agent paused for an approval, 130 interrupted (Ctrl-C).
Errors are one line (``--debug`` for the traceback). ``--json`` (before or after the subcommand) prints
machine-readable results, and errors as ``{"error": {"type", "message", "exit_code"}}`` on stdout.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from langchain_wasm.cli import agent, bench, cache, call, cc, inspect_cmd, mcp, python, run, toolchain, warmup
from langchain_wasm.cli._common import UsageError
from langchain_wasm.errors import (
    WasmArgumentError,
    WasmCapabilityError,
    WasmLimitError,
    WasmLoadError,
)

__all__ = ["build_parser", "exit_code", "main"]

_SUBCOMMANDS = (inspect_cmd, call, run, warmup, python, bench, agent, cache, mcp, cc, toolchain)


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so usage errors follow ``--json`` and the exit codes."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see: {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="langchain-wasm", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in _SUBCOMMANDS:
        module.add_parser(sub)
    for sp in sub.choices.values():  # the global flags are accepted after the subcommand too
        sp.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
        sp.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    return parser


def exit_code(exc: BaseException) -> int:
    """The exit status for an error (see the module docstring)."""
    if isinstance(exc, UsageError):
        return exc.code
    if isinstance(exc, WasmLimitError):
        return 3
    if isinstance(exc, WasmLoadError | WasmCapabilityError | FileNotFoundError):
        return 4
    if isinstance(exc, WasmArgumentError):
        return 2
    return 1


def _message(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, WasmCapabilityError):
        # The library suggests Capabilities(clocks=True); on the command line the fix is a flag.
        text = re.sub(r"Capabilities\((\w+)=True\)", lambda m: f"--{m.group(1)}", text)
        if exc.needs:
            text += ". Grant with: " + " ".join(f"--{n}" for n in exc.needs)
    return text


def _report(exc: BaseException, code: int, as_json: bool) -> None:
    kind = "UsageError" if isinstance(exc, UsageError) else type(exc).__name__
    if as_json:
        print(json.dumps({"error": {"type": kind, "message": _message(exc), "exit_code": code}}, ensure_ascii=False))
    elif isinstance(exc, UsageError):
        print(f"langchain-wasm: {_message(exc)}", file=sys.stderr)
    else:
        print(f"langchain-wasm: {kind}: {_message(exc)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args
    ns: Any = None
    try:
        ns = build_parser().parse_args(args)
        return int(ns.func(ns))
    except KeyboardInterrupt:
        print("langchain-wasm: interrupted (Ctrl-C)", file=sys.stderr)
        return 130
    except SystemExit:
        raise  # --help, or a subcommand's deliberate exit
    except Exception as exc:
        if ns is not None and getattr(ns, "debug", False):
            raise
        code = exit_code(exc)
        _report(exc, code, as_json)
        return code


if __name__ == "__main__":
    sys.exit(main())
