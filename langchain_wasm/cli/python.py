"""``langchain-wasm python``: run Python code in the sandboxed interpreter, with input files and saved outputs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from langchain_wasm.cli._common import UsageError, interruptible, limit_flags, limit_overrides, print_result, subcommand
from langchain_wasm.runtime import Limits

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = subcommand(
        sub,
        "python",
        run,
        help="run Python in the sandboxed interpreter: python [-c CODE | FILE | -] [--input F] [--output-dir D]",
    )
    p.add_argument("file", nargs="?", help="a .py file, or - for stdin")
    p.add_argument("-c", help="code to run")
    limit_flags(p, timeout="30", memory="1024", fuel=False)
    p.add_argument(
        "--allow-http", action="append", metavar="URL", help="let urllib/requests reach this origin (repeatable)"
    )
    p.add_argument(
        "--input",
        action="append",
        metavar="HOST[:NAME]",
        help="copy a host file into /workspace (as NAME, default its file name); repeatable",
    )
    p.add_argument(
        "--output-dir",
        metavar="DIR",
        help="save the files the code wrote in /workspace, and its figures (figure-1.png, ...), to DIR",
    )


def _code(ns: argparse.Namespace) -> str:
    if ns.c is not None:
        if ns.file is not None:
            raise UsageError("give either -c CODE or a FILE, not both")
        return str(ns.c)
    if ns.file == "-" or (ns.file is None and not sys.stdin.isatty()):
        return sys.stdin.read()
    if ns.file is None:
        raise UsageError("nothing to run: give -c CODE, a FILE, or - to read the code from stdin")
    path = Path(ns.file)
    if not path.is_file():
        raise UsageError(f"no such file: {ns.file}")
    return path.read_text(encoding="utf-8")


def _inputs(ns: argparse.Namespace) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for spec in ns.input or []:
        host, name = spec, ""
        if not Path(spec).is_file() and ":" in spec:
            host, name = spec.rsplit(":", 1)
        path = Path(host)
        if not path.is_file():
            raise UsageError(f"--input: no such file: {host}")
        files[name or path.name] = path.read_bytes()
    return files


def _limits(ns: argparse.Namespace) -> Limits | None:
    kw = limit_overrides(ns)
    return Limits(**kw) if kw else None  # fields not given keep the sandbox's defaults


def _save(result: Any, out_dir: str) -> list[str]:
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for name, data in result.files.items():
        if Path(name).is_absolute() or ".." in Path(name).parts:  # names come from the sandbox: stay in DIR
            continue
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        saved.append(str(target))
    for i, png in enumerate(result.images, 1):
        target = folder / f"figure-{i}.png"
        target.write_bytes(png)
        saved.append(str(target))
    return saved


def run(ns: argparse.Namespace) -> int:
    """Run Python code in the sandboxed interpreter (CPython on WASI, our limits)."""
    from langchain_wasm.python import WasmPythonSandbox
    from langchain_wasm.python.runtime_files import runtime_is_compiled
    from langchain_wasm.python.tiers import winch_first_default

    code, files, limits = _code(ns), _inputs(ns), _limits(ns)
    if not runtime_is_compiled():  # this command sets no fuel budget: the default build
        quick = winch_first_default()
        print(
            "langchain-wasm: compiling a quick build of the Python runtime (~30 s, 2.8 GB of memory); the optimised "
            "one then compiles in the background (later runs start in ms)"
            if quick
            else "langchain-wasm: compiling the Python runtime once (~2.5 min, 2.8 GB of memory; later runs start in "
            "ms)",
            file=sys.stderr,
        )
    sandbox = WasmPythonSandbox(limits=limits, http=list(ns.allow_http) if ns.allow_http else None)
    result = interruptible(lambda: sandbox.run(code, files=files))
    saved = _save(result, ns.output_dir) if ns.output_dir else []
    if ns.json:
        print_result(
            {
                "stdout": result.stdout,
                "stderr": result.stderr,
                "result": result.result_repr,
                "error": str(result.error) if result.error else None,
                "exit_code": result.exit_code,
                "images": len(result.images),
                "files": sorted(result.files),
                "saved": saved,
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
        if result.images and not ns.output_dir:
            print(f"[{len(result.images)} figure(s); save them with --output-dir DIR]", file=sys.stderr)
        for path in saved:
            print(f"saved {path}", file=sys.stderr)
    return result.exit_code
