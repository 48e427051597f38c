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

from langchain_wasm.abi.component import WasmComponent
from langchain_wasm.abi.json_stdio import schema_errors
from langchain_wasm.abi.wit_docs import read_wit_docs_file
from langchain_wasm.errors import LangChainWasmError, ManifestError, WasmArgumentError
from langchain_wasm.guest.bindings import bind_buffer, bind_component, bind_core, bind_json, tool_name
from langchain_wasm.guest.http_manifest import grant_from_manifest
from langchain_wasm.runtime.capabilities import Capabilities
from langchain_wasm.runtime.limits import Limits
from langchain_wasm.runtime.module import WasmModule
from langchain_wasm.runtime.result import CallResult

__all__ = ["Guest", "load_manifest_schema"]

_SCHEMA_PATH = Path(__file__).with_name("manifest.schema.json")
_LIMIT_FIELDS = {f.name for f in fields(Limits) if f.init}
_BINDERS = {"core": bind_core, "buffer": bind_buffer, "json-stdio": bind_json, "component": bind_component}


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
    def load(cls, path: str | Path, *, capabilities: Capabilities | None = None) -> Guest:
        """Load ``manifest.toml`` (or a directory holding one). Raises ``ManifestError`` naming the problem.

        ``capabilities`` replace the manifest's declared ones (checked against the module instead): the way to
        grant host functions, which a manifest cannot declare.
        """
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
            return cls._build(path, data, capabilities)
        except ManifestError:
            raise
        except (LangChainWasmError, ValueError) as exc:
            raise ManifestError(f"{where}: {exc}") from exc

    @classmethod
    def _build(cls, path: Path, data: dict[str, Any], granted: Capabilities | None = None) -> Guest:
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
        if granted is None:
            caps_data = dict(data.get("capabilities", {}))
            if "http" in caps_data:
                caps_data["http"] = grant_from_manifest(caps_data["http"])
            caps = Capabilities(**caps_data)
        else:
            caps = granted
        try:
            module.check(caps)
        except LangChainWasmError as exc:
            which = "declared" if granted is None else "given"
            raise ManifestError(f"{path}: the {which} capabilities do not cover the module: {exc}") from None
        limits = Limits(**{k: v for k, v in data.get("limits", {}).items() if k in _LIMIT_FIELDS})
        return cls.from_manifest_data(data, module, limits=limits, capabilities=caps, base=base, path=path)

    @classmethod
    def from_manifest_data(
        cls,
        data: Mapping[str, Any],
        module: WasmModule | WasmComponent,
        *,
        limits: Limits,
        capabilities: Capabilities,
        base: Path = Path("."),
        path: Path | None = None,
    ) -> Guest:
        """A guest from manifest keys (already validated) and its loaded ``module``: checks that
        ``capabilities`` cover the module's imports and binds the ABI ``data["abi"]``.

        ``base`` is where schema files named by the manifest are read; ``path`` defaults to the module's name.
        """
        manifest = dict(data)
        abi = manifest["abi"]
        binder = _BINDERS.get(abi)
        if binder is None:
            raise ValueError(f"unknown abi {abi!r}; one of {sorted(_BINDERS)}")
        module.check(capabilities)
        export, binding, input_schema, output_schema = binder(base, manifest, module)
        return cls(
            name=manifest["name"],
            description=str(manifest["description"]).strip(),
            abi=abi,
            export=export,
            path=Path(module.name) if path is None else path,
            module=module,
            limits=limits,
            capabilities=capabilities,
            input_schema=input_schema,
            output_schema=output_schema,
            manifest=manifest,
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
        chosen = name or tool_name(f"{module.name}_{export.split('#')[-1]}")
        data: dict[str, Any] = {
            "name": chosen,
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
        return cls.from_manifest_data(data, module, limits=limits or Limits(), capabilities=caps)

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
