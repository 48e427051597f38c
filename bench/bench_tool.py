"""WasmTool.invoke overhead against a pure-Python @tool doing the same trivial work (add two ints), same run.

    python bench/bench_tool.py [--calls N] [--rounds R] [--json PATH]

Both go through LangChain's BaseTool.invoke (argument validation, callbacks); the Wasm tool adds a fresh
sandboxed instance per call with limits, schema validation and metrics. Goal (issue 18): at most 20 us added.

The two run in alternating batches (the machine is shared: a batch of each, again and again), and the row
reports the median over batch pairs of the difference of their medians. ``@tool`` makes a ``StructuredTool``,
whose own plumbing costs more per call than ``WasmTool``'s (it inspects the wrapped function's signature on
every call), so the bench also prints a pure-Python ``BaseTool`` subclass with ``WasmTool``'s plumbing: against
it, the difference is what the sandbox itself adds.
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

from typing import Any, get_type_hints

from langchain_core.tools import BaseTool, tool
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


class PyAdd(BaseTool):
    """A pure-Python tool with WasmTool's plumbing: a BaseTool subclass with ``_run`` and an args_schema."""

    name: str = "add"
    description: str = "Add two integers."
    args_schema: type[BaseModel] = AddArgs

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        return kwargs["a"] + kwargs["b"]


PyAdd._run.__annotations__ = get_type_hints(PyAdd._run)  # resolved once, as WasmTool does


def _p50(fn: Callable[[], object], calls: int) -> float:
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
    base_add = PyAdd()
    assert wasm_add.invoke(payload) == "42"
    assert py_add.invoke(payload) == 42 == base_add.invoke(payload)
    sides: dict[str, Callable[[], object]] = {
        "py": lambda: py_add.invoke(payload),
        "wasm": lambda: wasm_add.invoke(payload),
        "base": lambda: base_add.invoke(payload),
    }
    for fn in sides.values():
        for _ in range(300):
            fn()
    batch = max(50, args.calls // 20)
    med: dict[str, list[float]] = {k: [] for k in sides}
    for _ in range(args.rounds * 20):  # alternating batches: load changes hit every side alike
        for label, fn in sides.items():
            med[label].append(_p50(fn, batch))
    added = statistics.median([w - p for w, p in zip(med["wasm"], med["py"], strict=True)])
    sandbox = statistics.median([w - b for w, b in zip(med["wasm"], med["base"], strict=True)])
    p, w, b = (statistics.median(med[k]) for k in ("py", "wasm", "base"))
    print(
        f"# BaseTool.invoke p50, {args.rounds * 20} alternating batches of {batch} calls, {time.strftime('%Y-%m-%d')}"
    )
    print(f"pure-Python @tool          {p:8.1f} us")
    print(f"pure-Python BaseTool       {b:8.1f} us   (WasmTool's plumbing, no sandbox)")
    print(f"WasmTool                   {w:8.1f} us")
    print(f"added over @tool           {added:+8.1f} us   (median of paired batch differences)")
    print(f"added over BaseTool        {sandbox:+8.1f} us   (the sandboxed call itself)")
    emit(
        [
            Row(
                "`WasmTool.invoke` added over a pure-Python `@tool`",
                w,
                p,
                "pure-Python @tool invoke",
                "us",
                "<= +20 us",
                added <= 20,
                note=f"{added:+.1f} us; {sandbox:+.1f} us over a pure-Python BaseTool with WasmTool's plumbing",
                was="+36.9 us",
            )
        ],
        args.json,
        "bench_tool.py",
    )


if __name__ == "__main__":
    main()
