"""``langchain-wasm inspect``: exports, imports and derived schemas of a module, component or guest."""

from __future__ import annotations

import argparse
import json
from typing import Any

from langchain_wasm.cli._common import (
    load_target,
    print_result,
)

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("inspect", help="exports, imports and derived schema of a module, component or guest dir")
    p.add_argument("module")
    p.set_defaults(func=run)


def run(ns: argparse.Namespace) -> int:
    from langchain_wasm.abi.component import WasmComponent
    from langchain_wasm.guest.guest import Guest

    target = load_target(ns.module)
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
    if ns.json:
        print_result(info, True)
    else:
        _print_pretty(info)
    return 0


def _print_pretty(info: dict[str, Any]) -> None:
    """One line per plain field; schemas, exports and imports as indented blocks."""
    for key, value in info.items():
        if isinstance(value, dict | list):
            if not value:
                print(f"{key}: (none)")
                continue
            print(f"{key}:")
            if isinstance(value, list):
                for item in value:
                    print(f"  {item}")
            elif all(isinstance(v, str) for v in value.values()) and key != "limits":
                for name, sig in value.items():
                    print(f"  {name}: {sig}")
            else:
                print("  " + json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  "))
        else:
            print(f"{key}: {value}")
