"""``python -m langchain_wasm.python``: warm up the Python runtime (compile it once), or run code in the sandbox.

Commands:
    warm-up          compile (or load from the cache) the CPython-on-WASI runtime and run one cell; prints timings
    run CODE|-f FILE run code in a fresh sandboxed interpreter; prints stdout/stderr/result; exit status as Python's
    info             where the runtime's files and compile cache are, and whether it is compiled yet
    compile [--fuel] compile the optimised (Cranelift) runtime into the cache, nothing else (what the Winch first
                     tier runs in the background, one at a time per machine)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m langchain_wasm.python", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("warm-up", help="compile the runtime once so later runs start in milliseconds")
    run = sub.add_parser("run", help="run code in a fresh sandboxed interpreter")
    run.add_argument("code", nargs="?", help="Python source (or use -f)")
    run.add_argument("-f", "--file", help="read the code from this file")
    run.add_argument("--timeout", type=float, default=None, help="seconds (default 30)")
    sub.add_parser("info", help="runtime files, cache and compile state")
    comp = sub.add_parser("compile", help="compile the optimised runtime into the cache")
    comp.add_argument("--fuel", action="store_true", help="the fuel-metering build (runs that set a fuel budget)")
    ns = parser.parse_args(argv)
    if ns.command == "compile":
        return _compile(fuel=ns.fuel)

    from langchain_wasm.errors import LangChainWasmError

    from .runtime_files import load_runtime, python_engine, runtime_is_compiled
    from .sandbox import WasmPythonSandbox

    try:
        if ns.command == "info":
            compiled = runtime_is_compiled()
            info = {"compiled": compiled, "cache_dir": str(python_engine().cache_dir)}
            if compiled:
                rt = load_runtime(quiet=True)
                info.update(python=rt.python_version, lib_dir=str(rt.lib_dir), packages=len(rt.packages))
            print(json.dumps(info, indent=2))
            return 0
        sandbox = WasmPythonSandbox()
        if ns.command == "warm-up":
            print(json.dumps(sandbox.warm_up(), indent=2))
            return 0
        code = open(ns.file, encoding="utf-8").read() if ns.file else ns.code  # noqa: SIM115
        if code is None:
            parser.error("run needs CODE or -f FILE")
        result = sandbox.run(code, timeout_s=ns.timeout)
    except LangChainWasmError as exc:
        print(f"langchain-wasm: {exc}", file=sys.stderr)
        return 3
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.result_repr is not None:
        print(result.result_repr)
    if result.error is not None:
        sys.stderr.write(str(result.error))
    return result.exit_code


def _compile(*, fuel: bool) -> int:
    """Compile one Cranelift build; an exclusive lock makes concurrent callers wait for one compile, not run two."""
    import fcntl

    from .runtime_files import load_runtime, python_data_dir, python_engine

    folder = python_data_dir(python_engine(fuel=fuel).cache_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(folder / f"compile-{'fuel' if fuel else 'nofuel'}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        load_runtime(quiet=False, fuel=fuel)
        _drop_winch(fuel)
    return 0


def _drop_winch(fuel: bool) -> None:
    """Delete the quick Winch build of the runtime from the cache once the Cranelift one is there (~400 MB no
    process will load again; processes that have it mapped keep their mapping)."""
    import contextlib

    from langchain_wasm.runtime import file_cache

    from .runtime_files import _artifacts, python_engine

    winch = python_engine(fuel=fuel, strategy="winch")
    paths = file_cache._paths(
        winch, file_cache._key(winch, file_cache.file_sha256(_artifacts().snapshot, winch.cache_dir))
    )
    for path in paths or ():
        with contextlib.suppress(OSError):
            path.unlink()


if __name__ == "__main__":
    sys.exit(main())
