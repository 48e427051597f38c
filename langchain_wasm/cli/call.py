"""``langchain-wasm call``: call a numeric export, or a guest with JSON arguments, in a fresh sandbox."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from langchain_wasm.cli._common import (
    UsageError,
    caps_from_flags,
    interruptible,
    limit_overrides,
    limits_from_flags,
    load_target,
    number,
    print_result,
    sandbox_flags,
    subcommand,
)
from langchain_wasm.runtime import WasmModule

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = subcommand(
        sub,
        "call",
        run,
        help="call an export in a fresh sandbox: call MODULE EXPORT NUMBER... | call GUEST_DIR ['{JSON}'|-|k=v...]",
        description="Call a core module's numeric export (call add.wasm add 40 2), or a guest directory with "
        'its JSON arguments (call guests/quadratic \'{"a": 1, "b": -3, "c": 2}\', or a=1 b=-3 c=2, or - to '
        "read the JSON from stdin).",
    )
    p.add_argument("module", help="a .wasm/.wat core module, or a guest directory / manifest.toml")
    p.add_argument("export", nargs="?", help="the export to call (a module); for a guest: its JSON arguments")
    p.add_argument("args", nargs="*", help="numbers (a module), or more k=v pairs (a guest)")
    sandbox_flags(p)


def _guest_arguments(ns: argparse.Namespace) -> dict[str, Any]:
    items = ([ns.export] if ns.export is not None else []) + list(ns.args)
    if not items:
        return {}
    if len(items) == 1 and not _is_pair(items[0]):
        text = sys.stdin.read() if items[0] == "-" else items[0]
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"guest arguments must be a JSON object: {exc}") from None
        if not isinstance(value, dict):
            raise UsageError(f"guest arguments must be a JSON object, got {type(value).__name__}")
        return value
    args: dict[str, Any] = {}
    for item in items:
        if not _is_pair(item):
            raise UsageError(f"guest arguments are one JSON object or k=v pairs, got {item!r}")
        key, _, raw = item.partition("=")
        try:
            args[key] = json.loads(raw)
        except json.JSONDecodeError:
            args[key] = raw  # a bare word is a string
    return args


def _is_pair(item: str) -> bool:
    key, eq, _ = item.partition("=")
    return bool(eq) and key.isidentifier()


def run(ns: argparse.Namespace) -> int:
    from langchain_wasm.guest.guest import Guest

    target = load_target(ns.module)
    limits, caps = limits_from_flags(ns), None
    if isinstance(target, Guest):
        arguments = _guest_arguments(ns)
        limits = limits.over(target.limits) if limit_overrides(ns) else target.limits
        caps = _merged_caps(target.capabilities, caps_from_flags(ns, command=False))
        g = interruptible(lambda: target.call(arguments, limits=limits, capabilities=caps))
        value = g.value
        print_result({"value": value, "metrics": g.metrics.as_dict()} if ns.json else value, ns.json)
        return 0
    if not isinstance(target, WasmModule):
        raise UsageError("`call` takes a core module or a guest directory; use `inspect` for a bare component")
    if ns.export is None:
        exports = sorted(n for n, e in target.exports.items() if e.kind == "func")
        raise UsageError(f"name the export to call; {target.name!r} exports {exports}")
    args = [number(a) for a in ns.args]
    capabilities = caps_from_flags(ns, command=False)
    r = interruptible(lambda: target.call(ns.export, *args, limits=limits, capabilities=capabilities))
    print_result({"value": r.value, "metrics": r.metrics.as_dict()} if ns.json else r.value, ns.json)
    return 0


def _merged_caps(declared: Any, flags: Any) -> Any:
    """The manifest's capabilities plus what the flags grant (flags add, never take away)."""
    from dataclasses import replace

    return replace(
        declared,
        wasi=declared.wasi or flags.wasi,
        clocks=declared.clocks or flags.clocks,
        random=declared.random or flags.random,
        env={**dict(declared.env), **dict(flags.env)},
        preopens=tuple(declared.preopens) + tuple(flags.preopens),
    )
