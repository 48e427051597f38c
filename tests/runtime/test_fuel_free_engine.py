"""``WasmEngine(consume_fuel=False)``: code compiled without the fuel counter, bounded by deadlines only.

A fuel budget cannot be honoured there, so it is refused up front (never silently ignored), and the engine's
cache key differs only then (existing cache entries of the fuel engine stay valid)."""

from __future__ import annotations

import json

import pytest
import wasmtime

from langchain_wasm import Capabilities, Limits, WasmEngine, WasmModule
from langchain_wasm.errors import WasmTimeoutError
from langchain_wasm.runtime.kept import KeptInstance
from langchain_wasm.runtime.signatures import FuncSignature
from tests.runtime import wat


@pytest.fixture(scope="module")
def free(tmp_path_factory):
    return WasmEngine(cache_dir=tmp_path_factory.mktemp("free"), consume_fuel=False)


def test_fingerprint_changes_only_without_fuel(tmp_path):
    metered = json.loads(WasmEngine(cache_dir=None).fingerprint)
    assert metered["consume_fuel"] is True  # the key every existing cache entry was written under
    unmetered = json.loads(WasmEngine(cache_dir=None, consume_fuel=False).fingerprint)
    assert unmetered == {**metered, "consume_fuel": False}
    assert WasmEngine(cache_dir=None).consume_fuel
    assert not WasmEngine(cache_dir=None, consume_fuel=False).consume_fuel


def test_a_runaway_loop_is_stopped_by_its_deadline(free):
    mod = WasmModule.from_wat(wat.LOOP, engine=free)
    with pytest.raises(WasmTimeoutError) as info:
        mod.call("spin", limits=Limits(fuel=None, timeout_s=0.05))
    assert info.value.metrics.trap == "timeout"
    ok = WasmModule.from_wat(wat.ADD, engine=free).call("add", 2, 3, limits=Limits(fuel=None))
    assert (ok.value, ok.metrics.fuel_used) == (5, 0)  # nothing is counted, nothing is made up


def test_a_fuel_budget_is_refused_not_ignored(free):
    mod = WasmModule.from_wat(wat.LOOP, engine=free)
    with pytest.raises(ValueError, match="consume_fuel=False"):
        mod.call("spin", limits=Limits(fuel=1000, timeout_s=None))  # would otherwise spin forever


def test_a_kept_instance_refuses_a_budget_and_stays_usable(free):
    module = wasmtime.Module(
        free.engine,
        '(module (memory (export "memory") 1) (global $n (mut i32) (i32.const 0))'
        ' (func (export "bump") (result i32) (global.set $n (i32.add (global.get $n)'
        ' (i32.const 1))) (global.get $n)) (func (export "spin") (loop $l (br $l))))',
    )
    sigs = {"bump": FuncSignature((), ("i32",)), "spin": FuncSignature((), ())}
    kept = KeptInstance(
        free,
        module,
        name="k",
        imports=(),
        signatures=sigs,
        limits=Limits(timeout_s=1, fuel=None),
        capabilities=Capabilities(),
    )
    with kept:
        assert kept.call("bump", limits=Limits(fuel=None)).value == 1
        with pytest.raises(ValueError, match="fuel"):
            kept.call("bump", limits=Limits(fuel=10**6))
        assert kept.ended is None
        assert kept.call("bump", limits=Limits(fuel=None)).value == 2  # the refused call never ran
        with pytest.raises(WasmTimeoutError):
            kept.call("spin", limits=Limits(fuel=None, timeout_s=0.1))
    with pytest.raises(ValueError, match="fuel"):  # instantiation is armed the same way
        KeptInstance(
            free, module, name="k", imports=(), signatures=sigs, limits=Limits(fuel=5), capabilities=Capabilities()
        )


def test_a_module_that_imports_nothing_runs_on_a_fuel_free_engine() -> None:
    """The no-import hot path meters fuel; on a fuel-free engine such a module takes the general path."""
    engine = WasmEngine(cache_dir=None, consume_fuel=False)
    wat = '(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))'
    module = WasmModule.from_bytes(wasmtime.wat2wasm(wat), engine=engine)
    result = module.call("add", 2, 3, limits=Limits(fuel=None))
    assert result.value == 5
    assert result.metrics.fuel_used == 0
