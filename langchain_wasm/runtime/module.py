"""``WasmModule``: a compiled, inspected core module that runs each call in a fresh, limited instance."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import wasmtime

from ..errors import (
    WasmArgumentError,
    WasmCapabilityError,
    WasmExitError,
    WasmLoadError,
    WasmMemoryLimitError,
)
from .binary import read_layout
from .call import CoreRunner, Invocation, execute
from .capabilities import WASI_MODULE, Capabilities
from .engine import WasmEngine, default_engine
from .fast_call import FastCaller, is_light
from .http_host import HTTP_MODULE
from .kept_linker import kept_linker
from .limits import Limits
from .live import LiveInstance
from .metrics import observe
from .result import CallResult
from .signatures import ExportInfo, FuncSignature, ImportInfo, describe
from .traps import PAGE
from .values import check_callable, to_raw_params
from .workspace_quota import call_quota, install_forwarders, quota_applies

__all__ = ["WasmModule", "DEFAULT_LIMITS"]

DEFAULT_LIMITS = Limits()
_NO_CAPS = Capabilities()
_COMMAND_CAPS = Capabilities.command()
_COMPONENT_LAYER = b"\x0d\x00\x01\x00"


class WasmModule:
    """A core WebAssembly module, compiled once (and cached on disk), run in a fresh instance per call.

    Setup:
        ``pip install langchain-wasm``

    Instantiation:
        >>> mod = WasmModule.from_wat(
        ...     '(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))'
        ... )

    Invocation:
        >>> mod.call("add", 1, 2).value
        3
        >>> mod.call("add", 1, 2, limits=Limits(fuel=1000)).metrics.fuel_used
        4

    A WASI command runs with ``mod.run(stdin=..., argv=..., capabilities=Capabilities.command())``.
    """

    def __init__(self, module: wasmtime.Module, wasm: bytes, *, engine: WasmEngine, name: str) -> None:
        self._module = module
        self.engine = engine
        self.name = name
        self.sha256 = hashlib.sha256(wasm).hexdigest()
        try:
            layout = read_layout(wasm)
        except (ValueError, IndexError) as exc:
            raise WasmLoadError(f"{name}: cannot read the module's sections: {exc}") from exc
        self._exports, self._imports = describe(layout)
        self._memory_export = next((e.name.encode() for e in self._exports.values() if e.kind == "memory"), None)
        self._needs_wasi = any(i.module == WASI_MODULE for i in self._imports)
        self._min_memory = sum(layout.memory_min_pages) * PAGE
        self._min_table = sum(layout.table_min_elements)
        self._pres: dict[Any, wasmtime.InstancePre] = {}
        self._checked: dict[int, Capabilities] = {}
        self._callable: dict[str, FuncSignature] = {}
        self._lock = threading.Lock()
        # ``call`` of a module that imports nothing takes the hot path (fast_call.py): no host function or WASI
        # can run, so the call needs only the store, its limits, the instance and the export. It meters fuel, so an
        # engine made with ``consume_fuel=False`` keeps the general path (which knows such engines).
        fast = not self._imports and engine.consume_fuel
        self._fast = (
            FastCaller(engine, name, self._memory_export, self._prepare, self.signature, light=is_light(layout))
            if fast
            else None
        )
        self._fast_call = self._fast.__call__ if self._fast is not None else None  # a bound method calls faster

    # -- loading -------------------------------------------------------------------------------------------
    @classmethod
    def from_bytes(
        cls, data: bytes | bytearray, *, engine: WasmEngine | None = None, name: str = "module"
    ) -> WasmModule:
        """Compile (or load from the compile cache) a binary module. Raises ``WasmLoadError`` if invalid."""
        if not isinstance(data, bytes | bytearray):
            raise TypeError(f"from_bytes expects bytes, got {type(data).__name__}")
        data = bytes(data)
        engine = engine or default_engine()
        if data[:4] != b"\0asm":
            raise WasmLoadError(f"{name}: not a WebAssembly binary (missing the \\0asm magic header)")
        if data[4:8] == _COMPONENT_LAYER:
            raise WasmLoadError(f"{name}: this is a WebAssembly component, not a core module")
        try:
            module = engine.compile(data)
        except wasmtime.WasmtimeError as exc:
            raise WasmLoadError(f"{name}: invalid WebAssembly module: {_first_line(exc)}") from exc
        return cls(module, data, engine=engine, name=name)

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], *, engine: WasmEngine | None = None, name: str | None = None
    ) -> WasmModule:
        """Load a ``.wasm`` (or ``.wat``) file."""
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise WasmLoadError(f"cannot read module file {p}: {exc.strerror or exc}") from exc
        if p.suffix == ".wat":
            return cls.from_wat(data.decode("utf-8"), engine=engine, name=name or p.stem)
        return cls.from_bytes(data, engine=engine, name=name or p.stem)

    @classmethod
    def from_wat(cls, text: str, *, engine: WasmEngine | None = None, name: str = "module") -> WasmModule:
        """Compile WebAssembly text format."""
        try:
            data = wasmtime.wat2wasm(text)
        except wasmtime.WasmtimeError as exc:
            raise WasmLoadError(f"{name}: invalid WebAssembly text: {_first_line(exc)}") from exc
        return cls.from_bytes(bytes(data), engine=engine, name=name)

    # -- inspection ----------------------------------------------------------------------------------------
    @property
    def exports(self) -> Mapping[str, ExportInfo]:
        """Exports by name, with function signatures (for schema derivation)."""
        return dict(self._exports)

    @property
    def imports(self) -> tuple[ImportInfo, ...]:
        """What the module asks the host for."""
        return self._imports

    def signature(self, export: str) -> FuncSignature:
        """The signature of function export ``export`` (``WasmArgumentError`` if there is none)."""
        info = self._exports.get(export)
        if info is None or info.signature is None:
            funcs = sorted(n for n, e in self._exports.items() if e.kind == "func")
            raise WasmArgumentError(f"module {self.name!r} has no function export {export!r}; it exports {funcs}")
        return info.signature

    def check(self, capabilities: Capabilities | None = None) -> None:
        """Raise ``WasmCapabilityError`` naming every import ``capabilities`` do not grant (all at once, so
        one fix grants them all; ``needs`` on the error lists the missing grants)."""
        caps = capabilities or _NO_CAPS
        granted = {(hf.module, hf.name): hf for hf in caps.host_functions}
        problems: list[str] = []
        needs: list[str] = []
        first: tuple[str, str] | None = None
        for imp in self._imports:
            why = None
            if imp.module == WASI_MODULE and imp.kind == "func":
                need = caps.grants_wasi(imp.name)
                if need is None:
                    continue
                if need == "network":
                    why = (
                        f"{imp.qualname}: networking is never granted to guests as sockets "
                        "(HTTP: Capabilities(http=...))"
                    )
                elif need == "unknown":
                    why = f"{imp.qualname}: not a WASI preview1 function this host provides"
                else:
                    why = f"{imp.qualname} needs the '{need}' capability (Capabilities({need}=True))"
                    if need not in needs:
                        needs.append(need)
            elif (hf := granted.get((imp.module, imp.name))) is None:
                why = f"{imp.kind} {imp.qualname} is not granted " + (
                    "(it needs a network grant: Capabilities(http=HttpGrant([...])))"
                    if imp.module == HTTP_MODULE
                    else "(no host function of that name in Capabilities.host_functions)"
                )
            elif imp.signature != (want := FuncSignature(hf.params, hf.results)):
                why = f"{imp.qualname} is imported as {imp.signature}, but the granted host function has "
                why += f"signature {want}"
            if why is not None:
                problems.append(why)
                first = first or (imp.module, imp.name)
        if problems:
            module, name = first or ("", "")
            raise WasmCapabilityError(
                f"module {self.name!r} imports what it is not granted; refused: " + "; ".join(problems),
                module=module,
                name=name,
                needs=tuple(needs),
            )
        cache_dir = self.engine.cache_dir
        if cache_dir is not None:
            for pre in caps.preopens:
                if pre.contains(cache_dir):
                    raise WasmCapabilityError(
                        f"preopen {pre.host_path} overlaps the compile cache {cache_dir}; guests may never reach it"
                    )

    def _prepare(self, caps: Capabilities, limits: Limits) -> wasmtime.InstancePre:
        if self._checked.get(id(caps)) is not caps:  # capabilities are immutable: check each object once
            self.check(caps)
            if len(self._checked) > 256:
                self._checked.clear()
            self._checked[id(caps)] = caps
        if self._min_memory > limits.memory_bytes:
            raise WasmMemoryLimitError(
                f"module {self.name!r} needs at least {self._min_memory} bytes of linear memory at start, "
                f"above the limit of {limits.memory_bytes} bytes"
            )
        if self._min_table > limits.table_elements:
            raise WasmMemoryLimitError(
                f"module {self.name!r} needs at least {self._min_table} table elements at start, "
                f"above the limit of {limits.table_elements}"
            )
        quota = bool(caps.preopens) and quota_applies(caps, limits)
        key: Any = ("quota", caps.host_functions) if quota else caps.linker_key()
        pre = self._pres.get(key)
        if pre is None:
            with self._lock:
                pre = self._pres.get(key)
                if pre is None:
                    linker = kept_linker(self.engine, caps.host_functions) if quota else self.engine.linker(key)
                    try:
                        pre = linker.instantiate_pre(self._module)
                    except wasmtime.WasmtimeError as exc:
                        raise WasmCapabilityError(f"module {self.name!r} cannot be linked: {_first_line(exc)}") from exc
                    self._pres[key] = pre
        return pre

    # -- running -------------------------------------------------------------------------------------------
    def call(
        self, export: str, *args: Any, limits: Limits | None = None, capabilities: Capabilities | None = None
    ) -> CallResult:
        """Call function ``export`` with numeric ``args`` in a fresh instance; ``result.value`` holds its result.

        Raises:
            WasmArgumentError: no such export, or arguments that do not fit its signature.
            WasmCapabilityError: the module imports something ``capabilities`` do not grant.
            WasmTrapError: the guest trapped; subclasses name the limit it hit.
            WasmExitError: the guest called WASI ``exit`` with a non-zero status.
        """
        limits = limits or DEFAULT_LIMITS
        caps = capabilities or _NO_CAPS
        fast = self._fast_call
        if fast is not None:
            return fast(export, args, limits, caps)
        sig = self._callable.get(export)
        if sig is None:
            sig = self.signature(export)
            check_callable(export, sig)
            self._callable[export] = sig
        raw = to_raw_params(export, sig, args)
        pre = self._prepare(caps, limits)
        return self._execute(pre, Invocation(export, sig, raw), limits, caps)

    def run(
        self,
        *,
        stdin: bytes | str = b"",
        argv: Sequence[str] = (),
        limits: Limits | None = None,
        capabilities: Capabilities | None = None,
        check: bool = False,
    ) -> CallResult:
        """Run the module as a WASI command (its ``_start``) in a fresh instance.

        ``capabilities`` default to ``Capabilities.command()`` (captured stdio and argv, nothing else). The exit
        status is ``result.exit_code``; with ``check=True`` a non-zero status raises ``WasmExitError``.
        """
        limits = limits or DEFAULT_LIMITS
        caps = capabilities or _COMMAND_CAPS
        if "_start" not in self._exports:
            raise WasmArgumentError(f"module {self.name!r} is not a WASI command: it exports no '_start'")
        if isinstance(stdin, str):
            stdin = stdin.encode("utf-8")
        argv = [str(a) for a in argv]
        pre = self._prepare(caps, limits)
        result = self._execute(
            pre,
            Invocation("_start", FuncSignature((), ()), None, command=True),
            limits,
            caps,
            stdin=stdin,
            argv=argv,
        )
        if check and result.exit_code:
            message = f"{self.name} exited with status {result.exit_code}: {result.stderr_text()[-500:]}"
            raise WasmExitError.from_result(message, result)
        return result

    def drive(
        self,
        body: Callable[[LiveInstance], Any],
        *,
        limits: Limits | None = None,
        capabilities: Capabilities | None = None,
    ) -> CallResult:
        """Run ``body(live)`` against a fresh instance, under the same limits and mapping as ``call``.

        For calling conventions that need several export calls and memory access inside one instance
        (``BufferSpec.call`` is built on it). ``body``'s return value becomes ``result.value``.
        """
        limits = limits or DEFAULT_LIMITS
        caps = capabilities or _NO_CAPS
        pre = self._prepare(caps, limits)
        signatures = {n: e.signature for n, e in self._exports.items() if e.signature is not None}
        inv = Invocation("<body>", body=body, signatures=signatures)
        return self._execute(pre, inv, limits, caps)

    def _execute(
        self,
        pre: wasmtime.InstancePre,
        inv: Invocation,
        limits: Limits,
        caps: Capabilities,
        stdin: bytes = b"",
        argv: Sequence[str] = (),
    ) -> CallResult:
        quota = call_quota(caps, limits) if caps.preopens else None
        hook = partial(install_forwarders, self.engine) if quota is not None else None
        try:
            result = execute(
                self.engine,
                CoreRunner(pre, inv, self._memory_export, hook),
                label=inv.export,
                module_name=self.name,
                needs_wasi=self._needs_wasi,
                needs_host=bool(self._imports),
                limits=limits,
                caps=caps,
                stdin=stdin,
                argv=argv,
                command=inv.command,
                quota=quota,
            )
        except Exception as exc:
            observe(self.name, getattr(exc, "metrics", None))
            raise
        observe(self.name, result.metrics)
        return result

    def __repr__(self) -> str:
        funcs = [n for n, e in self._exports.items() if e.kind == "func"]
        return f"WasmModule(name={self.name!r}, exports={funcs}, imports={len(self._imports)})"


def _first_line(exc: BaseException) -> str:
    """wasmtime's multi-line error (message, "Caused by:" chain) folded into one line."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines()]
    lines = [ln for ln in lines if ln and ln != "Caused by:"]
    return "; ".join(ln.lstrip("0123456789: ") for ln in lines) or type(exc).__name__
