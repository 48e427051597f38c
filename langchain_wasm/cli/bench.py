"""``langchain-wasm bench``: run the benchmarks of a source checkout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]

_CHOICES = ("call", "tool", "guests", "python", "compiler")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench", help="run the benchmarks (source checkout): ratios against same-run baselines")
    # no argparse `choices`: with nargs="*" it refuses the empty default (Python 3.11); checked in run()
    p.add_argument("which", nargs="*", metavar="{" + ",".join(_CHOICES) + "}", help="which (default: all)")
    p.set_defaults(func=run)


def run(ns: argparse.Namespace) -> int:
    import subprocess

    from langchain_wasm.cli._common import UsageError

    unknown = [w for w in ns.which if w not in _CHOICES]
    if unknown:
        raise UsageError(f"bench: unknown benchmark(s) {unknown}; choose from {list(_CHOICES)}")
    bench = Path(__file__).resolve().parents[2] / "bench"
    if not bench.is_dir():
        raise UsageError("the benchmarks live in bench/ of a source checkout (git clone the repository)")
    scripts = [bench / f"bench_{name}.py" for name in (ns.which or _CHOICES)]
    code = 0
    for script in scripts:
        code |= subprocess.run([sys.executable, str(script)], check=False).returncode
    return code
