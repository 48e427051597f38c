"""Per-call cost of a fresh isolated instance calling a tiny export, against raw wasmtime-py in the same run.

Both sides do the same minimal work per call: a new Store with store limits, fuel and an epoch deadline,
instantiate a pre-linked module, look up the export, call it, read the fuel left. "raw high-level" is what most
wasmtime-py code writes; "raw minimum" is the fastest wasmtime-py path we know (C API through its ffi, no
wrappers). Ours adds capability checks, argument range checks, metrics and error mapping on top.
Ratios are ours / raw. Also the throughput of many threads doing tiny calls on all cores, against one thread.

    python bench/bench_call.py [--calls N] [--rounds R] [--threads T] [--json PATH]
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable

os.environ.setdefault("LANGCHAIN_WASM_CACHE_DIR", tempfile.mkdtemp(prefix="lcw-bench-"))

import wasmtime
from wasmtime import _ffi as ffi

from langchain_wasm import Limits, WasmModule

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _report import Row, add_json_arg, emit

ADD = '(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))'


def _samples(fn: Callable[[], object], calls: int) -> list[float]:
    for _ in range(200):
        fn()
    out = []
    gc.disable()
    try:
        for _ in range(calls):
            t0 = time.perf_counter_ns()
            fn()
            out.append((time.perf_counter_ns() - t0) / 1000)
    finally:
        gc.enable()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8, help="threads for the throughput row")
    parser.add_argument("--seconds", type=float, default=2.0, help="duration of each throughput run")
    add_json_arg(parser)
    args = parser.parse_args()

    mod = WasmModule.from_wat(ADD)
    limits = Limits(timeout_s=1.0, fuel=1_000_000)

    def ours() -> object:
        return mod.call("add", 1, 2, limits=limits).value

    # Raw wasmtime-py on an engine with the same configuration.
    engine = mod.engine.engine
    linker = wasmtime.Linker(engine)
    pre = linker.instantiate_pre(wasmtime.Module(engine, ADD))

    def raw_high_level() -> object:
        store = wasmtime.Store(engine)
        store.set_limits(limits.memory_bytes, limits.table_elements, limits.instances, limits.tables, limits.memories)
        store.set_fuel(1_000_000)
        store.set_epoch_deadline(200)
        inst = pre.instantiate(store)
        value = inst.exports(store)["add"](store, 1, 2)
        store.get_fuel()
        return value

    name = b"add"

    def raw_minimum() -> object:
        store = wasmtime.Store(engine)
        store.set_limits(limits.memory_bytes, limits.table_elements, limits.instances, limits.tables, limits.memories)
        store.set_fuel(1_000_000)
        store.set_epoch_deadline(200)
        cctx = store._context()
        inst = ffi.wasmtime_instance_t()
        trap = ctypes.POINTER(ffi.wasm_trap_t)()
        ffi.wasmtime_instance_pre_instantiate(pre.ptr(), cctx, ctypes.byref(inst), ctypes.byref(trap))
        item = ffi.wasmtime_extern_t()
        ffi.wasmtime_instance_export_get(cctx, ctypes.byref(inst), name, 3, ctypes.byref(item))
        params = (ffi.wasmtime_val_t * 2)()
        for i, v in enumerate((1, 2)):
            params[i].kind = ffi.WASMTIME_I32.value
            params[i].of.i32 = v
        results = (ffi.wasmtime_val_t * 1)()
        ffi.wasmtime_func_call(cctx, ctypes.byref(item.of.func), params, 2, results, 1, ctypes.byref(trap))
        fuel = ctypes.c_uint64(0)
        ffi.wasmtime_context_get_fuel(cctx, ctypes.byref(fuel))
        return results[0].of.i32

    assert ours() == raw_high_level() == raw_minimum() == 3
    print(f"# per-call cost, fresh store + instance + call of add(1, 2); {args.calls} calls x {args.rounds} rounds")
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, wasmtime-py "
        f"{mod.engine.fingerprint}, {os.cpu_count()} cpus, {time.strftime('%Y-%m-%d')}"
    )
    p50: dict[str, list[float]] = {"ours": [], "raw_minimum": [], "raw_high_level": []}
    p95: dict[str, list[float]] = {"ours": [], "raw_minimum": [], "raw_high_level": []}
    for _ in range(args.rounds):  # interleaved rounds so machine noise hits every side alike
        for label, fn in (("raw_minimum", raw_minimum), ("ours", ours), ("raw_high_level", raw_high_level)):
            s = sorted(_samples(fn, args.calls))
            p50[label].append(statistics.median(s))
            p95[label].append(s[int(len(s) * 0.95)])
    print(f"{'variant':<16}{'p50 us':>10}{'p95 us':>10}")
    for label in ("raw_minimum", "ours", "raw_high_level"):
        print(f"{label:<16}{min(p50[label]):>10.1f}{min(p95[label]):>10.1f}")
    ratio_min = min(p50["ours"]) / min(p50["raw_minimum"])
    ratio_hl = min(p50["ours"]) / min(p50["raw_high_level"])
    print(f"ratio ours/raw_minimum p50: {ratio_min:.2f}x   ours/raw_high_level p50: {ratio_hl:.2f}x")
    one = max(_throughput(ours, 1, args.seconds) for _ in range(args.rounds))
    many = max(_throughput(ours, args.threads, args.seconds) for _ in range(args.rounds))
    emit(
        [
            Row(
                "fresh-instance call p50 vs raw wasmtime C-API floor",
                min(p50["ours"]),
                min(p50["raw_minimum"]),
                "raw C API (store+instantiate+call)",
                "us",
                "<= 1.2x",
                ratio_min <= 1.2,
                was="14.6 vs 10.2 us (1.44x)",
            ),
            Row(
                f"throughput, {args.threads} threads on {os.cpu_count()} cores, tiny calls",
                many,
                one,
                "one thread",
                "calls/s",
                ">= 1.8x",
                many / one >= 1.8,
                was="not measured",
            ),
        ],
        args.json,
        "bench_call.py",
    )


def _throughput(fn: Callable[[], object], threads: int, seconds: float) -> float:
    """Calls per second of ``threads`` threads calling ``fn`` in a loop for ``seconds``."""
    counts = [0] * threads
    stop = threading.Event()
    start = threading.Barrier(threads + 1)

    def worker(i: int) -> None:
        start.wait()
        n = 0
        while not stop.is_set():
            for _ in range(50):
                fn()
            n += 50
        counts[i] = n

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in pool:
        t.join()
    return sum(counts) / (time.perf_counter() - t0)


if __name__ == "__main__":
    main()
