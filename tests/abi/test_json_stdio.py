"""The json-stdio convention with WAT commands: schemas enforced on the way in and on the way out."""

from __future__ import annotations

import pytest

from langchain_wasm import WasmModule
from langchain_wasm.abi.json_stdio import JsonStdioSpec
from langchain_wasm.errors import WasmAbiError, WasmArgumentError, WasmGuestError
from tests.runtime import wat


def _printer(text: str, exit_code: int = 0, stderr: str = "") -> WasmModule:
    """A WASI command that ignores stdin, prints ``text`` and ``stderr``, and exits with ``exit_code``."""
    data = text.encode()
    err = stderr.encode()
    src = f"""
    (module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (data (i32.const 100) "{data.decode().replace(chr(92), chr(92) * 2).replace('"', chr(92) + '"')}")
      (data (i32.const 5000) "{err.decode()}")
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const {len(data)}))
        (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (i32.store (i32.const 0) (i32.const 5000)) (i32.store (i32.const 4) (i32.const {len(err)}))
        (drop (call $w (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
        (call $exit (i32.const {exit_code}))))
    """
    return WasmModule.from_wat(src, name="printer")


SPEC = JsonStdioSpec(
    input_schema={
        "type": "object",
        "properties": {"city": {"type": "string", "minLength": 1}},
        "required": ["city"],
        "additionalProperties": False,
    },
    output_schema={
        "type": "object",
        "properties": {"answer": {"type": "number"}},
        "required": ["answer"],
        "additionalProperties": False,
    },
)


def test_valid_output_is_returned_parsed():
    r = SPEC.call(_printer('{"answer": 42}'), {"city": "Oslo"})
    assert r.value == {"answer": 42}
    assert r.exit_code == 0


def test_input_is_validated_before_the_guest_runs():
    with pytest.raises(WasmArgumentError, match=r"\$: 'city' is a required property"):
        SPEC.call(_printer("{}"), {})
    with pytest.raises(WasmArgumentError, match=r"\$.city: 5 is not of type 'string'"):
        SPEC.call(_printer("{}"), {"city": 5})
    with pytest.raises(WasmArgumentError, match="Additional properties are not allowed"):
        SPEC.call(_printer("{}"), {"city": "x", "extra": 1})


def test_output_that_lies_about_its_schema_is_never_passed_on():
    with pytest.raises(WasmAbiError, match=r"breaks its declared output schema: \$.answer: 'forty-two'") as info:
        SPEC.call(_printer('{"answer": "forty-two"}'), {"city": "x"})
    assert info.value.metrics is not None


def test_output_that_is_not_json_is_an_abi_error():
    with pytest.raises(WasmAbiError, match="not JSON"):
        SPEC.call(_printer("The answer is 42"), {"city": "x"})


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_guest_output_are_refused(constant):
    # Python's json module accepts these (and the schema's "number" would too); strict JSON consumers do not.
    with pytest.raises(WasmAbiError, match=f"contains {constant}, which is not JSON"):
        SPEC.call(_printer(f'{{"answer": {constant}}}'), {"city": "x"})


def test_non_zero_exit_is_the_guest_refusing_with_its_message():
    with pytest.raises(WasmGuestError, match=r"refused the input \(exit status 1\): unknown city: Atlantis") as info:
        SPEC.call(_printer("", exit_code=1, stderr="unknown city: Atlantis"), {"city": "Atlantis"})
    assert info.value.code == 1


def test_stdin_reaches_the_guest():
    echo_spec = JsonStdioSpec({"type": "object"}, {"type": "object"})
    assert echo_spec.call(WasmModule.from_wat(wat.CAT), {"k": ["ü", 1.5, None]}).value == {"k": ["ü", 1.5, None]}


def test_invalid_schemas_are_rejected():
    with pytest.raises(ValueError, match="input_schema is not a valid JSON Schema"):
        JsonStdioSpec({"type": "no-such-type"}, {})
