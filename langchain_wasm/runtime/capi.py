"""The few wasmtime C functions of the per-call hot path, bound with plain ``void*``/integer argument types.

wasmtime-py's bindings declare typed ``POINTER`` arguments, so every call converts and checks each argument
(``byref``, ``from_param``): measured here ~0.6-1.5 us per call against ~0.3-1.2 us with ``c_void_p`` and
integer addresses, about 40% of a tiny call. The functions are the same symbols from the same loaded library.

Constant-time bookkeeping (store context, limits, fuel, deadline, export lookup) is bound through
``ctypes.PyDLL``, which keeps the GIL: releasing and re-taking it for a sub-microsecond call only hands the GIL
to another thread and makes this one wait for it back. Everything that can run guest code or take long
(``instantiate`` runs the start function, ``func_call`` the guest, ``store_delete`` unmaps its memory) goes
through ``ctypes.CDLL`` and releases the GIL, so other threads run while a guest does. The ``_held`` twins of
``instantiate`` and ``store_delete`` keep the GIL, for modules where neither can run guest code nor take long
(no start function, no memory: ``fast_call.is_light``); under contention each release hands the GIL to another
thread and costs this one a wake-up, far more than such a sub-microsecond call.
"""

from __future__ import annotations

import ctypes
from typing import Any

from wasmtime import _ffi as ffi

__all__ = [
    "address",
    "context_get_fuel",
    "context_set_epoch_deadline",
    "context_set_fuel",
    "func_call",
    "instance_export_get",
    "instance_pre_instantiate",
    "instance_pre_instantiate_held",
    "memory_data_size",
    "store_context",
    "store_delete",
    "store_delete_held",
    "store_limiter",
    "store_new",
]

_V = ctypes.c_void_p
_SIZE = ctypes.c_size_t
_I64 = ctypes.c_int64
_U64 = ctypes.c_uint64
_KEEP_GIL = ctypes.PyDLL(ffi.dll._name, handle=ffi.dll._handle)
_FREE_GIL = ctypes.CDLL(ffi.dll._name, handle=ffi.dll._handle)


def _bind(lib: ctypes.CDLL, name: str, restype: Any, *argtypes: Any) -> Any:
    fn = lib._FuncPtr((name, lib))  # a fresh function object: never alters wasmtime-py's own prototypes
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


store_new = _bind(_KEEP_GIL, "wasmtime_store_new", _V, _V, _V, _V)
store_context = _bind(_KEEP_GIL, "wasmtime_store_context", _V, _V)
store_limiter = _bind(_KEEP_GIL, "wasmtime_store_limiter", None, _V, _I64, _I64, _I64, _I64, _I64)
context_set_fuel = _bind(_KEEP_GIL, "wasmtime_context_set_fuel", _V, _V, _U64)
context_get_fuel = _bind(_KEEP_GIL, "wasmtime_context_get_fuel", _V, _V, _V)
context_set_epoch_deadline = _bind(_KEEP_GIL, "wasmtime_context_set_epoch_deadline", None, _V, _U64)
instance_export_get = _bind(_KEEP_GIL, "wasmtime_instance_export_get", ctypes.c_bool, _V, _V, _V, _SIZE, _V)
memory_data_size = _bind(_KEEP_GIL, "wasmtime_memory_data_size", _SIZE, _V, _V)
instance_pre_instantiate = _bind(_FREE_GIL, "wasmtime_instance_pre_instantiate", _V, _V, _V, _V, _V)
func_call = _bind(_FREE_GIL, "wasmtime_func_call", _V, _V, _V, _V, _SIZE, _V, _SIZE, _V)
store_delete = _bind(_FREE_GIL, "wasmtime_store_delete", None, _V)
instance_pre_instantiate_held = _bind(_KEEP_GIL, "wasmtime_instance_pre_instantiate", _V, _V, _V, _V, _V)
store_delete_held = _bind(_KEEP_GIL, "wasmtime_store_delete", None, _V)


def address(pointer: Any) -> int:
    """The address held by a wasmtime-py ctypes pointer (an engine's, an ``InstancePre``'s)."""
    value = ctypes.cast(pointer, _V).value
    if not value:
        raise ValueError("null wasmtime pointer")
    return int(value)
