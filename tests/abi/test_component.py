"""Components: exports found, WIT types as JSON Schema, JSON-like calls, docs, imports checked, limits apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from langchain_wasm import Capabilities, Limits
from langchain_wasm.abi.component import WasmComponent
from langchain_wasm.abi.wit_docs import read_wit_docs_file
from langchain_wasm.errors import WasmArgumentError, WasmLoadError

CALC = Path(__file__).resolve().parents[1] / "fixtures" / "calc"


@pytest.fixture(scope="module")
def calc():
    return WasmComponent.from_file(CALC / "calc.wasm", docs=read_wit_docs_file(CALC / "calc-docs.wasm"))


def test_exports_and_signatures(calc):
    assert sorted(calc.functions) == ["add", "apply"]
    assert calc.function("apply").signature == "func(o: enum{plus, minus, divide}, a: s32, b: s32) -> option<s32>"
    assert calc.imports == ()


def test_schemas_carry_exact_ranges_enums_and_docs(calc):
    schema = calc.function("apply").input_schema({"b": "The divisor when o is divide"})
    assert schema["description"] == "Apply an operation; none when dividing by zero."
    assert schema["properties"]["o"] == {"type": "string", "enum": ["plus", "minus", "divide"]}
    assert schema["properties"]["a"] == {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
    assert schema["properties"]["b"]["description"] == "The divisor when o is divide"
    assert calc.function("add").input_schema()["properties"]["a"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 2**32 - 1,
    }
    assert calc.function("apply").output_schema() == {"anyOf": [schema["properties"]["a"], {"type": "null"}]}


def test_json_calls(calc):
    assert calc.call_json("add", {"a": 2, "b": 40}).value == 42
    assert calc.call_json("add", {"a": 2**32 - 1, "b": 1}).value == 0  # u32 arithmetic wraps inside the guest
    assert calc.call_json("apply", {"o": "minus", "a": 7, "b": 10}).value == -3
    assert calc.call_json("apply", {"o": "divide", "a": 7, "b": 0}).value is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"a": -1, "b": 0}, r"\$.a: -1 is less than the minimum of 0"),
        ({"a": 0, "b": 2**32}, r"\$.b: 4294967296 is greater than the maximum"),
        ({"a": 1}, "'b' is a required property"),
        ({"a": 1, "b": 2, "c": 3}, "Additional properties"),
        ({"a": "1", "b": 2}, "'1' is not of type 'integer'"),
    ],
)
def test_bad_arguments_are_refused_before_the_guest_runs(calc, args, message):
    with pytest.raises(WasmArgumentError, match=message):
        calc.call_json("add", args)


def test_unknown_function_and_bad_enum(calc):
    with pytest.raises(WasmArgumentError, match=r"no exported function 'mul'; it exports \['add', 'apply'\]"):
        calc.call_json("mul", {})
    with pytest.raises(WasmArgumentError, match="'times' is not one of"):
        calc.call_json("apply", {"o": "times", "a": 1, "b": 1})


def test_limits_apply_to_components(calc):
    r = calc.call_json("add", {"a": 1, "b": 1}, limits=Limits(fuel=10_000))
    assert 0 < r.metrics.fuel_used < 10_000


def test_not_a_component_is_a_load_error(tmp_path):
    (tmp_path / "x.wasm").write_bytes(b"\0asm\x01\0\0\0")
    with pytest.raises(WasmLoadError, match="not a WebAssembly component"):
        WasmComponent.from_file(tmp_path / "x.wasm")


def test_component_without_docs_has_empty_descriptions():
    plain = WasmComponent.from_file(CALC / "calc.wasm")
    assert "description" not in plain.function("add").input_schema()
    plain.check(Capabilities())  # no imports: nothing to grant
