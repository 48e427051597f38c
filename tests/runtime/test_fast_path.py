"""The hot path of ``WasmModule.call`` (a module without imports) against the general path it must match.

The same functions are compiled twice: as is (no imports: ``fast_call.py``) and with one unused host import
(the general ``execute``). Every argument, result, error and limit must come out the same.
"""

from __future__ import annotations

import math
import re
import threading
import time

import pytest

from langchain_wasm import Capabilities, HostFunction, Limits, WasmModule
from langchain_wasm.errors import (
    LangChainWasmError,
    WasmArgumentError,
    WasmFuelExhaustedError,
    WasmMemoryLimitError,
    WasmTimeoutError,
    WasmTrapError,
)

BODY = """
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "mix") (param i64 f32 f64) (result f64 i64 f32)
    local.get 2 local.get 0 local.get 1)
  (func (export "nothing"))
  (func (export "spin") (loop br 0))
  (func (export "trap") unreachable)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "pages") (result i32) memory.size)
"""
UNUSED = HostFunction("env", "unused", (), (), lambda: None)
HOSTED = Capabilities(host_functions=(UNUSED,))


@pytest.fixture(scope="module")
def pair() -> tuple[WasmModule, WasmModule]:
    fast = WasmModule.from_wat(f"(module {BODY})", name="m")
    general = WasmModule.from_wat(f'(module (import "env" "unused" (func)) {BODY})', name="m")
    assert fast._fast is not None
    assert general._fast is None
    return fast, general


def _outcome(mod: WasmModule, caps: Capabilities | None, export: str, *args: object, limits: Limits | None = None):
    try:
        r = mod.call(export, *args, limits=limits, capabilities=caps)
    except LangChainWasmError as exc:
        return type(exc).__name__, re.sub(r"[\d.]+ ms", "_ ms", str(exc))  # wall time differs run to run
    value = r.value
    items = value if isinstance(value, tuple) else (value,)
    value = tuple("nan" if isinstance(v, float) and math.isnan(v) else v for v in items)
    return value, r.exit_code, r.stdout, r.stderr, r.metrics.fuel_used, r.metrics.memory_peak_bytes, r.metrics.trap


ARGUMENTS = [
    ("add", (1, 2)),
    ("add", (-(2**31), 2**31 - 1)),
    ("add", (2**31, 0)),  # out of range
    ("add", (-(2**31) - 1, 0)),
    ("add", (3.0, 4)),  # an integral float is an integer
    ("add", (3.5, 4)),
    ("add", (True, 1)),
    ("add", ("1", 2)),
    ("add", (None, 2)),
    ("add", (1,)),
    ("add", (1, 2, 3)),
    ("mix", (2**63 - 1, 1.5, -0.25)),
    ("mix", (-(2**63), 3, 7)),  # ints where floats are expected
    ("mix", (2**63, 1.0, 1.0)),
    ("mix", (1, 3.5e38, 1.0)),
    ("mix", (1, 3.5e39, 1.0)),  # beyond f32
    ("mix", (1, 3.402823466385289e38, 1.0)),  # just past f32's maximum: rounds to it, must still be refused
    ("mix", (1, float("inf"), float("nan"))),
    ("mix", (1, True, 1.0)),
    ("mix", (1, 1.0, 10**400)),
    ("nothing", ()),
    ("pages", ()),
    ("grow", (2,)),
    ("missing", ()),
    ("memory", ()),
]


@pytest.mark.parametrize(("export", "args"), ARGUMENTS, ids=[f"{e}{a!r}" for e, a in ARGUMENTS])
def test_fast_path_matches_the_general_path(pair, export, args):
    fast, general = pair
    assert _outcome(fast, None, export, *args) == _outcome(general, HOSTED, export, *args)


@pytest.mark.parametrize(
    ("export", "args", "limits", "error"),
    [
        ("spin", (), Limits(fuel=10_000, timeout_s=None), WasmFuelExhaustedError),
        ("spin", (), Limits(fuel=None, timeout_s=0.05), WasmTimeoutError),
        ("trap", (), Limits(), WasmTrapError),
    ],
)
def test_limits_and_traps_stop_the_fast_path_like_the_general_one(pair, export, args, limits, error):
    fast, general = pair
    for mod, caps in ((fast, None), (general, HOSTED)):
        with pytest.raises(error) as info:
            mod.call(export, *args, limits=limits, capabilities=caps)
        assert info.value.metrics is not None
        assert info.value.metrics.module == "m"
    if error is WasmFuelExhaustedError:
        assert _outcome(fast, None, export, limits=limits) == _outcome(general, HOSTED, export, limits=limits)


def test_memory_cap_applies_on_the_fast_path(pair):
    fast, _ = pair
    capped = Limits(memory_bytes=2 * 65536)
    assert fast.call("grow", 1, limits=capped).value == 1  # 1 -> 2 pages: at the cap
    assert fast.call("grow", 2, limits=capped).value == -1  # past it: memory.grow fails, the guest sees -1
    with pytest.raises(WasmMemoryLimitError):
        fast.call("pages", limits=Limits(memory_bytes=1000))  # the module needs one page to start


def test_each_call_starts_from_a_fresh_instance(pair):
    fast, _ = pair
    for _ in range(3):
        assert fast.call("grow", 1).value == 1
        assert fast.call("pages").value == 1


def test_new_limits_objects_take_effect_at_once(pair):
    """The hot path caches per Limits object; a different object (even an equal one) is planned afresh."""
    fast, _ = pair
    with pytest.raises(WasmFuelExhaustedError):
        fast.call("spin", limits=Limits(fuel=1_000, timeout_s=None))
    with pytest.raises(WasmTimeoutError):
        fast.call("spin", limits=Limits(fuel=None, timeout_s=0.02))
    for fuel in (50, 5_000, 500_000):
        limits = Limits(fuel=fuel, timeout_s=None)
        with pytest.raises(WasmFuelExhaustedError) as info:
            fast.call("spin", limits=limits)
        assert info.value.metrics.fuel_used == fuel


def test_capabilities_are_still_checked_on_the_fast_path():
    """A preopen over the compile cache is refused even for a module that could never use it."""
    mod = WasmModule.from_wat('(module (func (export "f")))')
    cache = mod.engine.cache_dir
    if cache is None:
        pytest.skip("in-memory compile cache")
    from langchain_wasm import Preopen
    from langchain_wasm.errors import WasmCapabilityError

    with pytest.raises(WasmCapabilityError):
        mod.call("f", capabilities=Capabilities(preopens=(Preopen(str(cache), "/c"),)))


def test_threads_on_the_fast_path_each_get_their_own_values(pair):
    fast, _ = pair
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for i in range(300):
                assert fast.call("add", k, i).value == k + i
                assert fast.call("mix", k, float(i), -1.5).value == (-1.5, k, float(i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k * 1000,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_deadline_holds_after_the_ticker_went_idle(pair):
    """The epoch ticker stops after a second without calls; the next call must start it again."""
    fast, _ = pair
    ticker = fast.engine.ticker
    fast.call("add", 1, 2)
    deadline = time.monotonic() + 5
    while ticker.running and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not ticker.running
    with pytest.raises(WasmTimeoutError):
        fast.call("spin", limits=Limits(fuel=None, timeout_s=0.05))


def test_ticker_survives_many_threads_holding_and_releasing_it(pair):
    fast, _ = pair
    ticker = fast.engine.ticker
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            fast.call("add", 1, 2)

    threads = [threading.Thread(target=churn) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join()
    assert ticker._calls == []  # every hold released
    with pytest.raises(WasmTimeoutError):
        fast.call("spin", limits=Limits(fuel=None, timeout_s=0.05))


def test_bad_argument_beats_a_capability_problem(pair):
    """Argument errors come first on both paths (the order callers and tests rely on)."""
    fast, _ = pair
    with pytest.raises(WasmArgumentError):
        fast.call("add", "x", 1, limits=Limits(memory_bytes=1000))


def test_results_are_plain_frozen_dataclasses(pair):
    """The hot path fills twins and re-classes them (result.py): callers must see ordinary results."""
    import dataclasses
    import pickle

    from langchain_wasm import CallMetrics, CallResult

    for mod, caps in zip(pair, (None, HOSTED), strict=True):
        r = mod.call("add", 1, 2, capabilities=caps)
        assert type(r) is CallResult
        assert type(r.metrics) is CallMetrics
        same = CallResult(3, 0, b"", b"", dataclasses.replace(r.metrics))
        assert r == same
        assert hash(r) == hash(same)
        assert repr(r) == repr(same)
        assert pickle.loads(pickle.dumps(r)) == r
        with pytest.raises(dataclasses.FrozenInstanceError):
            r.value = 4  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            r.metrics.fuel_used = 0  # type: ignore[misc]


def test_only_light_modules_keep_the_gil_while_instantiating():
    """A start function is guest code: instantiating such a module must release the GIL, or no deadline fires."""
    import wasmtime

    from langchain_wasm.runtime.binary import read_layout
    from langchain_wasm.runtime.fast_call import is_light

    def light(text: str) -> bool:
        return is_light(read_layout(wasmtime.wat2wasm(text)))

    assert light('(module (func (export "f")))')
    assert not light('(module (memory 1) (func (export "f")))')
    assert not light('(module (func $s) (start $s) (func (export "f")))')
    spin_at_start = WasmModule.from_wat('(module (func $s (loop br 0)) (start $s) (func (export "f")))')
    assert spin_at_start._fast is not None
    with pytest.raises(WasmTimeoutError):
        spin_at_start.call("f", limits=Limits(timeout_s=0.2, fuel=None))
