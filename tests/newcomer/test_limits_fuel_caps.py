"""Issue 14: limits a caller did not set keep the defaults of whoever applies them; fuel is accounted exactly;
every refused import is named at once."""

from __future__ import annotations

import pickle

import pytest

from langchain_wasm import Capabilities, Limits, WasmModule
from langchain_wasm.errors import WasmCapabilityError, WasmFuelExhaustedError
from tests.guests.conftest import GUESTS

ADD = GUESTS / "wat" / "add.wat"

CLOCK_AND_RANDOM = """
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $t (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $r (param i32 i32) (result i32)))
  (import "env" "scale" (func $s (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "f") (result i32) (call $r (i32.const 0) (i32.const 8))))
"""


def test_limits_remember_which_fields_were_given():
    assert Limits(timeout_s=3).explicit == {"timeout_s"}
    assert Limits(0.5, 10).explicit == {"timeout_s", "fuel"}
    assert Limits().explicit == frozenset()
    assert pickle.loads(pickle.dumps(Limits(fuel=7))).explicit == {"fuel"}
    assert Limits(timeout_s=3) == Limits(timeout_s=3.0)  # equality ignores the bookkeeping


def test_over_takes_unset_fields_from_the_defaults():
    defaults = Limits(timeout_s=30, fuel=None, memory_bytes=1 << 30)
    got = Limits(timeout_s=3).over(defaults)
    assert (got.timeout_s, got.fuel, got.memory_bytes) == (3, None, 1 << 30)
    # An explicit value equal to the class default still wins over the defaults given.
    assert Limits(fuel=1_000_000_000).over(defaults).fuel == 1_000_000_000
    full = Limits(1, 2, 64 << 20, 1, 1, 1, 1, 0, 0, None, None)  # every field, workspace quota included
    assert full.over(defaults) is full


def test_a_budget_smaller_than_the_work_is_refused_not_reported_as_fitting():
    mod = WasmModule.from_file(ADD)
    unlimited = mod.call("add", 1, 2, limits=Limits(fuel=None)).metrics.fuel_used
    assert unlimited == 4
    exact = mod.call("add", 1, 2, limits=Limits(fuel=unlimited))
    assert (exact.value, exact.metrics.fuel_used) == (3, unlimited)
    with pytest.raises(WasmFuelExhaustedError) as info:
        mod.call("add", 1, 2, limits=Limits(fuel=2))  # wasmtime alone lets this finish and reports 2
    assert info.value.metrics.fuel_used == unlimited  # the true use, not the clamped counter


def test_an_endless_loop_still_stops_at_the_budget():
    spin = WasmModule.from_file(GUESTS / "wat" / "spin.wat")
    with pytest.raises(WasmFuelExhaustedError) as info:
        spin.call("spin", limits=Limits(fuel=50_000))
    assert info.value.metrics.fuel_used == 50_000


def test_every_refused_import_is_named_at_once():
    mod = WasmModule.from_wat(CLOCK_AND_RANDOM)
    with pytest.raises(WasmCapabilityError) as info:
        mod.call("f")
    text = str(info.value)
    for name in ("clock_time_get", "random_get", "env::scale"):
        assert name in text
    assert info.value.needs == ("clocks", "random")
    assert (info.value.module, info.value.name) == ("wasi_snapshot_preview1", "clock_time_get")
    with pytest.raises(WasmCapabilityError) as info:  # granting what was named leaves only the host function
        mod.call("f", capabilities=Capabilities(clocks=True, random=True))
    assert info.value.needs == ()
    assert "random_get" not in str(info.value)
