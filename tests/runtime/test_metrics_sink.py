"""The optional Prometheus sink records calls, fuel, wall time, memory and traps by kind, per module."""

from __future__ import annotations

import pytest

prometheus_client = pytest.importorskip("prometheus_client")

from langchain_wasm import Limits, PrometheusSink, WasmModule, set_metrics_sink  # noqa: E402
from langchain_wasm.errors import WasmFuelExhaustedError  # noqa: E402
from tests.runtime import wat  # noqa: E402


def test_prometheus_sink_counts_calls_and_traps():
    registry = prometheus_client.CollectorRegistry()
    previous = set_metrics_sink(PrometheusSink(registry=registry))
    try:
        add = WasmModule.from_wat(wat.ADD, name="adder")
        loop = WasmModule.from_wat(wat.LOOP, name="spinner")
        for _ in range(3):
            add.call("add", 1, 2)
        with pytest.raises(WasmFuelExhaustedError):
            loop.call("spin", limits=Limits(fuel=5000))
    finally:
        set_metrics_sink(previous)
    get = registry.get_sample_value
    assert get("langchain_wasm_calls_total", {"module": "adder", "outcome": "ok"}) == 3
    assert get("langchain_wasm_calls_total", {"module": "spinner", "outcome": "trap"}) == 1
    assert get("langchain_wasm_traps_total", {"module": "spinner", "kind": "fuel"}) == 1
    assert get("langchain_wasm_fuel_used_sum", {"module": "spinner"}) == 5000
    assert get("langchain_wasm_wall_seconds_count", {"module": "adder"}) == 3
    assert get("langchain_wasm_memory_peak_bytes_count", {"module": "adder"}) == 3


def test_no_sink_by_default():
    from langchain_wasm.runtime.metrics import get_metrics_sink

    assert get_metrics_sink() is None
