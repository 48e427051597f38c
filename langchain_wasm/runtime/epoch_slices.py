"""Ctrl-C for a guest that never calls the host: the epoch deadline in slices, checked by a callback.

A held Ctrl-C (``interrupts.py``) stops a guest at its next host call. A guest that makes none (CPython
running ``while True: pass``) would run on to its deadline. For a kept instance's calls that hold SIGINT, the
epoch deadline is therefore set ``SLICE_S`` ahead instead of at the deadline, and wasmtime calls ``_on_epoch``
each time it is reached. The callback runs Python on the guest's thread, the main thread, so Python runs our
recording handler first. The callback then stops the guest if a SIGINT came or the call's deadline has passed,
and otherwise moves the deadline on by another slice.

Once installed on a store the callback also decides that store's other deadlines (wasmtime's C API cannot
remove it). A call that has passed its wall-clock deadline is stopped with ``stop_reason = "timeout"``, which
the error mapping turns into the same ``WasmTimeoutError`` as the epoch trap. A deadline that fires early is
moved on to the wall-clock one.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

from wasmtime import _ffi as ffi

from . import context
from .interrupts import _signalled, interrupted

__all__ = ["SLICE_S", "install", "slice_ticks"]

#: How long a guest on the main thread may run between two looks at a held Ctrl-C.
SLICE_S = 0.05


def _error(message: bytes) -> int:
    return ctypes.cast(ffi.wasmtime_error_new(ctypes.create_string_buffer(message)), ctypes.c_void_p).value or 0


def _on_epoch(cctx: Any, data: int | None, delta: Any, kind: Any) -> int:
    try:
        if _signalled[0] and interrupted():
            return _error(b"langchain-wasm: interrupted (SIGINT)")
        ctx = context.current()
        remaining = ctx.remaining() if ctx is not None else 0.0
        if remaining is not None and remaining <= 0:
            if ctx is not None and ctx.stop_reason is None:
                ctx.stop_reason = "timeout"
            return _error(b"langchain-wasm: the deadline has passed")
        wait = SLICE_S if remaining is None else min(SLICE_S, remaining)
        delta[0] = ticks(wait, (data or 5000) / 1e6)
        kind[0] = 0  # WASMTIME_UPDATE_DEADLINE_CONTINUE
        return 0
    except BaseException:  # nothing may unwind through wasmtime
        return _error(b"langchain-wasm: the epoch callback failed")


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_size_t,
    ctypes.POINTER(ffi.wasmtime_context_t),
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_uint64),
    ctypes.POINTER(ffi.wasmtime_update_deadline_kind_t),
)(_on_epoch)
_NO_FINALIZER = ctypes.cast(0, ctypes.CFUNCTYPE(None, ctypes.c_void_p))


def ticks(seconds: float, interval_s: float) -> int:
    """Epoch ticks covering ``seconds`` (one extra: the current tick is partly over)."""
    return max(1, math.ceil(seconds / interval_s)) + 1


def slice_ticks(interval_s: float) -> int:
    """The first deadline of a call that holds SIGINT, in ticks."""
    return ticks(SLICE_S, interval_s)


def install(store: Any, interval_s: float) -> None:
    """Let ``_on_epoch`` decide ``store``'s epoch deadlines (``interval_s``: its engine's tick, passed to
    the callback as its data pointer, in microseconds)."""
    ffi.wasmtime_store_epoch_deadline_callback(
        store, _CALLBACK, ctypes.c_void_p(max(1, round(interval_s * 1e6))), _NO_FINALIZER
    )
