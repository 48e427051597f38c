"""``langchain-wasm``: inspect, call and run Wasm modules in the sandbox, and ask the plan/execute agent.

Exit codes: 0 success, 1 the guest failed or refused, 2 usage error, 3 a sandbox limit stopped the guest,
4 the module could not be loaded or was not granted what it imports, 5 the agent paused for an approval.
Errors are one line (``--debug`` for the traceback). ``--json`` prints machine-readable results.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_wasm.errors import (
    LangChainWasmError,
    WasmCapabilityError,
    WasmLimitError,
    WasmLoadError,
)
from langchain_wasm.runtime import Capabilities, Limits, Preopen, WasmModule

__all__ = ["main"]

_MIB = 1024 * 1024


def _limits(ns: argparse.Namespace) -> Limits:
    kw: dict[str, Any] = {}
    if ns.timeout is not None:
        kw["timeout_s"] = ns.timeout if ns.timeout > 0 else None
    if ns.fuel is not None:
        kw["fuel"] = ns.fuel if ns.fuel > 0 else None
    if ns.memory_mb is not None:
        kw["memory_bytes"] = int(ns.memory_mb * _MIB)
    return Limits(**kw)


def _caps(ns: argparse.Namespace, *, command: bool) -> Capabilities:
    preopens = []
    for spec in ns.dir or []:
        parts = spec.split(":")
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] not in ("ro", "rw")):
            raise SystemExit(f"langchain-wasm: --dir wants HOST:GUEST[:ro|rw], got {spec!r}")
        preopens.append(Preopen(parts[0], parts[1], writable=len(parts) == 3 and parts[2] == "rw"))
    env = dict(item.split("=", 1) for item in ns.env or [] if "=" in item)
    return Capabilities(wasi=command or ns.wasi, clocks=ns.clocks, random=ns.random, env=env, preopens=tuple(preopens))


def _sandbox_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("limits and capabilities")
    g.add_argument("--timeout", type=float, help="wall-clock limit in seconds (0 = none; default 0.1)")
    g.add_argument("--fuel", type=int, help="instruction budget (0 = none; default 1e9)")
    g.add_argument("--memory-mb", type=float, help="linear memory cap in MiB (default 256)")
    g.add_argument("--wasi", action="store_true", help="link the WASI base (implied by `run`)")
    g.add_argument("--clocks", action="store_true", help="grant clocks and sleeping")
    g.add_argument("--random", action="store_true", help="grant random_get")
    g.add_argument("--env", action="append", metavar="K=V", help="an environment variable the guest sees")
    g.add_argument("--dir", action="append", metavar="HOST:GUEST[:rw]", help="preopen a directory (read-only)")


def _load(path: str) -> Any:
    p = Path(path)
    if p.is_dir() or p.name == "manifest.toml":
        from langchain_wasm.runtime.manifest import Guest

        return Guest.load(p)
    if p.suffix == ".wasm" and p.read_bytes()[4:8] == b"\x0d\x00\x01\x00":
        from langchain_wasm.runtime.component import WasmComponent

        return WasmComponent.from_file(p)
    return WasmModule.from_file(p)


def cmd_inspect(ns: argparse.Namespace) -> int:
    from langchain_wasm.runtime.component import WasmComponent
    from langchain_wasm.runtime.manifest import Guest

    target = _load(ns.module)
    if isinstance(target, Guest):
        info: dict[str, Any] = {
            "guest": target.name,
            "abi": target.abi,
            "export": target.export,
            "description": target.description,
            "manifest": "ok (consistent with its module)",
            "input_schema": target.input_schema,
            "output_schema": target.output_schema,
            "limits": {k: getattr(target.limits, k) for k in ("timeout_s", "fuel", "memory_bytes")},
        }
    elif isinstance(target, WasmComponent):
        info = {
            "component": target.name,
            "imports": list(target.imports),
            "functions": {n: f.signature for n, f in target.functions.items()},
        }
    else:
        info = {
            "module": target.name,
            "sha256": target.sha256,
            "exports": {n: str(e.signature) if e.signature else e.kind for n, e in target.exports.items()},
            "imports": [f"{i.qualname} {i.signature or i.kind}" for i in target.imports],
        }
    _print(info, ns.json)
    return 0


def cmd_call(ns: argparse.Namespace) -> int:
    mod = _load(ns.module)
    if not isinstance(mod, WasmModule):
        raise SystemExit("langchain-wasm: `call` takes a core module; use `inspect` for guests and components")
    args = [_number(a) for a in ns.args]
    r = mod.call(ns.export, *args, limits=_limits(ns), capabilities=_caps(ns, command=False))
    _print({"value": r.value, "metrics": r.metrics.as_dict()} if ns.json else r.value, ns.json)
    return 0


def cmd_run(ns: argparse.Namespace) -> int:
    mod = _load(ns.module)
    if not isinstance(mod, WasmModule):
        raise SystemExit("langchain-wasm: `run` takes a WASI command module")
    stdin = b"" if ns.stdin is None else (sys.stdin.buffer.read() if ns.stdin == "-" else Path(ns.stdin).read_bytes())
    r = mod.run(stdin=stdin, argv=ns.argv, limits=_limits(ns), capabilities=_caps(ns, command=True))
    if ns.json:
        _print(
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


def cmd_warmup(ns: argparse.Namespace) -> int:
    """Compile every guest into the on-disk cache now, so first calls later are fast."""
    import time

    from langchain_wasm.runtime import default_engine
    from langchain_wasm.runtime.manifest import Guest
    from langchain_wasm.tools.toolkit import default_guest_dir

    roots = [Path(p) for p in ns.guests] if ns.guests else [default_guest_dir()]
    manifests = sorted(m for root in roots for m in root.rglob("manifest.toml"))
    cache = default_engine().cache_dir
    print(f"Compiling {len(manifests)} guests into {cache or 'memory (no disk cache)'}", file=sys.stderr)
    if ns.python:
        from langchain_wasm.python import WasmPythonSandbox

        print("[python] compiling CPython-on-WASI once (~1-2 min the first time)...", file=sys.stderr)
        timings = WasmPythonSandbox().warm_up()
        print(f"[python] ready: {json.dumps(timings)}", file=sys.stderr)
    failed = 0
    for i, manifest in enumerate(manifests, 1):
        t0 = time.perf_counter()
        try:
            Guest.load(manifest)
            status = "ok"
        except LangChainWasmError as exc:
            status, failed = f"failed: {exc}", failed + 1
        print(
            f"[{i}/{len(manifests)}] {manifest.parent.name:<22} {time.perf_counter() - t0:6.2f} s  {status}",
            file=sys.stderr,
        )
    return 1 if failed else 0


def cmd_python(ns: argparse.Namespace) -> int:
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
            timeout_s=ns.timeout if ns.timeout > 0 else None, fuel=None, memory_bytes=int((ns.memory_mb or 1024) * _MIB)
        )
    result = WasmPythonSandbox(**kwargs).run(code)
    if ns.json:
        _print(
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


def cmd_bench(ns: argparse.Namespace) -> int:
    import subprocess

    bench = Path(__file__).resolve().parents[1] / "bench"
    if not bench.is_dir():
        raise SystemExit("langchain-wasm: the benchmarks live in bench/ of a source checkout")
    scripts = [bench / f"bench_{name}.py" for name in (ns.which or ["call", "tool", "guests"])]
    code = 0
    for script in scripts:
        code |= subprocess.run([sys.executable, str(script)], check=False).returncode
    return code


def cmd_agent(ns: argparse.Namespace) -> int:
    from langchain_wasm.graph.cli_agent import run_agent

    return run_agent(ns)


def _number(text: str) -> int | float:
    try:
        return int(text, 0)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise SystemExit(f"langchain-wasm: {text!r} is not a number") from None


def _print(value: Any, as_json: bool) -> None:
    if as_json or not isinstance(value, str | int | float):
        print(json.dumps(value, indent=None if not as_json else 2, default=str, ensure_ascii=False))
    else:
        print(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="langchain-wasm", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inspect", help="exports, imports and derived schema of a module, component or guest dir")
    p.add_argument("module")
    p.set_defaults(func=cmd_inspect)
    p = sub.add_parser("call", help="call a numeric export in a fresh sandbox")
    p.add_argument("module")
    p.add_argument("export")
    p.add_argument("args", nargs="*", help="numbers")
    _sandbox_flags(p)
    p.set_defaults(func=cmd_call)
    p = sub.add_parser("run", help="run a WASI command in a fresh sandbox: run MODULE [-- argv...]")
    p.add_argument("module")
    p.add_argument("argv", nargs="*")
    p.add_argument("--stdin", metavar="FILE|-", help="bytes for the guest's stdin")
    _sandbox_flags(p)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("warmup", help="compile every guest into the on-disk cache now")
    p.add_argument("--guests", action="append", help="guest directories (default: the repo's guests/)")
    p.add_argument("--python", action="store_true", help="also compile the sandboxed Python runtime")
    p.set_defaults(func=cmd_warmup)
    p = sub.add_parser("python", help="run Python in the sandboxed interpreter: python [-c CODE | FILE]")
    p.add_argument("file", nargs="?", help="a .py file, or - for stdin")
    p.add_argument("-c", help="code to run")
    p.add_argument("--timeout", type=float, help="seconds (0 = none; default 30)")
    p.add_argument("--memory-mb", type=float, help="memory cap in MiB (default 1024)")
    p.set_defaults(func=cmd_python)
    p = sub.add_parser("bench", help="run the benchmarks (source checkout): ratios against same-run baselines")
    p.add_argument("which", nargs="*", choices=("call", "tool", "guests"), help="which (default: all)")
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("agent", help="ask the plan/execute agent (guest tools in sandboxes)")
    p.add_argument("question", nargs="?", help="what to ask (default: the recorded demo question)")
    p.add_argument(
        "--model",
        default=os.environ.get("LANGCHAIN_WASM_MODEL"),
        help="provider:model for init_chat_model (or $LANGCHAIN_WASM_MODEL); none: the recorded demo",
    )
    p.add_argument("--guests", action="append", help="guest directories (default: the repo's guests/)")
    p.add_argument("--db", help="SQLite checkpoint file (default: in memory)")
    p.add_argument("--thread", default="cli", help="thread id (resume a thread with the same --db)")
    p.add_argument(
        "--approve",
        choices=("auto", "none", "ask"),
        default="auto",
        help="approvals: auto (risky tools ask), none, or ask for every step",
    )
    p.add_argument("--max-iterations", type=int, default=6)
    p.add_argument("--resume", choices=("approve", "reject"), help="answer a paused thread's approval request")
    p.set_defaults(func=cmd_agent)
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
