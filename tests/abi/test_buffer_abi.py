"""The buffer calling convention against a WAT guest: round trips, typed arrays, and a guest that lies."""

from __future__ import annotations

import pytest

from langchain_wasm import Limits, WasmModule
from langchain_wasm.abi.buffer import BufferParam, BufferSpec
from langchain_wasm.errors import WasmAbiError, WasmArgumentError, WasmGuestError, WasmMemoryLimitError
from tests.abi.buffer_wat import BUFFER_GUEST


@pytest.fixture(scope="module")
def guest():
    return WasmModule.from_wat(BUFFER_GUEST, name="buffer_guest")


def spec(export, *params, result="bytes"):
    return BufferSpec(export, tuple(BufferParam(n, t) for n, t in params), result)


def test_bytes_round_trip(guest):
    r = spec("reverse", ("data", "bytes")).call(guest, [b"hello wasm"])
    assert r.value == b"msaw olleh"
    assert r.metrics.fuel_used > 0


def test_text_in_text_out_by_name(guest):
    assert spec("reverse", ("text", "string"), result="string").call(guest, {"text": "abc"}).value == "cba"
    assert spec("reverse", ("data", "bytes"), result="hex").call(guest, [b"\x01\xff"]).value == "ff01"


def test_large_input_grows_guest_memory(guest):
    data = bytes(range(256)) * 4096  # 1 MiB: several memory.grow calls inside alloc
    assert spec("reverse", ("data", "bytes")).call(guest, [data]).value == data[::-1]


def test_f64_array_with_a_scalar(guest):
    s = spec("scale", ("xs", "f64_array"), ("k", "f64"), result="f64_array")
    assert s.call(guest, [[1.0, -2.5, 1e300], 2.0]).value == [2.0, -5.0, 2e300]
    assert s.call(guest, [[], 3.0]).value == []


def test_guest_refusal_is_a_guest_error_with_its_code(guest):
    with pytest.raises(WasmGuestError, match="refused the input") as info:
        spec("refuse", ("data", "bytes")).call(guest, [b"x"])
    assert info.value.code == 7


@pytest.mark.parametrize("export", ["wild", "huge"])
def test_wild_output_pointers_are_abi_errors(guest, export):
    with pytest.raises(WasmAbiError, match="outside its") as info:
        spec(export, ("data", "bytes")).call(guest, [b"x"])
    assert info.value.metrics is not None


def test_output_that_is_not_what_the_manifest_says_is_an_abi_error(guest):
    with pytest.raises(WasmAbiError, match="not valid json"):
        spec("not_json", ("text", "string"), result="json").call(guest, ["{oops"])
    with pytest.raises(WasmAbiError, match="not valid string"):
        spec("not_json", ("data", "bytes"), result="string").call(guest, [b"\xff\xfe"])
    with pytest.raises(WasmAbiError, match="whole number"):
        spec("not_json", ("data", "bytes"), result="f64_array").call(guest, [b"123"])


def test_json_output_is_parsed(guest):
    assert spec("not_json", ("text", "string"), result="json").call(guest, ['{"a": [1, 2]}']).value == {"a": [1, 2]}


@pytest.mark.parametrize(
    ("params", "args", "message"),
    [
        ((("data", "bytes"),), [123], "must be bytes"),
        ((("text", "string"),), [None], "must be a string"),
        ((("xs", "f64_array"),), [["a"]], "list of f64 numbers"),
        ((("data", "bytes"),), [], "takes 1 argument"),
        ((("data", "bytes"),), {"dat": b""}, r"missing arguments \['data'\], unexpected \['dat'\]"),
    ],
)
def test_bad_arguments_fail_before_the_guest_runs(guest, params, args, message):
    with pytest.raises(WasmArgumentError, match=message):
        spec("reverse", *params).call(guest, args)


def test_matrix_arguments_are_validated():
    s = spec("mm", ("a", "f64_matrix"))
    for bad, message in [([[1, 2], [3]], "rectangular"), ([], "at least one row"), ([1, 2], "list of rows")]:
        with pytest.raises(WasmArgumentError, match=message):
            s.encode([bad])
    ((buf, extra),) = s.encode([[[1, 2, 3], [4, 5, 6]]])
    assert extra == (2, 3)
    assert len(buf) == 48


def test_missing_allocator_or_wrong_signature_is_reported(guest):
    with pytest.raises(WasmArgumentError, match="export 'bad_sig' has signature"):
        spec("bad_sig", ("data", "bytes")).call(guest, [b""])
    plain = WasmModule.from_wat('(module (memory (export "memory") 1) (func (export "f")))')
    with pytest.raises(WasmArgumentError, match="needs an export 'alloc'"):
        spec("f", ("data", "bytes")).call(plain, [b""])


def test_input_larger_than_the_memory_cap_is_stopped(guest):
    with pytest.raises((WasmGuestError, WasmMemoryLimitError)):
        spec("reverse", ("data", "bytes")).call(guest, [b"x" * (3 << 20)], limits=Limits(memory_bytes=2 << 20))


def test_unknown_types_are_rejected():
    with pytest.raises(ValueError, match="unknown type"):
        BufferParam("x", "f16_array") and spec("f", ("x", "f16_array"))
    with pytest.raises(ValueError, match="buffer result: unknown type"):
        spec("f", ("x", "bytes"), result="xml")
