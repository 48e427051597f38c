"""``langchain-wasm bench``: run the benchmarks of a source checkout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench", help="run the benchmarks (source checkout): ratios against same-run baselines")
    p.add_argument(
        "which", nargs="*", choices=("call", "tool", "guests", "python"), help="which (default: call tool guests)"
    )
    p.set_defaults(func=run)


def run(ns: argparse.Namespace) -> int:
    import subprocess

    bench = Path(__file__).resolve().parents[2] / "bench"
    if not bench.is_dir():
        raise SystemExit("langchain-wasm: the benchmarks live in bench/ of a source checkout")
    scripts = [bench / f"bench_{name}.py" for name in (ns.which or ["call", "tool", "guests"])]
    code = 0
    for script in scripts:
        code |= subprocess.run([sys.executable, str(script)], check=False).returncode
    return code
