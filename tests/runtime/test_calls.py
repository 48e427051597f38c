"""Calling exports and running commands: values, arguments, exit codes, isolation, load errors."""

from __future__ import annotations

import math

import pytest

from langchain_wasm import Capabilities, Limits, WasmModule
from langchain_wasm.errors import WasmArgumentError, WasmExitError, WasmLoadError
from tests.runtime import wat


def test_add_returns_value_and_metrics():
    r = WasmModule.from_wat(wat.ADD, name="adder").call("add", 40, 2)
    assert r.value == 42
    assert r.exit_code == 0
    assert r.metrics.fuel_used > 0
    assert r.metrics.module == "adder"
    assert r.metrics.trap is None


def test_exports_and_imports_are_described():
    mod = WasmModule.from_wat(wat.HOST_IMPORT)
    assert str(mod.exports["run"].signature) == "(i32) -> (i32)"
    assert mod.exports["memory"].kind == "memory"
    (imp,) = mod.imports
    assert (imp.module, imp.name, imp.kind, str(imp.signature)) == ("env", "scale", "func", "(i32) -> (i32)")


def test_value_types_round_trip():
    mod = WasmModule.from_wat(wat.TYPES)
    assert mod.call("i64id", -(2**63)).value == -(2**63)
    assert mod.call("f64id", 0.1).value == 0.1
    assert mod.call("f32id", 1.5).value == 1.5
    assert math.isnan(mod.call("f64id", float("nan")).value)
    assert mod.call("f64id", float("-inf")).value == float("-inf")
    assert mod.call("pair", -5).value == (-5, -5)
    assert mod.call("nothing").value is None


@pytest.mark.parametrize(
    ("export", "args", "message"),
    [
        ("add", (1,), "takes 2 argument"),
        ("add", (1, 2, 3), "takes 2 argument"),
        ("add", (2**40, 1), r"must be in \[-2147483648, 2147483647\], got 1099511627776"),
        ("add", (2**31, 1), "must be in"),
        ("add", ("1", 2), "must be an integer, got str"),
        ("add", (1.5, 2), "must be an integer, got float"),
        ("missing", (), "has no function export 'missing'; it exports \\['add'\\]"),
    ],
)
def test_bad_arguments_are_typed_errors(export, args, message):
    with pytest.raises(WasmArgumentError, match=message):
        WasmModule.from_wat(wat.ADD).call(export, *args)


def test_float_arguments_are_checked():
    mod = WasmModule.from_wat(wat.TYPES)
    with pytest.raises(WasmArgumentError, match="outside the f32 range"):
        mod.call("f32id", 1e39)
    with pytest.raises(WasmArgumentError, match="must be a number"):
        mod.call("f64id", True)
    with pytest.raises(WasmArgumentError, match="too large for a float"):
        mod.call("f64id", 10**400)
    with pytest.raises(WasmArgumentError, match="only i32/i64/f32/f64"):
        mod.call("vec", 0)


def test_state_does_not_survive_between_calls():
    mod = WasmModule.from_wat(wat.STATEFUL)
    assert [mod.call("bump").value for _ in range(5)] == [2, 2, 2, 2, 2]


def test_wasi_command_stdout_and_stderr():
    r = WasmModule.from_wat(wat.HELLO).run()
    assert (r.stdout, r.stderr, r.exit_code) == (b"hello from wasm\n", b"hello", 0)
    assert r.metrics.stdout_bytes == 16


def test_stdin_is_passed_through():
    data = bytes(range(256)) * 100
    assert WasmModule.from_wat(wat.CAT).run(stdin=data).stdout == data
    assert WasmModule.from_wat(wat.CAT).run(stdin="héllo").stdout == "héllo".encode()


def test_exit_codes():
    mod = WasmModule.from_wat(wat.EXIT)
    r = mod.run()
    assert r.exit_code == 3
    assert not r.ok
    assert r.metrics.trap == "exit"
    with pytest.raises(WasmExitError) as info:
        mod.run(check=True)
    assert info.value.exit_code == 3
    assert mod.call("exit0", capabilities=Capabilities(wasi=True)).exit_code == 0
    with pytest.raises(WasmExitError, match=r"exit\(7\)"):
        mod.call("exit7", capabilities=Capabilities(wasi=True))


def test_run_needs_a_start_export():
    with pytest.raises(WasmArgumentError, match="not a WASI command"):
        WasmModule.from_wat(wat.ADD).run()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "missing the \\\\0asm magic"),
        (b"hello world", "missing the \\\\0asm magic"),
        (b"\0asm\x01\0\0\0\x01\xff", "invalid WebAssembly module"),
        (b"\0asm\x0d\0\x01\0", "is a WebAssembly component"),
    ],
)
def test_invalid_binaries_are_load_errors(data, message):
    with pytest.raises(WasmLoadError, match=message):
        WasmModule.from_bytes(data)


def test_type_invalid_module_is_a_load_error_with_the_reason():
    bad = '(module (func (export "f") (result i32) f32.const 1 i32.const 1 i32.add))'
    with pytest.raises(WasmLoadError, match="type mismatch"):
        WasmModule.from_wat(bad)
    with pytest.raises(WasmLoadError, match="invalid WebAssembly text"):
        WasmModule.from_wat("(module (func (export")


def test_from_file(tmp_path):
    (tmp_path / "add.wat").write_text(wat.ADD)
    assert WasmModule.from_file(tmp_path / "add.wat").call("add", 1, 1).value == 2
    (tmp_path / "add.wasm").write_bytes(__import__("wasmtime").wat2wasm(wat.ADD))
    mod = WasmModule.from_file(tmp_path / "add.wasm")
    assert mod.name == "add"
    with pytest.raises(WasmLoadError, match="cannot read module file"):
        WasmModule.from_file(tmp_path / "nope.wasm")


def test_argv_is_passed_only_when_granted():
    src = """
    (module
      (import "wasi_snapshot_preview1" "args_sizes_get" (func $s (param i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "argc") (result i32) (drop (call $s (i32.const 0) (i32.const 4))) (i32.load (i32.const 0))))
    """
    mod = WasmModule.from_wat(src)
    # call() passes no argv: only the program name is visible.
    assert mod.call("argc", capabilities=Capabilities(wasi=True)).value == 1
    assert mod.call("argc", capabilities=Capabilities(wasi=True, argv=False), limits=Limits()).value == 1


def test_v128_signatures_are_described_without_touching_the_crashing_c_api():
    # wasmtime-py's ValType.__str__ aborts the process on v128; our binary reader must be used instead.
    mod = WasmModule.from_wat(wat.TYPES)
    assert mod.exports["vec"].signature.params == ("v128",)
