"""How a manifest binds a module to its calling convention: one binder per ABI.

Each binder checks the manifest against the module, derives or reads the input/output JSON Schemas and returns
the function that calls the guest with tool arguments given as a JSON-like mapping.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from langchain_wasm.abi.buffer import BufferParam, BufferSpec
from langchain_wasm.abi.buffer_schema import buffer_param_schema, buffer_result_schema
from langchain_wasm.abi.component import WasmComponent
from langchain_wasm.abi.core import number_schema
from langchain_wasm.abi.json_stdio import JsonStdioSpec, schema_errors
from langchain_wasm.errors import ManifestError, WasmAbiError, WasmArgumentError
from langchain_wasm.runtime.capabilities import Capabilities
from langchain_wasm.runtime.limits import Limits
from langchain_wasm.runtime.module import WasmModule
from langchain_wasm.runtime.result import CallResult

__all__ = ["bind_buffer", "bind_component", "bind_core", "bind_json", "read_schema", "tool_name"]


def tool_name(text: str) -> str:
    """A tool name from free text: lower case, [a-z0-9_], starting with a letter, at most 64 characters."""
    import re

    out = re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "tool"
    if not out[0].isalpha():
        out = f"t_{out}"
    return out[:64]


def read_schema(base: Path, data: dict[str, Any], key: str) -> dict[str, Any] | None:
    if key in data:
        return dict(data[key])
    file_key = f"{key}_file"
    if file_key not in data:
        return None
    file = (base / data[file_key]).resolve()
    try:
        return dict(json.loads(file.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{base / 'manifest.toml'}: cannot read {file_key} {data[file_key]!r}: {exc}") from None


def _object_schema(properties: dict[str, Any], required: list[str], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def plain_numbers_check(schema: dict[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """A check that says True only for arguments ``schema`` certainly accepts, when ``schema`` is what a core
    export's params give (an object of required integers/numbers with bounds); anything else (and any doubt:
    bools, floats for integers, NaN) goes on to jsonschema, which also words the errors. jsonschema costs ~10 us
    per call; this ~1 us."""
    props = schema.get("properties", {})
    extra = set(schema) - {"type", "properties", "required", "additionalProperties", "description"}
    if extra or schema.get("additionalProperties") is not False or set(schema.get("required", [])) != set(props):
        return lambda args: False
    checks: list[tuple[str, bool, float, float]] = []
    for name, sub in props.items():
        lo, hi = sub.get("minimum"), sub.get("maximum")
        if set(sub) - {"type", "minimum", "maximum", "description"} or sub.get("type") not in ("integer", "number"):
            return lambda args: False
        if not all(b is None or type(b) in (int, float) for b in (lo, hi)):
            return lambda args: False
        checks.append((name, sub["type"] == "integer", -math.inf if lo is None else lo, math.inf if hi is None else hi))
    names = set(props)

    def plainly_valid(args: Mapping[str, Any]) -> bool:
        if args.keys() != names:
            return False
        for name, integer, lo, hi in checks:
            value = args[name]
            kind = type(value)
            if kind is not int and (integer or kind is not float or not math.isfinite(value)):
                return False
            if not lo <= value <= hi:
                return False
        return True

    return plainly_valid


def bind_core(base: Path, data: dict[str, Any], module: Any) -> tuple[str, Any, dict[str, Any], dict[str, Any]]:
    export = data.get("export") or ""
    if not export:
        raise ManifestError(f"{base / 'manifest.toml'}: a core guest needs `export`")
    sig = module.signature(export)
    params = data.get("params", [])
    if len(params) != len(sig.params):
        raise ManifestError(
            f"{base / 'manifest.toml'}: export {export!r} has signature {sig} but the manifest names "
            f"{len(params)} param(s)"
        )
    for param, kind in zip(params, sig.params, strict=True):
        if param.get("type", kind) != kind:
            raise ManifestError(
                f"{base / 'manifest.toml'}: param {param['name']!r} is declared {param['type']} but the export "
                f"takes {kind}"
            )
    names = [p["name"] for p in params]
    result_names = list(data.get("result", {}).get("names", []))
    if result_names and len(result_names) != len(sig.results):
        raise ManifestError(
            f"{base / 'manifest.toml'}: result names {result_names} do not match the {len(sig.results)} result(s)"
        )
    input_schema = _object_schema(
        {p["name"]: number_schema(k, p) for p, k in zip(params, sig.params, strict=True)}, names
    )
    result_desc = data.get("result", {}).get("description", "")
    if result_names:
        output_schema = _object_schema(
            {n: number_schema(k, {}) for n, k in zip(result_names, sig.results, strict=True)},
            result_names,
            result_desc,
        )
    elif sig.results:
        output_schema = number_schema(sig.results[0], {"description": result_desc})
    else:
        output_schema = {"type": "null"}
    validator = Draft202012Validator(input_schema)
    plainly_valid = plain_numbers_check(input_schema)

    def call(mod: WasmModule, args: Mapping[str, Any], limits: Limits, caps: Capabilities) -> CallResult:
        problems = [] if plainly_valid(args) else schema_errors(validator, dict(args))
        if problems:
            raise WasmArgumentError(f"{mod.name}: arguments do not match the input schema: " + "; ".join(problems))
        r = mod.call(export, *(args[n] for n in names), limits=limits, capabilities=caps)
        if result_names:
            value = r.value if isinstance(r.value, tuple) else (r.value,)
            return CallResult(dict(zip(result_names, value, strict=True)), r.exit_code, r.stdout, r.stderr, r.metrics)
        return r

    return export, call, input_schema, output_schema


def bind_buffer(base: Path, data: dict[str, Any], module: Any) -> tuple[str, Any, dict[str, Any], dict[str, Any]]:
    where = str(base / "manifest.toml")
    export = data.get("export") or ""
    result = data.get("result", {})
    if not export or "type" not in result:
        raise ManifestError(f"{where}: a buffer guest needs `export` and `result.type`")
    params = data.get("params", [])
    if any("type" not in p for p in params):
        raise ManifestError(f"{where}: every buffer param needs a `type`")
    codes = {int(k): v for k, v in data.get("error_codes", {}).items()}
    spec = BufferSpec(export, tuple(BufferParam(p["name"], p["type"]) for p in params), result["type"], codes)
    try:
        spec.check({n: e.signature for n, e in module.exports.items()}, where)
    except ValueError as exc:
        raise ManifestError(str(exc)) from None
    names = [p["name"] for p in params]
    input_schema = _object_schema({p["name"]: buffer_param_schema(p) for p in params}, names)
    output_schema = read_schema(base, data, "output_schema") or buffer_result_schema(result)
    # Buffers are checked by BufferSpec.encode (types, shapes) at C speed; JSON Schema checks only the scalars,
    # where a manifest may set bounds. Validating a 256x256 matrix with jsonschema would cost ~100x the call.
    scalars = [p for p in params if p["type"] in ("i32", "i64", "f32", "f64")]
    scalar_validator = (
        Draft202012Validator(_object_schema({p["name"]: buffer_param_schema(p) for p in scalars}, []))
        if scalars
        else None
    )
    output_validator = Draft202012Validator(output_schema) if result["type"] == "json" else None

    def call(mod: WasmModule, args: Mapping[str, Any], limits: Limits, caps: Capabilities) -> CallResult:
        if scalar_validator is not None:
            problems = schema_errors(scalar_validator, {p["name"]: args.get(p["name"]) for p in scalars})
            if problems:
                raise WasmArgumentError(f"{mod.name}: arguments do not match the input schema: " + "; ".join(problems))
        r = spec.call(mod, args, limits=limits, capabilities=caps)
        if output_validator is not None:
            bad = schema_errors(output_validator, r.value)
            if bad:
                raise WasmAbiError(f"{mod.name} returned output that breaks its output schema: " + "; ".join(bad))
        return r

    return export, call, input_schema, output_schema


def bind_json(base: Path, data: dict[str, Any], module: Any) -> tuple[str, Any, dict[str, Any], dict[str, Any]]:
    where = str(base / "manifest.toml")
    export = data.get("export", "_start")
    if export != "_start" or "_start" not in module.exports:
        raise ManifestError(f"{where}: a json-stdio guest is a WASI command exporting '_start'")
    input_schema = read_schema(base, data, "input_schema")
    output_schema = read_schema(base, data, "output_schema")
    if input_schema is None or output_schema is None:
        raise ManifestError(f"{where}: a json-stdio guest needs input_schema and output_schema")
    spec = JsonStdioSpec(input_schema, output_schema)

    def call(mod: WasmModule, args: Mapping[str, Any], limits: Limits, caps: Capabilities) -> CallResult:
        return spec.call(mod, args, limits=limits, capabilities=caps)

    return export, call, input_schema, output_schema


def bind_component(
    base: Path, data: dict[str, Any], module: Any
) -> tuple[str, Any, dict[str, Any], dict[str, Any] | None]:
    where = str(base / "manifest.toml")
    export = data.get("export") or ""
    if not export:
        raise ManifestError(f"{where}: a component guest needs `export`")
    func = module.function(export)
    descriptions = {p["name"]: p.get("description", "") for p in data.get("params", [])}
    unknown = sorted(set(descriptions) - set(func.param_names))
    if unknown:
        raise ManifestError(f"{where}: params {unknown} are not params of {export!r} ({func.param_names})")
    input_schema = func.input_schema(descriptions)
    output_schema = func.output_schema(data.get("result", {}).get("description", ""))

    def call(comp: WasmComponent, args: Mapping[str, Any], limits: Limits, caps: Capabilities) -> CallResult:
        return comp.call_json(export, args, limits=limits, capabilities=caps)

    return export, call, input_schema, output_schema
