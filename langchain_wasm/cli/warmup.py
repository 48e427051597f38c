"""``langchain-wasm warmup``: compile every guest (and optionally the Python runtime) into the cache."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from langchain_wasm.cli._common import UsageError
from langchain_wasm.errors import LangChainWasmError

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("warmup", help="compile every guest into the on-disk cache now")
    p.add_argument(
        "--guests", action="append", help="guest directories (default: the example guests the package ships)"
    )
    p.add_argument("--python", action="store_true", help="also compile the sandboxed Python runtime")
    p.add_argument(
        "--python-fuel",
        action="store_true",
        help="also compile the Python runtime's fuel-metering build (runs that set a fuel budget); implies --python",
    )
    p.set_defaults(func=run)


def run(ns: argparse.Namespace) -> int:
    """Compile every guest into the on-disk cache now, so first calls later are fast."""
    import time

    from langchain_wasm.guest.guest import Guest
    from langchain_wasm.runtime import default_engine
    from langchain_wasm.tools.toolkit import default_guest_dir

    roots = [Path(p) for p in ns.guests] if ns.guests else [default_guest_dir()]
    for root in roots:
        if not root.is_dir():
            raise UsageError(f"guest directory {root} does not exist")
    # The default set skips the deliberately hostile guests of a checkout, as WasmToolkit.from_directory() does.
    skip = set() if ns.guests else {"hostile"}
    manifests = sorted(
        m
        for root in roots
        for m in root.rglob("manifest.toml")
        if not skip.intersection(m.relative_to(root).parts[:-1])
    )
    cache = default_engine().cache_dir
    print(f"Compiling {len(manifests)} guests into {cache or 'memory (no disk cache)'}", file=sys.stderr)
    if ns.python or ns.python_fuel:
        from langchain_wasm.python import WasmPythonSandbox
        from langchain_wasm.python.runtime_files import runtime_is_compiled
        from langchain_wasm.runtime import Limits

        # Cranelift builds, in-process (never the Winch first tier): what the default runs need, then the
        # fuel-metering build if asked for. Each is ~2-2.5 min and ~2.8 GB the first time, seconds later.
        for label, limits in (("", None), (" fuel-metering build", Limits(fuel=10**12))):
            if limits is not None and not ns.python_fuel:
                continue
            if runtime_is_compiled(fuel=limits is not None):
                print(f"[python] CPython-on-WASI{label}: loading it from the cache...", file=sys.stderr)
            else:
                print(f"[python] compiling CPython-on-WASI{label} once (~2.5 min, 2.8 GB)...", file=sys.stderr)
            timings = WasmPythonSandbox(limits=limits, prewarm=False, winch_first=False).warm_up()
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
