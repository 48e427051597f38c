"""Guest manifests (``manifest.toml``): load, validate against the module, and call any guest by its ABI.

``Guest.load(path)`` gives one object per guest whatever its calling convention, with the JSON Schemas of its
input and output (derived from the module where the ABI allows, declared otherwise) and ``call(arguments)``
taking the tool arguments as a JSON-like mapping. The tool layer builds on this; this module knows nothing of
LangChain. The manifest format is ``manifest.schema.json`` next to this file and is described in docs/guests.md.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ..errors import LangChainWasmError, ManifestError, WasmAbiError, WasmArgumentError
from .buffer_abi import BufferParam, BufferSpec
from .capabilities import Capabilities
from .component import WasmComponent
from .core_abi import F32_MAX, INT_RANGES
from .json_stdio import JsonStdioSpec, schema_errors
from .limits import Limits
from .module import WasmModule
from .result import CallResult
from .schemas import buffer_param_schema, buffer_result_schema
from .wit_docs import read_wit_docs_file

__all__ = ["Guest", "load_manifest_schema"]

_SCHEMA_PATH = Path(__file__).with_name("manifest.schema.json")
_LIMIT_FIELDS = {f.name for f in fields(Limits)}


@cache
def load_manifest_schema() -> dict[str, Any]:
    """The JSON Schema of ``manifest.toml``."""
    return dict(json.loads(_SCHEMA_PATH.read_text()))


@dataclass(frozen=True)
class Guest:
    """A guest tool loaded from its manifest: module, ABI binding, schemas, default limits and capabilities."""

    name: str
    description: str
    abi: str
    export: str
    path: Path
    module: WasmModule | WasmComponent
    limits: Limits
    capabilities: Capabilities
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None
    manifest: dict[str, Any]
    _binding: Any

    # -- loading -------------------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> Guest:
        """Load ``manifest.toml`` (or a directory holding one). Raises ``ManifestError`` naming the problem."""
        path = Path(path)
        if path.is_dir():
            path = path / "manifest.toml"
        where = str(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ManifestError(f"{where}: cannot read manifest: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ManifestError(f"{where}: invalid TOML: {exc}") from None
        problems = schema_errors(Draft202012Validator(load_manifest_schema()), data)
        if problems:
            raise ManifestError(f"{where}: invalid manifest: " + "; ".join(problems))
        try:
            return cls._build(path, data)
        except ManifestError:
            raise
        except (LangChainWasmError, ValueError) as exc:
            raise ManifestError(f"{where}: {exc}") from exc

    @classmethod
    def _build(cls, path: Path, data: dict[str, Any]) -> Guest:
        base = path.parent
        abi = data["abi"]
        module_path = (base / data["module"]).resolve()
        if base.resolve() not in module_path.parents:
            raise ManifestError(f"{path}: module {data['module']!r} must live inside the guest directory")
        module: WasmModule | WasmComponent
        if abi == "component":
            docs = read_wit_docs_file(base / data["wit_docs"]) if "wit_docs" in data else None
            module = WasmComponent.from_file(module_path, name=data["name"], docs=docs)
        else:
            module = WasmModule.from_file(module_path, name=data["name"])
        caps = Capabilities(**data.get("capabilities", {}))
        try:
            module.check(caps)
        except LangChainWasmError as exc:
            raise ManifestError(f"{path}: the declared capabilities do not cover the module: {exc}") from None
        limits = Limits(**{k: v for k, v in data.get("limits", {}).items() if k in _LIMIT_FIELDS})
        binder = {"core": _bind_core, "buffer": _bind_buffer, "json-stdio": _bind_json, "component": _bind_component}
        export, binding, input_schema, output_schema = binder[abi](base, data, module)
        return cls(
            name=data["name"],
            description=data["description"].strip(),
            abi=abi,
            export=export,
            path=path,
            module=module,
            limits=limits,
            capabilities=caps,
            input_schema=input_schema,
            output_schema=output_schema,
            manifest=data,
            _binding=binding,
        )

    @classmethod
    def from_module(
        cls,
        module: WasmModule | WasmComponent,
        *,
        export: str,
        name: str | None = None,
        description: str | None = None,
        limits: Limits | None = None,
        capabilities: Capabilities | None = None,
        param_names: list[str] | None = None,
    ) -> Guest:
        """A guest without a manifest: a core export (params ``arg0``... unless ``param_names``) or a component
        function. Buffer and json-stdio guests need a manifest (their schemas cannot be derived)."""
        abi = "component" if isinstance(module, WasmComponent) else "core"
        tool_name = name or _tool_name(f"{module.name}_{export.split('#')[-1]}")
        data: dict[str, Any] = {
            "name": tool_name,
            "description": description or f"Runs {export} of the WebAssembly module {module.name} in a sandbox.",
            "abi": abi,
            "module": module.name,
            "export": export,
        }
        if abi == "core":
            arity = len(module.signature(export).params)  # type: ignore[union-attr]
            names = param_names or [f"arg{i}" for i in range(arity)]
            if len(names) != arity:
                raise WasmArgumentError(f"{module.name}.{export} takes {arity} params; {len(names)} names were given")
            data["params"] = [{"name": n} for n in names]
            results = len(module.signature(export).results)  # type: ignore[union-attr]
            if results > 1:
                data["result"] = {"names": [f"result{i}" for i in range(results)]}
        caps = capabilities or Capabilities()
        module.check(caps)
        binder = _bind_component if abi == "component" else _bind_core
        export, binding, input_schema, output_schema = binder(Path("."), data, module)
        return cls(
            name=tool_name,
            description=data["description"],
            abi=abi,
            export=export,
            path=Path(module.name),
            module=module,
            limits=limits or Limits(),
            capabilities=caps,
            input_schema=input_schema,
            output_schema=output_schema,
            manifest=data,
            _binding=binding,
        )

    # -- calling -------------------------------------------------------------------------------------------
    def call(
        self,
        arguments: Mapping[str, Any],
        *,
        limits: Limits | None = None,
        capabilities: Capabilities | None = None,
    ) -> CallResult:
        """Call the guest with tool ``arguments`` (a JSON-like mapping). ``result.value`` is JSON-like too.

        ``limits`` and ``capabilities`` default to the manifest's.
        """
        if not isinstance(arguments, Mapping):
            raise WasmArgumentError(f"{self.name}: arguments must be an object, got {type(arguments).__name__}")
        limits = limits or self.limits
        caps = capabilities or self.capabilities
        result: CallResult = self._binding(self.module, arguments, limits, caps)
        return result


def _tool_name(text: str) -> str:
    """A tool name from free text: lower case, [a-z0-9_], starting with a letter, at most 64 characters."""
    import re

    out = re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "tool"
    if not out[0].isalpha():
        out = f"t_{out}"
    return out[:64]


def _read_schema(base: Path, data: dict[str, Any], key: str) -> dict[str, Any] | None:
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


def _core_number_schema(kind: str, param: Mapping[str, Any]) -> dict[str, Any]:
    if kind in INT_RANGES:
        lo, hi = INT_RANGES[kind]
        schema: dict[str, Any] = {"type": "integer", "minimum": lo, "maximum": hi}
    else:
        schema = {"type": "number"}
        if kind == "f32":
            schema.update(minimum=-F32_MAX, maximum=F32_MAX)
    for key in ("minimum", "maximum"):
        if key in param:
            schema[key] = param[key]
    if param.get("description"):
        schema["description"] = param["description"]
    return schema


def _bind_core(base: Path, data: dict[str, Any], module: Any) -> tuple[str, Any, dict[str, Any], dict[str, Any]]:
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
        {p["name"]: _core_number_schema(k, p) for p, k in zip(params, sig.params, strict=True)}, names
    )
    result_desc = data.get("result", {}).get("description", "")
    if result_names:
        output_schema = _object_schema(
            {n: _core_number_schema(k, {}) for n, k in zip(result_names, sig.results, strict=True)},
            result_names,
            result_desc,
        )
    elif sig.results:
        output_schema = _core_number_schema(sig.results[0], {"description": result_desc})
    else:
        output_schema = {"type": "null"}
    validator = Draft202012Validator(input_schema)

    def call(mod: WasmModule, args: Mapping[str, Any], limits: Limits, caps: Capabilities) -> CallResult:
        problems = schema_errors(validator, dict(args))
        if problems:
            raise WasmArgumentError(f"{mod.name}: arguments do not match the input schema: " + "; ".join(problems))
        r = mod.call(export, *(args[n] for n in names), limits=limits, capabilities=caps)
        if result_names:
            value = r.value if isinstance(r.value, tuple) else (r.value,)
            return CallResult(dict(zip(result_names, value, strict=True)), r.exit_code, r.stdout, r.stderr, r.metrics)
        return r

    return export, call, input_schema, output_schema


def _bind_buffer(base: Path, data: dict[str, Any], module: Any) -> tuple[str, Any, dict[str, Any], dict[str, Any]]:
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
    output_schema = _read_schema(base, data, "output_schema") or buffer_result_schema(result)
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


def _bind_json(base: Path, data: dict[str, Any], module: Any) -> tuple[str, Any, dict[str, Any], dict[str, Any]]:
    where = str(base / "manifest.toml")
    export = data.get("export", "_start")
    if export != "_start" or "_start" not in module.exports:
        raise ManifestError(f"{where}: a json-stdio guest is a WASI command exporting '_start'")
    input_schema = _read_schema(base, data, "input_schema")
    output_schema = _read_schema(base, data, "output_schema")
    if input_schema is None or output_schema is None:
        raise ManifestError(f"{where}: a json-stdio guest needs input_schema and output_schema")
    spec = JsonStdioSpec(input_schema, output_schema)

    def call(mod: WasmModule, args: Mapping[str, Any], limits: Limits, caps: Capabilities) -> CallResult:
        return spec.call(mod, args, limits=limits, capabilities=caps)

    return export, call, input_schema, output_schema


def _bind_component(
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
