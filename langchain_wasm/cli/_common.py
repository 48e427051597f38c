"""Helpers shared by the subcommands: limit and capability flags, loading a target, printing results."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from langchain_wasm.runtime import Capabilities, HttpGrant, Limits, Preopen, WasmModule

__all__ = [
    "MIB",
    "UsageError",
    "caps_from_flags",
    "interruptible",
    "limit_flags",
    "limit_overrides",
    "limits_from_flags",
    "load_target",
    "number",
    "print_result",
    "sandbox_flags",
    "subcommand",
]

T = TypeVar("T")


class UsageError(Exception):
    """A mistake in the command line or its inputs: printed as one line (JSON with ``--json``), exit ``code``."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def interruptible(fn: Callable[[], T]) -> T:
    """Run ``fn`` (a guest call) on a worker thread so Ctrl-C is seen at once even while wasm runs.

    Python delivers SIGINT only between bytecodes of the main thread, which a running guest never reaches.
    On Ctrl-C the process says so on stderr and exits 130 right away; exiting is what stops the guest.
    """
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=work, name="langchain-wasm-guest", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.05)
    except KeyboardInterrupt:
        print("langchain-wasm: interrupted (Ctrl-C); the guest was stopped", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(130)
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


MIB = 1024 * 1024


def subcommand(sub: Any, name: str, run: Callable[[argparse.Namespace], int], **kw: Any) -> argparse.ArgumentParser:
    """Add subcommand ``name`` (``kw``: ``help``, ``description``) that runs ``run(ns)``."""
    p: argparse.ArgumentParser = sub.add_parser(name, **kw)
    p.set_defaults(func=run)
    return p


def limit_flags(p: Any, *, timeout: str, memory: str, fuel: bool = True) -> None:
    """``--timeout``, ``--fuel`` (if ``fuel``) and ``--memory-mb``; the help names the defaults given."""
    p.add_argument("--timeout", type=float, help=f"wall-clock limit in seconds (0 = none; default {timeout})")
    if fuel:
        p.add_argument("--fuel", type=int, help="instruction budget (0 = none; default 1e9)")
    p.add_argument("--memory-mb", type=float, help=f"linear memory cap in MiB (default {memory})")


def limit_overrides(ns: argparse.Namespace) -> dict[str, Any]:
    """The ``Limits`` fields the limit flags set (0 = no limit); flags not given are left out."""
    kw: dict[str, Any] = {}
    if getattr(ns, "timeout", None) is not None:
        kw["timeout_s"] = ns.timeout if ns.timeout > 0 else None
    if getattr(ns, "fuel", None) is not None:
        kw["fuel"] = ns.fuel if ns.fuel > 0 else None
    if getattr(ns, "memory_mb", None) is not None:
        kw["memory_bytes"] = int(ns.memory_mb * MIB)
    if getattr(ns, "workspace_mb", None) is not None:
        kw["workspace_bytes"] = int(ns.workspace_mb * MIB) if ns.workspace_mb > 0 else None
    if getattr(ns, "workspace_entries", None) is not None:
        kw["workspace_entries"] = ns.workspace_entries if ns.workspace_entries > 0 else None
    return kw


def limits_from_flags(ns: argparse.Namespace) -> Limits:
    return Limits(**limit_overrides(ns))


def caps_from_flags(ns: argparse.Namespace, *, command: bool) -> Capabilities:
    preopens = []
    for spec in ns.dir or []:
        parts = spec.split(":")
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] not in ("ro", "rw")):
            raise UsageError(f"--dir wants HOST:GUEST[:ro|rw], got {spec!r}")
        preopens.append(Preopen(parts[0], parts[1], writable=len(parts) == 3 and parts[2] == "rw"))
    env: dict[str, str] = {}
    for item in ns.env or []:
        key, eq, value = item.partition("=")
        if not key:
            raise UsageError(f"--env wants NAME=VALUE (or NAME to pass the host's value), got {item!r}")
        if not eq:
            if key not in os.environ:
                raise UsageError(f"--env {key}: the host has no variable {key!r}; give a value with {key}=VALUE")
            value = os.environ[key]
        env[key] = value
    http = HttpGrant.of(list(ns.allow_http)) if getattr(ns, "allow_http", None) else None
    return Capabilities(
        wasi=command or ns.wasi, clocks=ns.clocks, random=ns.random, env=env, preopens=tuple(preopens), http=http
    )


def sandbox_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("limits and capabilities")
    limit_flags(g, timeout="0.1", memory="256")
    g.add_argument("--wasi", action="store_true", help="link the WASI base (implied by `run`)")
    g.add_argument("--clocks", action="store_true", help="grant clocks and sleeping")
    g.add_argument("--random", action="store_true", help="grant random_get")
    g.add_argument(
        "--env", action="append", metavar="K=V", help="an environment variable the guest sees (K alone: the host's)"
    )
    g.add_argument("--dir", action="append", metavar="HOST:GUEST[:rw]", help="preopen a directory (read-only)")
    g.add_argument(
        "--workspace-mb", type=float, help="most a call may hold in its writable --dir folders (0 = none; default 1024)"
    )
    g.add_argument("--workspace-entries", type=int, help="most files/folders/links in them (0 = none; default 10000)")
    g.add_argument(
        "--allow-http", action="append", metavar="URL", help="grant HTTP(S) to this origin (lcw_http; repeatable)"
    )


def load_target(path: str) -> Any:
    """A guest directory (or its manifest.toml), a component, or a core module (.wasm or .wat)."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"no such file or directory: {path}", code=4)
    if p.is_dir() or p.name == "manifest.toml":
        from langchain_wasm.guest.guest import Guest

        return Guest.load(p)
    if p.suffix == ".wasm" and p.read_bytes()[4:8] == b"\x0d\x00\x01\x00":
        from langchain_wasm.abi.component import WasmComponent

        return WasmComponent.from_file(p)
    return WasmModule.from_file(p)


def number(text: str) -> int | float:
    try:
        return int(text, 0)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise UsageError(f"{text!r} is not a number") from None


def print_result(value: Any, as_json: bool) -> None:
    """Plain values as they are, anything structured as indented JSON."""
    if as_json or not isinstance(value, str | int | float):
        print(json.dumps(value, indent=2, default=str, ensure_ascii=False))
    else:
        print(value)
