"""Every limit, tried by a guest that wants to break it."""

from __future__ import annotations

import time

import pytest

from langchain_wasm import Capabilities, Limits, WasmModule
from langchain_wasm.errors import (
    WasmFuelExhaustedError,
    WasmLimitError,
    WasmMemoryLimitError,
    WasmOutputLimitError,
    WasmTimeoutError,
    WasmTrapError,
)
from tests.runtime import wat


def test_infinite_loop_is_stopped_by_fuel():
    mod = WasmModule.from_wat(wat.LOOP)
    with pytest.raises(WasmFuelExhaustedError) as info:
        mod.call("spin", limits=Limits(fuel=100_000, timeout_s=None))
    err = info.value
    assert err.trap_code == "out_of_fuel"
    assert err.metrics is not None
    assert err.metrics.fuel_used == 100_000
    assert err.metrics.trap == "fuel"
    assert isinstance(err, WasmLimitError)


def test_infinite_loop_is_stopped_by_the_deadline():
    mod = WasmModule.from_wat(wat.LOOP)
    with pytest.raises(WasmTimeoutError) as info:
        mod.call("spin", limits=Limits(fuel=None, timeout_s=0.05))
    assert info.value.metrics.trap == "timeout"
    assert "0.05 s" in str(info.value)
    # wasmtime 49 does not write the fuel counter back when the epoch interrupts, so fuel_used is not
    # asserted here (it reads 0); the fuel test above checks the counter.


def test_default_limits_stop_an_infinite_loop():
    with pytest.raises(WasmLimitError):
        WasmModule.from_wat(wat.LOOP).call("spin")


def test_sleep_past_the_deadline_is_cut_off():
    forever = wat.SLEEP.replace("(i64.const 30000000000)", "(i64.const 0x7fffffffffffffff)")  # ~292 years
    assert forever != wat.SLEEP
    mod = WasmModule.from_wat(forever)
    with pytest.raises(WasmTimeoutError) as info:  # only a cut-off at the deadline returns at all
        mod.run(limits=Limits(timeout_s=0.1), capabilities=Capabilities.command(clocks=True))
    assert info.value.metrics.trap == "timeout"


def test_short_sleep_within_the_deadline_completes():
    mod = WasmModule.from_wat(wat.SLEEP)
    r = mod.call("nap", limits=Limits(timeout_s=5), capabilities=Capabilities(clocks=True))
    assert r.value == 0  # errno success
    assert mod.call("userdata", capabilities=Capabilities(clocks=True)).value == 0  # fresh instance


def test_memory_bomb_hits_the_memory_cap():
    mod = WasmModule.from_wat(wat.MEMORY_BOMB)
    with pytest.raises(WasmMemoryLimitError) as info:
        mod.call("bomb", limits=Limits(memory_bytes=8 * 1024 * 1024))
    metrics = info.value.metrics
    assert metrics.trap == "memory"
    assert metrics.memory_peak_bytes <= 8 * 1024 * 1024


def test_module_needing_more_memory_than_allowed_is_refused():
    mod = WasmModule.from_wat(wat.BIG_MEMORY)
    with pytest.raises(WasmMemoryLimitError, match="needs at least 536870912 bytes"):
        mod.call("f", limits=Limits(memory_bytes=64 * 1024 * 1024))
    assert mod.call("f", limits=Limits(memory_bytes=600 * 1024 * 1024)).metrics.memory_peak_bytes == 8192 * 65536


def test_deep_recursion_is_a_stack_overflow_trap():
    with pytest.raises(WasmTrapError) as info:
        WasmModule.from_wat(wat.TRAPS).call("recurse", 0, limits=Limits(fuel=None, timeout_s=5))
    assert info.value.trap_code == "stack_overflow"
    assert not isinstance(info.value, WasmLimitError)


@pytest.mark.parametrize(
    ("export", "args", "code"),
    [
        ("unreachable", (), "unreachable"),
        ("oob", (), "memory_out_of_bounds"),
        ("div", (1, 0), "integer_division_by_zero"),
        ("div", (-(2**31), -1), "integer_overflow"),
    ],
)
def test_traps_are_classified_by_code(export, args, code):
    with pytest.raises(WasmTrapError) as info:
        WasmModule.from_wat(wat.TRAPS).call(export, *args)
    assert info.value.trap_code == code
    assert info.value.metrics.trap == code


def test_output_flood_is_stopped_at_the_cap():
    mod = WasmModule.from_wat(wat.FLOOD)
    with pytest.raises(WasmOutputLimitError) as info:
        mod.run(limits=Limits(stdout_bytes=10_000, timeout_s=5))
    err = info.value
    assert err.stream == "stdout"
    assert len(err.stdout) == 10_000
    assert err.metrics.stdout_bytes == 10_000


def test_stderr_has_its_own_cap():
    mod = WasmModule.from_wat(wat.HELLO)
    with pytest.raises(WasmOutputLimitError) as info:
        mod.run(limits=Limits(stderr_bytes=3))
    assert info.value.stream == "stderr"
    assert info.value.stdout == b"hello from wasm\n"
    assert info.value.stderr == b"hel"


def test_a_breach_leaves_the_host_working():
    loop = WasmModule.from_wat(wat.LOOP)
    add = WasmModule.from_wat(wat.ADD)
    for _ in range(20):
        with pytest.raises(WasmLimitError):
            loop.call("spin", limits=Limits(fuel=10_000))
        assert add.call("add", 2, 3).value == 5


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout_s": 0},
        {"timeout_s": -1},
        {"fuel": 0},
        {"fuel": 2**63},
        {"memory_bytes": 0},
        {"stdout_bytes": -1},
    ],
)
def test_invalid_limits_are_rejected(kwargs):
    with pytest.raises(ValueError, match="Limits"):
        Limits(**kwargs)


def test_module_needing_a_bigger_table_than_allowed_is_refused():
    mod = WasmModule.from_wat('(module (table 5000 funcref) (func (export "f")))')
    with pytest.raises(WasmMemoryLimitError, match="5000 table elements"):
        mod.call("f", limits=Limits(table_elements=1000))
    assert mod.call("f", limits=Limits(table_elements=5000)).value is None


def test_table_grow_past_the_limit_fails_inside_the_guest():
    src = """(module (table $t 1 funcref)
      (func (export "grow") (result i32) (table.grow $t (ref.null func) (i32.const 100000))))"""
    assert WasmModule.from_wat(src).call("grow", limits=Limits(table_elements=1000)).value == -1


def test_deadline_still_works_after_the_ticker_went_idle():
    from langchain_wasm.runtime.ticker import EpochTicker

    mod = WasmModule.from_wat(wat.LOOP)
    ticker: EpochTicker = mod.engine.ticker
    with pytest.raises(WasmTimeoutError):
        mod.call("spin", limits=Limits(fuel=None, timeout_s=0.02))
    give_up = time.monotonic() + 120  # a bail-out, not a measurement: the thread exits after ~1 s idle
    while ticker.running and time.monotonic() < give_up:
        time.sleep(0.05)
    assert not ticker.running
    with pytest.raises(WasmTimeoutError):
        mod.call("spin", limits=Limits(fuel=None, timeout_s=0.02))
