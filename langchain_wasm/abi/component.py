"""``WasmComponent``: a WebAssembly Component (WIT exports) run in a fresh store per call.

Functions are found among the component's exports (top level, or ``interface#name`` inside an exported
interface); their WIT types give the JSON Schemas of the tool input and output (``wit_types.py``), with doc
comments from the component's ``package-docs`` section where the toolchain kept them (``wit_docs.py``).
Imports are checked against the grant like a core module's: WASI preview 2 interfaces by group, nothing else.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import wasmtime
from wasmtime import component as wc

from langchain_wasm.abi.component_call import ComponentRunner
from langchain_wasm.abi.component_lift import compile_lifter
from langchain_wasm.abi.json_stdio import schema_errors
from langchain_wasm.abi.wit_docs import WitDocs, read_wit_docs
from langchain_wasm.abi.wit_types import (
    UnsupportedValueError,
    UnsupportedWitTypeError,
    json_schema,
    to_wasm,
    type_name,
)
from langchain_wasm.errors import (
    WasmArgumentError,
    WasmCapabilityError,
    WasmLoadError,
)
from langchain_wasm.runtime.call import execute
from langchain_wasm.runtime.capabilities import Capabilities
from langchain_wasm.runtime.engine import WasmEngine, default_engine
from langchain_wasm.runtime.limits import Limits
from langchain_wasm.runtime.metrics import observe
from langchain_wasm.runtime.result import CallResult
from langchain_wasm.runtime.workspace_quota import refuse_unbounded_component

__all__ = ["ComponentFunction", "WasmComponent", "WASI_P2_GROUPS"]

#: WASI preview 2 interface namespaces by the grant that links them; sockets and http are never granted.
WASI_P2_GROUPS = {
    "wasi:cli/": "wasi",
    "wasi:io/": "wasi",
    "wasi:filesystem/": "wasi",
    "wasi:clocks/": "clocks",
    "wasi:random/": "random",
    "wasi:sockets/": "network",
    "wasi:http/": "network",
}
_COMPONENT_LAYER = b"\x0d\x00\x01\x00"
_DEFAULT_LIMITS = Limits()
_NO_CAPS = Capabilities()


@dataclass(frozen=True)
class ComponentFunction:
    """One exported function: where it is, its WIT param and result types, and its docs."""

    name: str
    interface: str | None
    params: tuple[tuple[str, Any], ...]
    result: Any
    docs: str = ""
    param_docs: Mapping[str, str] | None = None

    @property
    def param_names(self) -> list[str]:
        return [n for n, _ in self.params]

    @property
    def signature(self) -> str:
        params = ", ".join(f"{n}: {type_name(t)}" for n, t in self.params)
        result = f" -> {type_name(self.result)}" if self.result is not None else ""
        return f"func({params}){result}"

    def input_schema(self, descriptions: Mapping[str, str] | None = None) -> dict[str, Any]:
        """JSON Schema of the arguments object; ``descriptions`` (by param name) override WIT docs."""
        properties = {}
        for name, ty in self.params:
            schema = json_schema(ty)
            text = (descriptions or {}).get(name) or (self.param_docs or {}).get(name, "")
            if text:
                schema["description"] = text
            properties[name] = schema
        out: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "required": self.param_names,
            "additionalProperties": False,
        }
        if self.docs:
            out["description"] = self.docs
        return out

    def output_schema(self, description: str = "") -> dict[str, Any] | None:
        if self.result is None:
            return None
        schema = json_schema(self.result)
        if description:
            schema["description"] = description
        return schema


class WasmComponent:
    """A component compiled once (and cached on disk), instantiated fresh for every call."""

    def __init__(
        self, component: wc.Component, wasm: bytes, *, engine: WasmEngine, name: str, docs: WitDocs | None = None
    ) -> None:
        self._component = component
        self.engine = engine
        self.name = name
        self.sha256 = hashlib.sha256(wasm).hexdigest()
        self.docs: WitDocs = docs if docs is not None else read_wit_docs(wasm)
        ctype = component.type
        self.imports: tuple[str, ...] = tuple(ctype.imports(engine.engine))
        self._functions = self._collect(ctype.exports(engine.engine))
        self._validators: dict[str, Any] = {}
        self._lifters: dict[str, Callable[[Any, float | None], Any]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_bytes(
        cls, data: bytes, *, engine: WasmEngine | None = None, name: str = "component", docs: WitDocs | None = None
    ) -> WasmComponent:
        """Compile (or load from the compile cache) a component.

        ``docs``: WIT doc comments, when the component itself lost them (``wasm-tools component new`` drops
        them; ``wasm-tools component wit DIR --wasm`` writes a WIT package that keeps them: see ``read_wit_docs``).
        """
        engine = engine or default_engine()
        if data[:4] != b"\0asm" or data[4:8] != _COMPONENT_LAYER:
            raise WasmLoadError(f"{name}: not a WebAssembly component")
        try:
            component = engine.compile_component(bytes(data))
        except wasmtime.WasmtimeError as exc:
            raise WasmLoadError(f"{name}: invalid component: {str(exc).strip().splitlines()[0]}") from exc
        return cls(component, bytes(data), engine=engine, name=name, docs=docs)

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        *,
        engine: WasmEngine | None = None,
        name: str | None = None,
        docs: WitDocs | None = None,
    ) -> WasmComponent:
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise WasmLoadError(f"cannot read component file {p}: {exc.strerror or exc}") from exc
        return cls.from_bytes(data, engine=engine, name=name or p.stem, docs=docs)

    def _collect(self, exports: Mapping[str, Any]) -> dict[str, ComponentFunction]:
        out: dict[str, ComponentFunction] = {}
        for name, ext in exports.items():
            item = ext.ty
            if isinstance(item, wc.FuncType):
                out[name] = self._function(name, None, item)
            elif isinstance(item, wc.ComponentInstanceType):
                for fname, fext in item.exports(self.engine.engine).items():
                    fitem = fext.ty
                    if isinstance(fitem, wc.FuncType):
                        out[f"{name}#{fname}"] = self._function(fname, name, fitem)
        return out

    def _function(self, name: str, interface: str | None, fty: wc.FuncType) -> ComponentFunction:
        docs, param_docs = self.docs.function(name, interface)
        return ComponentFunction(name, interface, tuple(fty.params), fty.result, docs, param_docs)

    @property
    def functions(self) -> Mapping[str, ComponentFunction]:
        """Exported functions by qualified name (``name`` or ``interface#name``)."""
        return dict(self._functions)

    def function(self, export: str) -> ComponentFunction:
        func = self._functions.get(export)
        if func is None:
            raise WasmArgumentError(
                f"component {self.name!r} has no exported function {export!r}; it exports {sorted(self._functions)}"
            )
        for _, ty in (*func.params, ("result", func.result)):
            if ty is not None:
                try:
                    json_schema(ty)
                except UnsupportedWitTypeError as exc:
                    raise WasmArgumentError(f"{self.name}: {export}: {exc}") from None
        return func

    def check(self, capabilities: Capabilities | None = None) -> None:
        """Raise ``WasmCapabilityError`` naming the first import the grant does not cover."""
        caps = capabilities or _NO_CAPS
        for imp in self.imports:
            group = next((g for prefix, g in WASI_P2_GROUPS.items() if imp.startswith(prefix)), None)
            if group is None:
                raise WasmCapabilityError(f"component {self.name!r} imports {imp}, which is not granted", name=imp)
            if group == "network":
                raise WasmCapabilityError(
                    f"component {self.name!r} imports {imp}; refused: networking is never granted to components "
                    "(core modules reach HTTP through Capabilities(http=...))",
                    name=imp,
                )
            if not getattr(caps, group):
                raise WasmCapabilityError(
                    f"component {self.name!r} imports {imp}; refused: it needs the '{group}' capability "
                    f"(Capabilities({group}=True))",
                    name=imp,
                )

    def call_json(
        self,
        export: str,
        arguments: Mapping[str, Any],
        *,
        limits: Limits | None = None,
        capabilities: Capabilities | None = None,
    ) -> CallResult:
        """Call ``export`` with a JSON-like arguments object; ``result.value`` is JSON-like (see wit_types)."""
        func = self.function(export)
        validator = self._validator(export, func)
        problems = schema_errors(validator, dict(arguments))
        if problems:
            raise WasmArgumentError(f"{self.name}: arguments do not match {func.signature}: " + "; ".join(problems))
        try:
            values = [to_wasm(ty, arguments[n]) for n, ty in func.params]
        except UnsupportedValueError as exc:
            raise WasmArgumentError(f"{self.name}: {exc}") from None
        return self.call(export, *values, limits=limits, capabilities=capabilities, _json=True)

    def call(
        self,
        export: str,
        *values: Any,
        limits: Limits | None = None,
        capabilities: Capabilities | None = None,
        _json: bool = False,
    ) -> CallResult:
        """Call ``export`` with wasmtime-py component values (``call_json`` takes JSON-like data)."""
        func = self.function(export)
        limits = limits or _DEFAULT_LIMITS
        caps = capabilities or _NO_CAPS
        self.check(caps)
        if caps.preopens:
            refuse_unbounded_component(self.name, caps, limits)
        deadline = time.monotonic() + limits.timeout_s if limits.timeout_s is not None else None
        lifter = self._lifter(export, func) if _json and func.result is not None else None
        runner = ComponentRunner(self, func, values, json_result=_json, lifter=lifter, deadline=deadline)
        try:
            result = execute(
                self.engine,
                runner,
                label=export,
                module_name=self.name,
                needs_wasi=bool(self.imports),
                needs_host=False,
                limits=limits,
                caps=caps,
                stdio_pipes=True,
            )
        except Exception as exc:
            observe(self.name, getattr(exc, "metrics", None))
            raise
        observe(self.name, result.metrics)
        return result

    def _lifter(self, export: str, func: ComponentFunction) -> Callable[[Any, float | None], Any]:
        lifter = self._lifters.get(export)
        if lifter is None:
            lifter = self._lifters[export] = compile_lifter(func.result)
        return lifter

    def _validator(self, export: str, func: ComponentFunction) -> Any:
        from jsonschema import Draft202012Validator

        validator = self._validators.get(export)
        if validator is None:
            validator = self._validators[export] = Draft202012Validator(func.input_schema())
        return validator

    def __repr__(self) -> str:
        return f"WasmComponent(name={self.name!r}, functions={sorted(self._functions)})"
