"""Guest manifests: loading, schema derivation per ABI, and every kind of inconsistency with the module."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import wasmtime

from langchain_wasm.errors import ManifestError, WasmArgumentError
from langchain_wasm.guest.guest import Guest, load_manifest_schema
from tests.abi.buffer_wat import BUFFER_GUEST
from tests.runtime import wat

CALC = Path(__file__).resolve().parents[1] / "fixtures" / "calc"

SOLVE = """(module
  (func (export "solve") (param $a f64) (param $b f64) (param $c f64) (result i32 f64 f64)
    (local $d f64)
    (local.set $d (f64.sub (f64.mul (local.get $b) (local.get $b))
                           (f64.mul (f64.const 4) (f64.mul (local.get $a) (local.get $c)))))
    (if (result i32 f64 f64) (f64.lt (local.get $d) (f64.const 0))
      (then (i32.const 0) (f64.const 0) (f64.const 0))
      (else (i32.const 2)
        (f64.div (f64.sub (f64.neg (local.get $b)) (f64.sqrt (local.get $d))) (f64.mul (f64.const 2) (local.get $a)))
        (f64.div (f64.add (f64.neg (local.get $b)) (f64.sqrt (local.get $d)))
                 (f64.mul (f64.const 2) (local.get $a)))))))
"""

CORE_MANIFEST = """
name = "solve"
description = "Solve a*x^2 + b*x + c = 0 for real x."
abi = "core"
module = "solve.wasm"
export = "solve"
[limits]
fuel = 100000
[[params]]
name = "a"
type = "f64"
description = "Coefficient of x^2, not zero"
[[params]]
name = "b"
description = "Coefficient of x"
[[params]]
name = "c"
description = "Constant term"
[result]
names = ["count", "x1", "x2"]
description = "Number of real roots and the roots"
"""


def _guest_dir(tmp_path: Path, manifest: str, module: str | bytes, filename: str = "solve.wasm") -> Path:
    d = tmp_path / "guest"
    d.mkdir(exist_ok=True)
    data = module if isinstance(module, bytes) else bytes(wasmtime.wat2wasm(module))
    (d / filename).write_bytes(data)
    (d / "manifest.toml").write_text(manifest)
    return d


def test_core_guest_loads_with_named_params_and_results(tmp_path):
    g = Guest.load(_guest_dir(tmp_path, CORE_MANIFEST, SOLVE))
    assert (g.name, g.abi, g.export, g.limits.fuel) == ("solve", "core", "solve", 100000)
    assert g.input_schema["required"] == ["a", "b", "c"]
    assert g.input_schema["properties"]["a"] == {"type": "number", "description": "Coefficient of x^2, not zero"}
    assert g.output_schema["required"] == ["count", "x1", "x2"]
    assert g.call({"a": 1, "b": -3, "c": 2}).value == {"count": 2, "x1": 1.0, "x2": 2.0}
    assert g.call({"a": 1, "b": 0, "c": 1}).value["count"] == 0
    with pytest.raises(WasmArgumentError, match=r"\$.a: 'x' is not of type 'number'"):
        g.call({"a": "x", "b": 1, "c": 1})
    with pytest.raises(WasmArgumentError, match="must be an object"):
        g.call([1, 2, 3])  # type: ignore[arg-type]


def test_buffer_guest_loads_and_derives_its_schema(tmp_path):
    manifest = """
name = "reverse"
description = "Reverse the bytes of a text."
abi = "buffer"
module = "g.wasm"
export = "reverse"
[[params]]
name = "text"
type = "string"
description = "The text"
[result]
type = "string"
"""
    g = Guest.load(_guest_dir(tmp_path, manifest, BUFFER_GUEST, "g.wasm"))
    assert g.input_schema["properties"]["text"] == {"type": "string", "description": "The text"}
    assert g.output_schema == {"type": "string"}
    assert g.call({"text": "hello"}).value == "olleh"


def test_json_stdio_guest_reads_schema_files(tmp_path):
    d = _guest_dir(
        tmp_path,
        """
name = "echo"
description = "Echo the arguments back."
abi = "json-stdio"
module = "cat.wasm"
input_schema_file = "in.json"
output_schema_file = "out.json"
[capabilities]
wasi = true
""",
        wat.CAT,
        "cat.wasm",
    )
    (d / "in.json").write_text(json.dumps({"type": "object", "properties": {"x": {"type": "integer"}}}))
    (d / "out.json").write_text(json.dumps({"type": "object"}))
    g = Guest.load(d / "manifest.toml")
    assert g.export == "_start"
    assert g.call({"x": 5}).value == {"x": 5}


def test_component_guest_with_docs(tmp_path):
    d = tmp_path / "calc"
    shutil.copytree(CALC, d)
    (d / "manifest.toml").write_text(
        """
name = "calc"
description = "Integer arithmetic."
abi = "component"
module = "calc.wasm"
export = "apply"
wit_docs = "calc-docs.wasm"
[[params]]
name = "o"
description = "Which operation"
"""
    )
    g = Guest.load(d)
    assert g.input_schema["description"] == "Apply an operation; none when dividing by zero."
    assert g.input_schema["properties"]["o"]["description"] == "Which operation"
    assert g.call({"o": "plus", "a": 2, "b": 3}).value == 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.replace('export = "solve"', 'export = "solv"'), "no function export 'solv'"),
        (lambda m: m.replace('name = "c"\n', 'name = "c"\ntype = "i32"\n'), "declared i32 but the export takes f64"),
        (lambda m: m.split("[[params]]")[0], "names 0 param"),
        (lambda m: m.replace('["count", "x1", "x2"]', '["count"]'), "do not match the 3 result"),
        (lambda m: m.replace('abi = "core"', 'abi = "cobol"'), "is not one of"),
        (lambda m: m.replace('name = "solve"', 'name = "Solve Me"'), "does not match"),
        (lambda m: m.replace('module = "solve.wasm"', 'module = "../solve.wasm"'), "inside the guest directory"),
        (lambda m: m.replace("[limits]", "[limits]\nbogus = 1"), "Additional properties"),
        (lambda m: m + "\n[capabilities]\nnetwork = true\n", "Additional properties"),
        (lambda m: m.replace("name =", "name ==", 1), "invalid TOML"),
    ],
)
def test_inconsistent_manifests_are_clear_errors(tmp_path, change, message):
    with pytest.raises(ManifestError, match=message):
        Guest.load(_guest_dir(tmp_path, change(CORE_MANIFEST), SOLVE))


def test_capability_not_declared_is_a_manifest_error(tmp_path):
    manifest = CORE_MANIFEST.replace('module = "solve.wasm"', 'module = "hello.wasm"').replace(
        'export = "solve"', 'export = "_start"'
    )
    with pytest.raises(ManifestError, match=r"capabilities do not cover the module.*fd_write"):
        Guest.load(_guest_dir(tmp_path, manifest, wat.HELLO, "hello.wasm"))


def test_missing_manifest_and_module(tmp_path):
    with pytest.raises(ManifestError, match="cannot read manifest"):
        Guest.load(tmp_path)
    d = _guest_dir(tmp_path, CORE_MANIFEST, SOLVE)
    (d / "solve.wasm").unlink()
    with pytest.raises(ManifestError, match="cannot read module file"):
        Guest.load(d)


def test_the_manifest_schema_is_itself_valid():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(load_manifest_schema())
