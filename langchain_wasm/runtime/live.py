"""``LiveInstance``: the instance of one call, for conventions that need more than one export call.

The buffer ABI allocates inputs, calls the entry export, reads the output and frees it, all inside the same
fresh instance and under the same limits; it drives the instance through this handle.
"""

from __future__ import annotations

import ctypes
from typing import Any

from wasmtime import _ffi as ffi

from .hostcall import GuestMemory, GuestMemoryError, memory_span
from .signatures import FuncSignature
from .values import from_raw_results, to_raw_params

__all__ = ["LiveInstance", "raise_from"]

_TrapPtr = ctypes.POINTER(ffi.wasm_trap_t)


def raise_from(error: Any, trap: Any) -> None:
    """Raise the wasmtime exception for a failed C API call (error or trap out-parameter)."""
    import wasmtime

    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)
    if trap:
        raise wasmtime.Trap._from_ptr(trap)


class LiveInstance:
    """Raw export calls and memory access on the instance of the running call."""

    __slots__ = ("_cctx", "_externs", "_instance", "_signatures")

    def __init__(
        self, cctx: Any, instance: Any, signatures: dict[str, FuncSignature], externs: dict[str, Any] | None = None
    ) -> None:
        self._cctx = cctx
        self._instance = instance
        self._signatures = signatures
        #: exports looked up so far, kept by the owner of an instance that outlives this call (a kept instance):
        #: an export's handle is fixed for the store's life
        self._externs = {} if externs is None else externs

    def _export(self, name: str) -> Any:
        item = self._externs.get(name)
        if item is None:
            item = ffi.wasmtime_extern_t()
            raw = name.encode()
            if not ffi.wasmtime_instance_export_get(
                self._cctx, ctypes.byref(self._instance), raw, len(raw), ctypes.byref(item)
            ):
                return None
            self._externs[name] = item
        return item

    def call(self, export: str, *args: Any) -> Any:
        """Call ``export`` with Python numbers (range-checked); traps propagate as wasmtime exceptions."""
        sig = self._signatures[export]
        params = to_raw_params(export, sig, args)
        item = self._export(export)
        if item is None or int(item.kind) != ffi.WASMTIME_EXTERN_FUNC.value:
            raise LookupError(f"export {export!r} not found")
        results = (ffi.wasmtime_val_t * len(sig.results))()
        trap = _TrapPtr()
        error = ffi.wasmtime_func_call(
            self._cctx, ctypes.byref(item.of.func), params, len(params), results, len(sig.results), ctypes.byref(trap)
        )
        raise_from(error, trap)
        return from_raw_results(sig, results)

    def memory(self, name: str = "memory") -> GuestMemory:
        """A bounds-checked view of exported memory ``name`` as it is now (re-fetch after calls that may grow it)."""
        item = self._export(name)
        if item is None or int(item.kind) != ffi.WASMTIME_EXTERN_MEMORY.value:
            raise GuestMemoryError(f"the module exports no linear memory named {name!r}")
        return GuestMemory.from_span(*memory_span(self._cctx, item.of.memory))
