"""Per-call cost of a fresh isolated instance calling a tiny export, against raw wasmtime-py in the same run.

The floor ("raw minimum") is the fastest way we know to do from Python what our call must do for safety,
nothing more: the wasmtime C API through the ctypes prototypes our hot path binds (``runtime/capi.py``: plain
addresses, as wasmtime-py's own typed prototypes cost ~40% more per call; the GIL kept around constant-time
calls and released around the ones that can run guest code, with the same choice for this module as ours:
``fast_call.is_light``, so for ``add`` only ``func_call`` releases it), with these steps per call:

 1. pack the Python arguments (1, 2) into a fresh ``wasmtime_val_t`` array;
 2. ``wasmtime_store_new``, ``wasmtime_store_context``;
 3. ``wasmtime_store_limiter`` (memory, table elements, instances, tables, memories of ``Limits``);
 4. ``wasmtime_context_set_fuel`` (the budget), ``wasmtime_context_set_epoch_deadline`` (the timeout in ticks),
    and the engine's epoch ticker held for the call (without it ticking, a deadline in ticks never comes);
 5. ``wasmtime_instance_pre_instantiate`` of a pre-linked module, checking the error and trap;
 6. ``wasmtime_instance_export_get("add")``, ``wasmtime_func_call``, checking the error and trap;
 7. ``wasmtime_context_get_fuel`` (fuel used), reading the result, ``wasmtime_store_delete``.

Ours adds what a caller gets on top: argument type and range checks, the fuel overrun check, the wall time,
``CallResult``/``CallMetrics``, the metrics sink and error mapping. "raw high-level" is what most wasmtime-py
code writes (``Store``, ``instantiate``, ``exports(store)["add"](...)``). Ratios are ours / raw.

Threads: calls per second of 8 threads against 1 thread, for ours and for the floor, interleaved runs of equal
length; each run's pair of figures gives one ratio and the row reports their median (min and max printed). The
split printed with it is the time a call spends with the GIL released (timed on the floor's C calls that can
run guest code; for ``add`` only ``func_call``, ~1 us) against the rest of our call, which holds it. Amdahl's
law caps T threads at (held + free) / held of one thread (~1.2x here), and that is before the price of each
release: under contention it wakes a waiting thread, and this one must wait to get the GIL back, a scheduler
round trip that costs more than the GIL-free part of a tiny call. So, under one GIL, tiny calls on many threads
run at best about as fast as on one; threads pay off for guests that compute for longer.

    python bench/bench_call.py [--calls N] [--rounds R] [--threads T] [--seconds S] [--json PATH]
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import platform
import statistics
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable

os.environ.setdefault("LANGCHAIN_WASM_CACHE_DIR", tempfile.mkdtemp(prefix="lcw-bench-"))

import wasmtime

from langchain_wasm import Limits, WasmModule
from langchain_wasm.runtime import capi
from langchain_wasm.runtime.binary import read_layout
from langchain_wasm.runtime.fast_call import is_light

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

    # The same C functions our hot path binds (runtime/capi.py: plain addresses; constant-time calls keep the GIL,
    # calls that may run wasm release it), so the floor differs from ours only by what our call does around them.
    store_new, store_context, store_limiter = capi.store_new, capi.store_context, capi.store_limiter
    set_fuel, set_deadline, get_fuel = capi.context_set_fuel, capi.context_set_epoch_deadline, capi.context_get_fuel
    export_get, func_call = capi.instance_export_get, capi.func_call
    light = is_light(read_layout(wasmtime.wat2wasm(ADD)))  # no start function, no memory: as in fast_call.py
    if light:
        instantiate, store_delete = capi.instance_pre_instantiate_held, capi.store_delete_held
    else:
        instantiate, store_delete = capi.instance_pre_instantiate, capi.store_delete
    v = ctypes.c_void_p
    engine_at = ctypes.cast(engine.ptr(), v).value
    pre_at = ctypes.cast(pre.ptr(), v).value
    # one buffer per call: instance (16) | export item (32) | trap* (8) | fuel (8) | 2 params | 1 result (32 each)
    scratch = ctypes.c_char * (64 + 3 * 32)
    pack = struct.Struct("<B7xi20xB7xi20x")
    q = struct.Struct("<Q")
    lim = (limits.memory_bytes, limits.table_elements, limits.instances, limits.tables, limits.memories)
    ticker = mod.engine.ticker  # a deadline in ticks is only a deadline while the epoch ticker runs
    ticks = ticker.ticks_for(1.0)
    split: dict[str, list[int]] = {"free": [], "all": []}
    clock = time.perf_counter_ns

    def raw_minimum() -> object:
        buf = scratch()
        at = ctypes.addressof(buf)
        pack.pack_into(buf, 64, 0, 1, 0, 2)
        store = store_new(engine_at, None, None)
        cctx = store_context(store)
        store_limiter(store, *lim)
        if set_fuel(cctx, 1_000_000):
            raise RuntimeError("set_fuel")
        set_deadline(cctx, ticks)
        ticker.acquire()
        if instantiate(pre_at, cctx, at, at + 48) or q.unpack_from(buf, 48)[0]:
            raise RuntimeError("instantiate")
        export_get(cctx, at, b"add", 3, at + 16)
        if func_call(cctx, at + 24, at + 64, 2, at + 128, 1, at + 48) or q.unpack_from(buf, 48)[0]:
            raise RuntimeError("call")
        ticker.release()
        get_fuel(cctx, at + 56)
        store_delete(store)
        return struct.unpack_from("<i", buf, 136)[0]

    def raw_split() -> None:
        """The floor again, timing its GIL-free C calls (the call; instantiate and delete unless light)."""
        buf = scratch()
        at = ctypes.addressof(buf)
        pack.pack_into(buf, 64, 0, 1, 0, 2)
        t0 = clock()
        store = store_new(engine_at, None, None)
        cctx = store_context(store)
        store_limiter(store, *lim)
        set_fuel(cctx, 1_000_000)
        set_deadline(cctx, ticks)
        t1 = clock()
        instantiate(pre_at, cctx, at, at + 48)
        t2 = clock()
        export_get(cctx, at, b"add", 3, at + 16)
        t3 = clock()
        func_call(cctx, at + 24, at + 64, 2, at + 128, 1, at + 48)
        t4 = clock()
        get_fuel(cctx, at + 56)
        t5 = clock()
        store_delete(store)
        t6 = clock()
        split["free"].append((t4 - t3) + (0 if light else (t2 - t1) + (t6 - t5)))
        split["all"].append(t6 - t0)

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
    for _ in range(5000):
        raw_split()
    free = statistics.median(split["free"]) / 1000  # us per call with the GIL released (guest-running C calls)
    held = min(p50["ours"]) - free  # the rest of our call holds the GIL
    print(f"ours p50 {min(p50['ours']):.1f} us = {held:.1f} us holding the GIL + {free:.1f} us in C without it")
    print(f"  (floor: {statistics.median(split['all']) / 1000:.1f} us, of which {free:.1f} us without the GIL)")
    print(f"  under one GIL, T threads on 2 cores can at most reach {(held + free) / held:.2f}x one thread")
    thr: dict[str, list[float]] = {"ours": [], "raw": []}
    for _ in range(args.rounds):  # interleaved runs of equal length: each pair shares the machine's state
        for label, fn in (("ours", ours), ("raw", raw_minimum)):
            one = _throughput(fn, 1, args.seconds)
            many = _throughput(fn, args.threads, args.seconds)
            thr[label].append(many / one)
            print(
                f"throughput {label:<5} 1 thread {one:9.0f}/s   {args.threads} threads {many:9.0f}/s  {many / one:.2f}x"
            )
    ratio = statistics.median(thr["ours"])
    raw_ratio = statistics.median(thr["raw"])
    print(
        f"threads/one ratio, median (min-max) of {args.rounds}: ours {ratio:.2f}x ({min(thr['ours']):.2f}-"
        f"{max(thr['ours']):.2f}), raw floor {raw_ratio:.2f}x ({min(thr['raw']):.2f}-{max(thr['raw']):.2f})"
    )
    one_s = 1e6 / min(p50["ours"])
    emit(
        [
            Row(
                "fresh-instance call p50 vs raw wasmtime C-API floor",
                min(p50["ours"]),
                min(p50["raw_minimum"]),
                "raw C API: store, limits, fuel, deadline, instantiate, lookup, call, fuel read",
                "us",
                "<= 1.2x",
                ratio_min <= 1.2,
                note=f"wasmtime-py high-level API {min(p50['raw_high_level']):.1f} us",
                was="14.6 vs 10.2 us (1.44x)",
            ),
            Row(
                f"throughput, {args.threads} threads on {os.cpu_count()} cores, tiny calls",
                one_s * ratio,
                one_s,
                "one thread",
                "calls/s",
                ">= 1.8x",
                ratio >= 1.8,
                ratio=ratio,
                note=(
                    f"median of {args.rounds} interleaved runs ({min(thr['ours']):.2f}-{max(thr['ours']):.2f}x); "
                    f"the raw floor itself {raw_ratio:.2f}x: a call holds the GIL {held:.1f} us and runs "
                    f"{free:.1f} us without it, so one GIL caps threads at {(held + free) / held:.2f}x"
                ),
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
