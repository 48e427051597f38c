"""Many threads calling modules at once, on the pinned wasmtime 49 (whose own host-call path is not
thread-safe): every result checked, host functions and stdio shims included, some calls trapping."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

from langchain_wasm import Capabilities, HostFunction, Limits, WasmModule
from langchain_wasm.errors import WasmFuelExhaustedError, WasmHostFunctionError, WasmTimeoutError, WasmTrapError
from tests.runtime import wat

THREADS = 8
CALLS = 400


def _scale(x: int) -> int:
    if x % 7 == 0:
        raise ValueError(f"refusing {x}")
    return x * 3 + threading.get_ident() % 1  # the thread id term is 0; it keeps the call thread-bound


def test_concurrent_calls_are_all_correct():
    add = WasmModule.from_wat(wat.ADD)
    host = WasmModule.from_wat(wat.HOST_IMPORT)
    cat = WasmModule.from_wat(wat.CAT)
    loop = WasmModule.from_wat(wat.LOOP)
    traps = WasmModule.from_wat(wat.TRAPS)
    caps = Capabilities(host_functions=(HostFunction("env", "scale", ("i32",), ("i32",), _scale),))

    def worker(seed: int) -> list[str]:
        rng = random.Random(seed)
        errors: list[str] = []
        for i in range(CALLS):
            x = rng.randrange(1, 10_000)
            choice = i % 5
            try:
                if choice == 0:
                    got, want = add.call("add", x, seed).value, x + seed
                elif choice == 1:
                    want = "host" if x % 7 == 0 else x * 3
                    try:
                        got = host.call("run", x, capabilities=caps).value
                    except WasmHostFunctionError as exc:
                        got = "host" if f"refusing {x}" in str(exc) else str(exc)
                elif choice == 2:
                    payload = f"{seed}:{i}:{x}".encode() * (1 + x % 50)
                    got, want = cat.run(stdin=payload).stdout, payload
                elif choice == 3:
                    try:
                        loop.call("spin", limits=Limits(fuel=1000 + x))
                        got = "returned"
                    except WasmFuelExhaustedError as exc:
                        got = exc.metrics.fuel_used
                    want = 1000 + x
                else:
                    try:
                        traps.call("div", x, 0)
                        got = "returned"
                    except WasmTrapError as exc:
                        got = exc.trap_code
                    want = "integer_division_by_zero"
            except Exception as exc:  # record, so one failure reports them all
                got, want = repr(exc), "no exception"
            if got != want:
                errors.append(f"thread {seed} call {i} kind {choice}: got {got!r}, want {want!r}")
        return errors

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    failures = [e for errs in results for e in errs]
    assert failures == [], failures[:10]


def test_deadlines_fire_in_spinning_guests_on_many_threads():
    """A tight loop holds no GIL: the epoch ticker still runs, so every thread's 0.2 s deadline fires."""
    spin = WasmModule.from_wat('(module (func (export "spin") (loop br 0)))')  # no imports: the fast path
    add = WasmModule.from_wat(wat.ADD)
    assert spin._fast is not None
    limits = Limits(timeout_s=0.2, fuel=None)
    done = threading.Event()

    def spinner(_: int) -> str:
        try:
            spin.call("spin", limits=limits)
        except WasmTimeoutError as exc:
            return type(exc).__name__
        return "returned"

    def busy() -> int:  # tiny calls keep the GIL busy meanwhile
        n = 0
        while not done.is_set():
            n += add.call("add", 1, 2).value
        return n

    with ThreadPoolExecutor(6) as pool:
        busy_runs = [pool.submit(busy) for _ in range(2)]
        try:
            outcomes = list(pool.map(spinner, range(4)))
        finally:
            done.set()
        assert all(run.result() % 3 == 0 for run in busy_runs)
    assert outcomes == ["WasmTimeoutError"] * 4
