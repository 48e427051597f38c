"""Python host functions with our own trampoline, safe to call from many threads at once.

wasmtime-py 49's trampoline stores a raised exception in a module-global (``LAST_EXCEPTION``) that any thread's
next failing call picks up, so a host function failing on one thread can surface as another thread's error.
Ours never raises through wasmtime: a failure becomes a trap returned directly to the engine, and the reason is
recorded in the thread-local call context (``context.py``) where only the calling thread reads it.
Functions are defined once per linker (store-independent), so nothing is allocated per call.
"""

from __future__ import annotations

import ctypes
import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from . import context
from .interrupts import _signalled, interrupted

__all__ = ["GuestMemory", "GuestMemoryError", "HostStop", "define_host_function", "memory_span", "KIND_CODES"]

KIND_CODES = {
    "i32": ffi.WASMTIME_I32.value,
    "i64": ffi.WASMTIME_I64.value,
    "f32": ffi.WASMTIME_F32.value,
    "f64": ffi.WASMTIME_F64.value,
}
_VALTYPES = {
    "i32": wasmtime.ValType.i32,
    "i64": wasmtime.ValType.i64,
    "f32": wasmtime.ValType.f32,
    "f64": wasmtime.ValType.f64,
}
_I32, _I64, _F32 = KIND_CODES["i32"], KIND_CODES["i64"], KIND_CODES["f32"]


class HostStop(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised inside a host function to stop the guest; the reason is already in the call context."""


class GuestMemoryError(Exception):
    """A guest pointer or length falls outside its linear memory."""


_MEMORY_NAME = ctypes.create_string_buffer(b"memory")  # read-only to the engine: one buffer serves every call


class GuestMemory:
    """Bounds-checked access to a guest's linear memory (the caller's, inside a host function)."""

    __slots__ = ("_base", "_caller", "_size")

    def __init__(self, caller: Any) -> None:
        self._caller = caller
        item = ffi.wasmtime_extern_t()
        if (
            not ffi.wasmtime_caller_export_get(caller, _MEMORY_NAME, 6, ctypes.byref(item))
            or int(item.kind) != ffi.WASMTIME_EXTERN_MEMORY.value
        ):
            raise GuestMemoryError("the calling module exports no linear memory named 'memory'")
        self._base, self._size = memory_span(ffi.wasmtime_caller_context(caller), item.of.memory)

    @classmethod
    def from_span(cls, base: int, size: int) -> GuestMemory:
        """A view of ``size`` bytes at host address ``base`` (valid until the memory grows or the store ends)."""
        view = cls.__new__(cls)
        view._base, view._size, view._caller = base, size, None
        return view

    def call_i32(self, export: str, *args: int) -> int:
        """Call the caller's exported function ``export`` (i32 params, one i32 result) from inside a host function,
        e.g. its allocator to place a response; the view is refreshed afterwards (memory may have grown)."""
        if self._caller is None:
            raise GuestMemoryError("this memory view has no calling instance")
        item = ffi.wasmtime_extern_t()
        name = export.encode()
        if (
            not ffi.wasmtime_caller_export_get(
                self._caller, ctypes.create_string_buffer(name), len(name), ctypes.byref(item)
            )
            or int(item.kind) != ffi.WASMTIME_EXTERN_FUNC.value
        ):
            raise GuestMemoryError(f"the calling module exports no function {export!r}")
        cctx = ffi.wasmtime_caller_context(self._caller)
        params = (ffi.wasmtime_val_t * len(args))()
        for slot, value in zip(params, args, strict=True):
            slot.kind = _I32
            slot.of.i32 = _wrap(int(value), 32)
        results = (ffi.wasmtime_val_t * 1)()
        trap = ctypes.POINTER(ffi.wasm_trap_t)()
        error = ffi.wasmtime_func_call(
            cctx, ctypes.byref(item.of.func), params, len(args), results, 1, ctypes.byref(trap)
        )
        if error or trap:
            if error:
                ffi.wasmtime_error_delete(error)
            if trap:
                ffi.wasm_trap_delete(trap)
            raise GuestMemoryError(f"the guest's {export!r} failed")
        mem = ffi.wasmtime_extern_t()
        ffi.wasmtime_caller_export_get(self._caller, ctypes.create_string_buffer(b"memory"), 6, ctypes.byref(mem))
        self._base, self._size = memory_span(cctx, mem.of.memory)
        return int(results[0].of.i32)

    @property
    def size(self) -> int:
        """Current size of linear memory in bytes."""
        return self._size

    def check(self, ptr: int, length: int) -> None:
        """Raise ``GuestMemoryError`` unless ``[ptr, ptr + length)`` lies inside linear memory (nothing is copied)."""
        if ptr < 0 or length < 0 or ptr + length > self._size:
            raise GuestMemoryError(f"guest range [{ptr}, {ptr + length}) is outside memory of {self._size} bytes")

    _check = check  # the former private name

    def read(self, ptr: int, length: int) -> bytes:
        """Copy ``length`` bytes out of guest memory."""
        self.check(ptr, length)
        return ctypes.string_at(self._base + ptr, length) if length else b""

    def write(self, ptr: int, data: bytes | bytearray | memoryview) -> None:
        """Copy ``data`` into guest memory at ``ptr``."""
        length = len(data)
        self.check(ptr, length)
        if length:
            ctypes.memmove(self._base + ptr, bytes(data), length)

    def read_u32(self, ptr: int) -> int:
        return int.from_bytes(self.read(ptr, 4), "little")

    def write_u32(self, ptr: int, value: int) -> None:
        self.write(ptr, (value & 0xFFFFFFFF).to_bytes(4, "little"))

    def read_u64(self, ptr: int) -> int:
        return int.from_bytes(self.read(ptr, 8), "little")

    def write_u64(self, ptr: int, value: int) -> None:
        self.write(ptr, (value & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little"))


def memory_span(cctx: Any, memory: Any) -> tuple[int, int]:
    """Host base address and size in bytes of a ``wasmtime_memory_t`` in store context ``cctx``."""
    base = ctypes.cast(ffi.wasmtime_memory_data(cctx, ctypes.byref(memory)), ctypes.c_void_p).value or 0
    return base, int(ffi.wasmtime_memory_data_size(cctx, ctypes.byref(memory)))


class _Entry:
    """A defined host function, looked up by the trampoline (a plain class: a dataclass costs ~0.5 ms of import)."""

    __slots__ = ("func", "label", "memory", "raw", "results")

    def __init__(
        self, label: str, func: Callable[..., Any], results: tuple[int, ...], memory: bool, raw: bool = False
    ) -> None:
        self.label, self.func, self.results, self.memory, self.raw = label, func, results, memory, raw


_REGISTRY: dict[int, _Entry] = {}
_REGISTRY_LOCK = threading.Lock()
_IDS = itertools.count(1)


def _trap(message: str) -> int:
    data = message.encode("utf-8", "replace")
    trap = ffi.wasmtime_trap_new(ctypes.create_string_buffer(data), len(data))
    return ctypes.cast(trap, ctypes.c_void_p).value or 0


def _dispatch(env: int | None, caller: Any, params: Any, nparams: int, results: Any, nresults: int) -> int:
    entry = _REGISTRY.get(env or 0)
    if entry is None:
        return _trap("langchain-wasm: unknown host function")
    try:
        if _signalled[0] and interrupted():  # a Ctrl-C held for the guest's caller (interrupts.py)
            raise HostStop
        if entry.raw:  # the function reads and writes the engine's own value arrays (a zero-copy forwarder)
            entry.func(caller, params, nparams, results, nresults)
            return 0
        args: list[Any] = [GuestMemory(caller)] if entry.memory else []
        for i in range(nparams):
            raw = params[i]
            kind = raw.kind
            if kind == _I32:
                args.append(raw.of.i32)
            elif kind == _I64:
                args.append(raw.of.i64)
            elif kind == _F32:
                args.append(raw.of.f32)
            else:
                args.append(raw.of.f64)
        out = entry.func(*args)
        if nresults:
            kind = entry.results[0]
            slot = results[0]
            slot.kind = kind
            if kind == _I32:
                slot.of.i32 = _wrap(int(out), 32)
            elif kind == _I64:
                slot.of.i64 = _wrap(int(out), 64)
            elif kind == _F32:
                slot.of.f32 = float(out)
            else:
                slot.of.f64 = float(out)
        return 0
    except HostStop:
        return _trap(f"langchain-wasm: guest stopped by host in {entry.label}")
    except BaseException as exc:  # any failure must become a trap, never unwind through the engine
        ctx = context.current()
        if ctx is not None and ctx.stop_reason is None:
            ctx.stop_reason = "host"
            ctx.host_error = exc
        return _trap(f"langchain-wasm: host function {entry.label} failed: {type(exc).__name__}: {exc}")


def _wrap(value: int, bits: int) -> int:
    """Two's-complement wrap into a signed integer of ``bits`` bits (ctypes would truncate silently anyway)."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _forget(env: int | None) -> None:
    with _REGISTRY_LOCK:
        _REGISTRY.pop(env or 0, None)


# The C callbacks; module-level so they live as long as any linker that points at them.
_trampoline = ffi.wasmtime_func_callback_t(_dispatch)
_finalize = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(_forget)


def define_host_function(
    linker: wasmtime.Linker,
    module: str,
    name: str,
    params: Sequence[str],
    results: Sequence[str],
    func: Callable[..., Any],
    *,
    memory: bool = False,
    raw: bool = False,
) -> None:
    """Define ``module.name`` in ``linker`` (store-independent), dispatched through our trampoline.

    ``raw=True``: ``func(caller, params, nparams, results, nresults)`` gets the engine's ``wasmtime_val_t``
    arrays as they are (no conversion) and must fill ``results`` itself.
    """
    ty = wasmtime.FuncType([_VALTYPES[p]() for p in params], [_VALTYPES[r]() for r in results])
    with _REGISTRY_LOCK:
        idx = next(_IDS)
        _REGISTRY[idx] = _Entry(f"{module}.{name}", func, tuple(KIND_CODES[r] for r in results), memory, raw)
    mod_b, name_b = module.encode(), name.encode()
    error = ffi.wasmtime_linker_define_func(
        linker.ptr(),
        ctypes.create_string_buffer(mod_b),
        len(mod_b),
        ctypes.create_string_buffer(name_b),
        len(name_b),
        ty.ptr(),
        _trampoline,
        idx,
        _finalize,
    )
    if error:
        with _REGISTRY_LOCK:
            _REGISTRY.pop(idx, None)
        raise wasmtime.WasmtimeError._from_ptr(error)
