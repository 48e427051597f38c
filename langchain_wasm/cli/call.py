"""``langchain-wasm call``: call a numeric export in a fresh sandbox."""

from __future__ import annotations

import argparse
from typing import Any

from langchain_wasm.cli._common import (
    caps_from_flags,
    limits_from_flags,
    load_target,
    number,
    print_result,
    sandbox_flags,
)
from langchain_wasm.runtime import WasmModule

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("call", help="call a numeric export in a fresh sandbox")
    p.add_argument("module")
    p.add_argument("export")
    p.add_argument("args", nargs="*", help="numbers")
    sandbox_flags(p)
    p.set_defaults(func=run)


def run(ns: argparse.Namespace) -> int:
    mod = load_target(ns.module)
    if not isinstance(mod, WasmModule):
        raise SystemExit("langchain-wasm: `call` takes a core module; use `inspect` for guests and components")
    args = [number(a) for a in ns.args]
    r = mod.call(ns.export, *args, limits=limits_from_flags(ns), capabilities=caps_from_flags(ns, command=False))
    print_result({"value": r.value, "metrics": r.metrics.as_dict()} if ns.json else r.value, ns.json)
    return 0
