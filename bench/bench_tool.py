"""WasmTool.invoke overhead against a pure-Python @tool doing the same trivial work (add two ints), same run.

    python bench/bench_tool.py [--calls N] [--rounds R] [--json PATH]

Both go through LangChain's BaseTool.invoke (argument validation, callbacks); the Wasm tool adds a fresh
sandboxed instance per call with limits, schema validation and metrics. Goal (issue 18): at most 20 us added.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

os.environ.setdefault("LANGCHAIN_WASM_CACHE_DIR", tempfile.mkdtemp(prefix="lcw-bench-"))

from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_wasm import WasmModule, WasmTool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _report import Row, add_json_arg, emit

ADD = '(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))'


class AddArgs(BaseModel):
    a: int = Field(description="first addend")
    b: int = Field(description="second addend")


@tool(args_schema=AddArgs)
def py_add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def _p50(fn: Callable[[], object], calls: int) -> float:
    for _ in range(200):
        fn()
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - t0) / 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    add_json_arg(parser)
    args = parser.parse_args()
    wasm_add = WasmTool.from_module(
        WasmModule.from_wat(ADD, name="adder"),
        export="add",
        name="add",
        description="Add two integers.",
        args_schema=AddArgs,
    )
    payload = {"a": 20, "b": 22}
    assert wasm_add.invoke(payload) == "42"
    assert py_add.invoke(payload) == 42
    py, wasm = [], []
    for _ in range(args.rounds):
        py.append(_p50(lambda: py_add.invoke(payload), args.calls))
        wasm.append(_p50(lambda: wasm_add.invoke(payload), args.calls))
    p, w = min(py), min(wasm)
    print(f"# BaseTool.invoke p50 over {args.calls} calls x {args.rounds} rounds, {time.strftime('%Y-%m-%d')}")
    print(f"pure-Python @tool   {p:8.1f} us")
    print(f"WasmTool            {w:8.1f} us")
    print(f"added by Wasm       {w - p:8.1f} us   ratio {w / p:.2f}x")
    emit(
        [
            Row(
                "`WasmTool.invoke` added over a pure-Python `@tool`",
                w,
                p,
                "pure-Python @tool invoke",
                "us",
                "<= +20 us",
                w - p <= 20,
                note=f"+{w - p:.1f} us",
                was="+36.9 us",
            )
        ],
        args.json,
        "bench_tool.py",
    )


if __name__ == "__main__":
    main()
