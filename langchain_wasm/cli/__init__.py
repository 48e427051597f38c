"""``langchain-wasm``: inspect, call and run Wasm modules in the sandbox, and ask the plan/execute agent.

Exit codes: 0 success, 1 the guest failed or refused, 2 usage error, 3 a sandbox limit stopped the guest,
4 the module could not be loaded or was not granted what it imports, 5 the agent paused for an approval.
Errors are one line (``--debug`` for the traceback). ``--json`` prints machine-readable results.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from langchain_wasm.cli import agent, bench, call, cc, inspect_cmd, mcp, python, run, toolchain, warmup
from langchain_wasm.errors import LangChainWasmError, WasmCapabilityError, WasmLimitError, WasmLoadError

__all__ = ["build_parser", "main"]

_SUBCOMMANDS = (inspect_cmd, call, run, warmup, python, bench, agent, mcp, cc, toolchain)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="langchain-wasm", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in _SUBCOMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    ns = build_parser().parse_args(argv)
    try:
        return int(ns.func(ns))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if ns.debug:
            raise
        code = 1
        if isinstance(exc, WasmLimitError):
            code = 3
        elif isinstance(exc, WasmLoadError | WasmCapabilityError):
            code = 4
        elif not isinstance(exc, LangChainWasmError | OSError | ValueError):
            code = 1
        print(f"langchain-wasm: {type(exc).__name__}: {exc}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
