"""LangChain's standard tool tests (unit and integration) for every repo guest as a WasmTool."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from langchain_wasm import WasmTool
from tests.guests.conftest import GUESTS

EXAMPLES: dict[str, dict[str, Any]] = {
    "weather": {"city": "Paris", "units": "metric"},
    "text_stats": {"text": "Hello wasm. Hello agents!"},
    "matmul": {"a": [[1, 2], [3, 4]], "b": [[5, 6], [7, 8]]},
    "sha256": {"text": "hello"},
}
OPTIONAL = {
    "quadratic": {"a": 1.0, "b": -3.0, "c": 2.0},
    "quadratic_component": {"a": 1.0, "b": 2.0, "c": 5.0},
    "typed_component": {
        "samples": [
            {
                "value": 21.5,
                "unit": "celsius",
                "uncertainty": 0.1,
                "sensor": 3,
                "timestamp_ms": 0,
                "quality": 200,
                "calibrated": True,
                "label": "lab",
            }
        ],
        "options": {
            "target": "fahrenheit",
            "statistics": ["mean"],
            "outliers": "keep",
            "min_quality": None,
            "calibrated_only": False,
            "bucket_width": None,
            "decimals": 1,
            "decimal_separator": ".",
        },
    },
}


def _cases() -> dict[str, dict[str, Any]]:
    cases = dict(EXAMPLES)
    cases.update({k: v for k, v in OPTIONAL.items() if (GUESTS / k / "manifest.toml").exists()})
    return cases


def _make(name: str, example: dict[str, Any]) -> tuple[type, type]:
    tool = WasmTool.from_manifest(GUESTS / name)

    class Unit(ToolsUnitTests):
        @property
        def tool_constructor(self) -> WasmTool:
            return tool

        @property
        def tool_invoke_params_example(self) -> dict[str, Any]:
            return example

    class Integration(ToolsIntegrationTests):
        @property
        def tool_constructor(self) -> WasmTool:
            return tool

        @property
        def tool_invoke_params_example(self) -> dict[str, Any]:
            return example

    return Unit, Integration


for _name, _example in _cases().items():
    _unit, _integration = _make(_name, _example)
    _unit.__name__ = _unit.__qualname__ = f"TestUnit_{_name}"
    _integration.__name__ = _integration.__qualname__ = f"TestIntegration_{_name}"
    globals()[_unit.__name__] = _unit
    globals()[_integration.__name__] = _integration


@pytest.mark.parametrize("name", sorted(_cases()))
def test_every_guest_tool_answers_its_example(name):
    tool = WasmTool.from_manifest(GUESTS / name)
    msg = tool.invoke({"type": "tool_call", "id": "call-1", "name": tool.name, "args": _cases()[name]})
    assert msg.status == "success"
    assert msg.artifact["metrics"]["fuel_used"] > 0
    assert msg.content
