"""Property tests (hypothesis, seeded): every ABI's argument marshalling round-trips or fails with a typed
error, and the pydantic models derived from JSON Schemas agree with JSON Schema validation.

``LCW_PROPERTY_EXAMPLES`` (default 100) sets the examples per property; ``make fuzz`` raises it.
"""

from __future__ import annotations

import contextlib
import json
import math
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from langchain_wasm import Limits, WasmModule, WasmTool
from langchain_wasm.abi.buffer import BufferParam, BufferSpec
from langchain_wasm.abi.json_stdio import MAX_JSON_DEPTH, JsonStdioSpec
from langchain_wasm.errors import WasmAbiError, WasmArgumentError, WasmGuestError, WasmMemoryLimitError
from langchain_wasm.guest.guest import Guest
from langchain_wasm.runtime.values import F32_MAX
from langchain_wasm.tools._schema import model_from_schema, python_name, to_guest
from tests.abi.buffer_wat import BUFFER_GUEST
from tests.guests.conftest import GUESTS
from tests.reliability.figures import record, tick
from tests.reliability.strategies import (
    EXAMPLES,
    SETTINGS,
    finite,
    from_schema,
    garbage,
    has_surrogate,
    json_values,
    schema_words,
    text_chars,
)
from tests.runtime import wat

ROOT = Path(__file__).resolve().parents[2]
I32 = st.integers(-(2**31), 2**31 - 1)
I64 = st.integers(-(2**63), 2**63 - 1)

IDENTITY = """(module
  (func (export "i32") (param i32) (result i32) local.get 0)
  (func (export "i64") (param i64) (result i64) local.get 0)
  (func (export "f32") (param f32) (result f32) local.get 0)
  (func (export "f64") (param f64) (result f64) local.get 0)
  (func (export "mix") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
    local.get 3 local.get 2 local.get 1 local.get 0))"""


def same(a: Any, b: Any) -> bool:
    """Equality with NaN == NaN and -0.0 != 0.0 (a round trip must keep both)."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def as_f32(x: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", x))[0])


@pytest.fixture(scope="module")
def identity():
    return WasmModule.from_wat(IDENTITY, name="identity")


#: The buffer test guest plus a matrix echo: (ptr, len, rows, cols) -> an f64_matrix output (header + data).
ECHO_MATRIX = """
  (func (export "echo_matrix") (param $p i32) (param $n i32) (param $rows i32) (param $cols i32) (result i64)
    (local $out i32)
    (local.set $out (call $alloc (i32.add (local.get $n) (i32.const 8))))
    (i32.store (local.get $out) (local.get $rows))
    (i32.store offset=4 (local.get $out) (local.get $cols))
    (memory.copy (i32.add (local.get $out) (i32.const 8)) (local.get $p) (local.get $n))
    (call $pack (local.get $out) (i32.add (local.get $n) (i32.const 8)))))"""


@pytest.fixture(scope="module")
def buffer_guest():
    source = BUFFER_GUEST.rstrip()
    assert source.endswith(")")
    return WasmModule.from_wat(source[:-1] + ECHO_MATRIX, name="buffer_guest")


# -- core ABI ------------------------------------------------------------------------------------------------------


@SETTINGS
@given(I32, I64, st.floats(width=32), st.floats())
def test_core_numbers_round_trip(identity, a, b, c, d):
    tick("test_core_numbers_round_trip")
    assert identity.call("i32", a).value == a
    assert identity.call("i64", b).value == b
    assert same(identity.call("f32", c).value, c)  # a width=32 float is exactly representable
    assert same(identity.call("f64", d).value, d)
    assert same(identity.call("mix", a, b, c, d).value, (d, c, b, a))


@SETTINGS
@given(st.floats(min_value=-F32_MAX, max_value=F32_MAX) | st.sampled_from([math.nan, math.inf, -math.inf]))
def test_core_f32_rounds_like_f32(identity, x):
    tick("test_core_f32_rounds_like_f32")
    assert same(identity.call("f32", x).value, as_f32(x))


@SETTINGS
@given(st.sampled_from(["i32", "i64", "f32", "f64"]), garbage())
def test_core_garbage_is_a_result_or_an_argument_error(identity, export, value):
    tick("test_core_garbage_is_a_result_or_an_argument_error")
    try:
        got = identity.call(export, value).value
    except WasmArgumentError:
        return
    # accepted: it must have been a number that fits (integral floats are integers; bools are 0/1)
    if export in ("i32", "i64"):
        assert got == value
    elif export == "f32":
        assert same(got, as_f32(float(value)))
    else:
        assert same(got, float(value))


@SETTINGS
@given(st.integers().filter(lambda x: not -(2**63) <= x < 2**63) | st.floats(allow_nan=False).filter(lambda x: x % 1))
def test_core_out_of_range_integers_are_refused(identity, x):
    tick("test_core_out_of_range_integers_are_refused")
    for export in ("i32", "i64"):
        with pytest.raises(WasmArgumentError):
            identity.call(export, x)


@SETTINGS
@given(st.floats(min_value=F32_MAX, exclude_min=True, allow_infinity=False) | st.integers(min_value=2**128))
def test_core_f32_overflow_is_refused(identity, x):
    tick("test_core_f32_overflow_is_refused")
    with pytest.raises(WasmArgumentError, match="f32 range"):
        identity.call("f32", x)


@SETTINGS
@given(I64, finite, garbage())
def test_core_tool_round_trips_and_never_raises_on_bad_arguments(identity, n, x, junk):
    tick("test_core_tool_round_trips_and_never_raises_on_bad_arguments")
    tool = _identity_tool(identity, "i64")
    msg = tool.invoke({"type": "tool_call", "id": "1", "name": tool.name, "args": {"arg0": n}})
    assert (msg.status, msg.artifact["result"]) == ("success", n)
    ftool = _identity_tool(identity, "f64")
    msg = ftool.invoke({"type": "tool_call", "id": "2", "name": ftool.name, "args": {"arg0": x}})
    assert (msg.status, msg.artifact["result"]) == ("success", x)
    for t in (tool, ftool):  # whatever the model sends: a ToolMessage, never an exception
        msg = t.invoke({"type": "tool_call", "id": "3", "name": t.name, "args": {"arg0": junk}})
        assert msg.status in ("success", "error")


_TOOLS: dict[str, WasmTool] = {}


def _identity_tool(identity: WasmModule, export: str) -> WasmTool:
    if export not in _TOOLS:
        _TOOLS[export] = WasmTool.from_module(identity, export=export)
    return _TOOLS[export]


# -- buffer ABI ----------------------------------------------------------------------------------------------------


def echo(kind: str, result: str) -> BufferSpec:
    """``not_json`` hands its input buffer back unchanged: an echo through linear memory."""
    return BufferSpec("not_json", (BufferParam("x", kind),), result)


@SETTINGS
@given(st.binary(max_size=4096))
def test_buffer_bytes_round_trip(buffer_guest, data):
    tick("test_buffer_bytes_round_trip")
    assert echo("bytes", "bytes").call(buffer_guest, [data]).value == data
    assert echo("bytes", "hex").call(buffer_guest, [data]).value == data.hex()
    assert spec_reverse().call(buffer_guest, [data]).value == data[::-1]


def spec_reverse() -> BufferSpec:
    return BufferSpec("reverse", (BufferParam("x", "bytes"),), "bytes")


@SETTINGS
@given(st.text(st.characters(), max_size=200) | st.text(st.characters(categories=("Cs",)), max_size=3))
def test_buffer_strings_round_trip_or_are_refused(buffer_guest, text):
    tick("test_buffer_strings_round_trip_or_are_refused")
    try:
        got = echo("string", "string").call(buffer_guest, [text]).value
    except WasmAbiError:  # a lone surrogate travels as invalid UTF-8 and cannot come back as text
        assert has_surrogate(text)
        return
    assert got == text
    try:
        as_bytes = echo("bytes", "bytes").call(buffer_guest, [text]).value
    except WasmArgumentError:
        assert has_surrogate(text)
        return
    assert as_bytes == text.encode("utf-8")


@SETTINGS
@given(st.lists(st.floats(), max_size=300), st.lists(I32, max_size=300), st.lists(st.floats(width=32), max_size=300))
def test_buffer_arrays_round_trip(buffer_guest, f64s, i32s, f32s):
    tick("test_buffer_arrays_round_trip")
    assert same(echo("f64_array", "f64_array").call(buffer_guest, [f64s]).value, f64s)
    assert echo("i32_array", "i32_array").call(buffer_guest, [i32s]).value == i32s
    assert same(echo("f32_array", "f32_array").call(buffer_guest, [f32s]).value, f32s)


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 6), st.data())
def test_buffer_matrices_are_passed_flat_with_their_shape(buffer_guest, rows, cols, data):
    tick("test_buffer_matrices_are_passed_flat_with_their_shape")
    m = [data.draw(st.lists(st.floats(), min_size=cols, max_size=cols)) for _ in range(rows)]
    spec = BufferSpec("echo_matrix", (BufferParam("m", "f64_matrix"),), "f64_matrix")
    assert same(spec.call(buffer_guest, [m]).value, m)
    ragged = [*m, [0.0] * (cols + 1)]
    with pytest.raises(WasmArgumentError, match="rectangular"):
        spec.call(buffer_guest, [ragged])


@SETTINGS
@given(json_values())
def test_buffer_json_output_round_trips(buffer_guest, value):
    tick("test_buffer_json_output_round_trips")
    text = json.dumps(value, ensure_ascii=False)
    assert echo("string", "json").call(buffer_guest, [text]).value == value


@SETTINGS
@given(st.integers(MAX_JSON_DEPTH - 2, MAX_JSON_DEPTH + 2000), st.sampled_from(["[", '{"a":']))
def test_buffer_json_output_nesting_is_bounded(buffer_guest, depth, opener):
    tick("test_buffer_json_output_nesting_is_bounded")
    closer = "]" if opener == "[" else "}"
    text = opener * depth + "1" + closer * depth
    if depth > MAX_JSON_DEPTH:
        with pytest.raises(WasmAbiError, match="nested more than"):
            echo("string", "json").call(buffer_guest, [text])
        return
    value = echo("string", "json").call(buffer_guest, [text]).value
    assert json.dumps(value, separators=(",", ":")) == text.replace('{"a":', '{"a":')


@SETTINGS
@given(
    st.sampled_from(["bytes", "string", "f64_array", "f32_array", "i32_array", "f64_matrix", "f64"]),
    garbage(),
)
def test_buffer_garbage_arguments_are_typed_errors(buffer_guest, kind, value):
    tick("test_buffer_garbage_arguments_are_typed_errors")
    spec = BufferSpec("not_json", (BufferParam("x", kind),), "bytes")
    args: list[Any] = [value]
    if kind == "f64_matrix":
        spec = BufferSpec("echo_matrix", (BufferParam("m", kind),), "f64_matrix")
    elif kind == "f64":  # a scalar goes straight to a numeric param of the entry export
        spec = BufferSpec("scale", (BufferParam("xs", "f64_array"), BufferParam("k", kind)), "f64_array")
        args = [[1.0], value]
    with contextlib.suppress(WasmArgumentError, WasmAbiError, WasmGuestError):
        spec.call(buffer_guest, args)


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 8 * 1024 * 1024])
def test_buffer_empty_and_large_inputs(buffer_guest, size):
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert echo("bytes", "bytes").call(buffer_guest, [data], limits=Limits(timeout_s=5)).value == data


def test_buffer_input_larger_than_the_memory_cap_is_a_typed_error(buffer_guest):
    with pytest.raises((WasmGuestError, WasmMemoryLimitError)):
        echo("bytes", "bytes").call(buffer_guest, [b"x" * (4 * 1024 * 1024)], limits=Limits(memory_bytes=2**20))


# -- json-stdio ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cat():
    return WasmModule.from_wat(wat.CAT, name="cat")


ECHO_JSON = JsonStdioSpec({"type": "object"}, {"type": "object"})


@SETTINGS
@given(st.dictionaries(st.text(text_chars, max_size=8), json_values(), max_size=5))
def test_json_stdio_round_trip(cat, obj):
    tick("test_json_stdio_round_trip")
    assert ECHO_JSON.call(cat, obj, limits=Limits(timeout_s=5)).value == obj


@SETTINGS
@given(garbage())
def test_json_stdio_garbage_arguments_are_typed_errors(cat, value):
    tick("test_json_stdio_garbage_arguments_are_typed_errors")
    try:
        got = ECHO_JSON.call(cat, {"v": value}, limits=Limits(timeout_s=5)).value
    except (WasmArgumentError, WasmAbiError):
        return
    assert got == {"v": value}


def test_json_stdio_deep_and_huge_arguments_are_argument_errors(cat):
    deep: Any = 1
    for _ in range(5000):
        deep = [deep]
    for args in ({"v": deep}, {"v": 10**5000}, {"v": math.nan}, {"v": "\ud800"}):
        with pytest.raises(WasmArgumentError):
            ECHO_JSON.call(cat, args)


# -- JSON Schema <-> pydantic --------------------------------------------------------------------------------------


def _derived_schemas() -> dict[str, dict[str, Any]]:
    """Input schemas as the runtime derives them: every repo guest (core, buffer, json-stdio, components)."""
    out = {}
    for manifest in sorted(GUESTS.glob("*/manifest.toml")):
        guest = Guest.load(manifest)
        out[guest.name] = guest.input_schema
    out["optional_fields"] = {  # a json-stdio manifest schema with optional fields, with and without defaults
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1},
            "limit": {"type": "integer", "minimum": 1, "maximum": 50},
            "mode": {"type": "string", "enum": ["fast", "exact"], "default": "fast"},
            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b", "c"]}, "uniqueItems": True},
            "nested": {
                "type": "object",
                "properties": {"on": {"type": "boolean"}, "level-of-detail": {"type": "integer"}},
                "required": ["on"],
                "additionalProperties": False,
            },
        },
        "required": ["query"],
        "additionalProperties": False,
    }
    return out


SCHEMAS = _derived_schemas()


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_pydantic_models_accept_exactly_what_json_schema_accepts(name):
    schema = SCHEMAS[name]
    model = model_from_schema(name, schema)
    validator = Draft202012Validator(schema)
    names = {k: python_name(k) for k in schema.get("properties", {})}

    def as_tool_args(value: dict[str, Any]) -> dict[str, Any]:
        return {names.get(k, k): v for k, v in value.items()}

    @SETTINGS
    @given(from_schema(schema))
    def valid_values_pass_unchanged(value):
        tick(f"schema {name}: valid values")
        assert not list(validator.iter_errors(value)), "the strategy made an invalid value"
        sent = to_guest(model, as_tool_args(value), schema)  # must not raise: the model may send it
        assert not list(validator.iter_errors(sent)), (value, sent)
        for key, v in value.items():
            assert numerically_equal(sent[key], v), (key, v, sent[key])

    @SETTINGS
    @given(st.dictionaries(st.sampled_from(sorted(names.values()) or ["x"]), garbage(schema_words(schema)), max_size=6))
    def accepted_garbage_is_valid_for_the_guest(args):
        tick(f"schema {name}: garbage")
        try:
            sent = to_guest(model, args, schema)
        except ValidationError:
            return
        if has_surrogate(sent) or _non_json_number(sent):
            return  # refused later by the runtime, with a typed error (see the ABI properties)
        assert not list(validator.iter_errors(sent)), (args, sent)

    valid_values_pass_unchanged()
    accepted_garbage_is_valid_for_the_guest()


def numerically_equal(a: Any, b: Any) -> bool:
    """Equal as JSON values, numbers compared as floats (a `number` field turns 2**53 + 1 into a float)."""
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return float(a) == float(b) and isinstance(b, bool) == isinstance(a, bool)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(numerically_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(numerically_equal(a[k], b[k]) for k in a)
    return bool(a == b) and type(a) is type(b)


def _non_json_number(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(_non_json_number(v) for v in value)
    if isinstance(value, dict):
        return any(_non_json_number(v) for v in value.values())
    return False


def test_a_tool_whose_optional_field_is_left_out_runs(tmp_path, cat):
    """Regression: the pydantic model filled an optional property without a default with None and sent it, so the
    guest's own schema refused every call that left the field out."""
    import wasmtime

    (tmp_path / "echo.wasm").write_bytes(bytes(wasmtime.wat2wasm(wat.CAT)))
    (tmp_path / "manifest.toml").write_text(
        'name = "search"\ndescription = "Echoes its arguments back as JSON."\nabi = "json-stdio"\n'
        'module = "echo.wasm"\n[capabilities]\nwasi = true\n'
        '[input_schema]\ntype = "object"\nrequired = ["query"]\nadditionalProperties = false\n'
        '[input_schema.properties.query]\ntype = "string"\n'
        '[input_schema.properties.limit]\ntype = "integer"\nminimum = 1\n'
        '[input_schema.properties.mode]\ntype = "string"\nenum = ["fast", "exact"]\ndefault = "fast"\n'
        '[output_schema]\ntype = "object"\n'
    )
    tool = WasmTool.from_manifest(tmp_path)
    msg = tool.invoke({"type": "tool_call", "id": "1", "name": "search", "args": {"query": "wasm"}})
    assert msg.status == "success", msg.content
    assert msg.artifact["result"] == {"query": "wasm", "mode": "fast"}  # no "limit": null; the default is sent
    msg = tool.invoke({"type": "tool_call", "id": "2", "name": "search", "args": {"query": "wasm", "limit": 3}})
    assert msg.artifact["result"] == {"query": "wasm", "limit": 3, "mode": "fast"}


# -- components (child process) ------------------------------------------------------------------------------------


def test_component_marshalling_properties_in_a_child_process():
    """WIT values <-> JSON for every WIT type (see component_props.py); a child, because the component C API
    can abort the process on a bad value."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.reliability.component_props", "--examples", str(EXAMPLES), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    report = json.loads(proc.stdout)
    record("component_properties", report)
    assert report["cases"] > 20 * EXAMPLES
    assert any(k.endswith("refused") for k in report["by_property"])
