"""The one boundary where wasmtime's exceptions become ours, classified by trap code, never by message.

Core calls report a trap as a ``wasmtime.Trap`` carrying its code. Component calls (wasmtime-py's component
API) report the same trap as a ``WasmtimeError`` whose cause chain holds the trap's description; the code is
recovered by matching that line against the descriptions wasmtime itself gives each code
(``wasmtime_trap_new_code``), so a component running out of fuel or time gets the same typed error as a module.
"""

from __future__ import annotations

from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from ..errors import (
    LangChainWasmError,
    WasmCallError,
    WasmFuelExhaustedError,
    WasmHostFunctionError,
    WasmMemoryLimitError,
    WasmOutputLimitError,
    WasmTimeoutError,
    WasmTrapError,
)
from .context import CallContext
from .result import CallMetrics

__all__ = ["classify", "trap_code", "trap_kind", "PAGE"]

PAGE = 65536

_HINTS = {
    "unreachable": "the guest executed `unreachable` (a panic or abort in its source language)",
    "memory_out_of_bounds": "the guest accessed memory outside its linear memory",
    "stack_overflow": "the guest recursed too deeply (wasm stack exhausted)",
    "integer_division_by_zero": "the guest divided an integer by zero",
    "integer_overflow": "the guest hit an integer overflow in division or conversion",
    "bad_conversion_to_integer": "the guest converted NaN or an out-of-range float to an integer",
    "indirect_call_to_null": "the guest called a null function reference",
    "bad_signature": "the guest made an indirect call with the wrong signature",
    "table_out_of_bounds": "the guest accessed a table out of bounds",
}


_by_description: dict[str, wasmtime.TrapCode] | None = None


def _descriptions() -> dict[str, wasmtime.TrapCode]:
    """wasmtime's own description of each trap code ("wasm trap: integer overflow"), for errors without a code.

    Made on first use: it builds one trap per code, ~1 ms that a process whose calls never trap should not pay.
    """
    global _by_description
    if _by_description is not None:
        return _by_description
    out: dict[str, wasmtime.TrapCode] = {}
    for code in wasmtime.TrapCode:
        try:
            trap = wasmtime.Trap._from_ptr(ffi.wasmtime_trap_new_code(code.value))
        except Exception:  # pragma: no cover - a code this wasmtime cannot construct
            continue
        out[trap.message.strip()] = code
    _by_description = out
    return out


def trap_code(exc: BaseException) -> wasmtime.TrapCode | None:
    """The trap code of a wasmtime exception: a ``Trap``'s own, or the one a ``WasmtimeError`` names in its
    cause chain (component calls); ``None`` for errors that are not traps."""
    if isinstance(exc, wasmtime.Trap):
        return exc.trap_code
    if isinstance(exc, wasmtime.WasmtimeError):
        for line in str(exc).splitlines():
            code = _descriptions().get(line.strip().lstrip("0123456789:").strip())
            if code is not None:
                return code
    return None


def trap_kind(exc: BaseException, ctx: CallContext, memory_bytes: int, memory_cap: int) -> str:
    """Short kind of stop: timeout, fuel, memory, stdout, stderr, host, or a wasmtime trap code."""
    if ctx.stop_reason is not None:
        return ctx.stop_reason
    code = trap_code(exc)
    if code is None and isinstance(exc, wasmtime.WasmtimeError) and "resource limit exceeded" in str(exc):
        # The store limiter refusing an instance, table or memory at instantiation carries no code; this
        # wording is wasmtime's own for exactly that case.
        return "memory"
    if code == wasmtime.TrapCode.OUT_OF_FUEL:
        return "fuel"
    if code == wasmtime.TrapCode.INTERRUPT:
        return "timeout"
    # memory.grow past the store limit returns -1 rather than trapping, and the C API does not say whether a
    # grow was refused. The guest then typically aborts (unreachable) or faults. A trap while linear memory is
    # within a quarter of the cap (at least one page) is reported as the cap; the error keeps the trap code.
    if memory_cap and memory_bytes + max(PAGE, memory_cap // 4) > memory_cap:
        return "memory"
    if code is not None:
        return code.name.lower()
    return "error"


def classify(
    exc: BaseException,
    ctx: CallContext,
    metrics: CallMetrics,
    *,
    limits_desc: dict[str, object],
) -> LangChainWasmError:
    """Our typed error for ``exc`` raised by a call whose state is ``ctx`` and consumption ``metrics``."""
    kind = metrics.trap or "error"
    out: dict[str, Any] = {"metrics": metrics, "stdout": bytes(ctx.stdout), "stderr": bytes(ctx.stderr)}
    used = f"(fuel used {metrics.fuel_used}, {metrics.wall_s * 1000:.1f} ms, memory {metrics.memory_peak_bytes} B)"
    if kind == "timeout":  # wasmtime does not report fuel for epoch-interrupted calls, so it is not quoted
        return WasmTimeoutError(
            f"guest exceeded the {limits_desc['timeout_s']} s wall-clock limit "
            f"({metrics.wall_s * 1000:.1f} ms, memory {metrics.memory_peak_bytes} B)",
            trap_code="interrupt",
            **out,
        )
    if kind == "fuel":
        return WasmFuelExhaustedError(
            f"guest ran out of fuel: the budget of {limits_desc['fuel']} instructions is spent {used}",
            trap_code="out_of_fuel",
            **out,
        )
    if kind == "memory":
        return WasmMemoryLimitError(
            f"guest hit the memory limits (linear memory {limits_desc['memory_bytes']} bytes each, and the "
            f"instance/table/memory counts) {used}; underlying error: {_trap_text(exc)}",
            trap_code=_code(exc),
            **out,
        )
    if kind in ("stdout", "stderr"):
        cap = limits_desc[f"{kind}_bytes"]
        return WasmOutputLimitError(
            f"guest wrote more than the {cap}-byte {kind} cap; it was stopped {used}",
            stream=kind,
            trap_code=None,
            **out,
        )
    if kind == "host":
        cause = ctx.host_error
        err = WasmHostFunctionError(
            f"a host function raised {type(cause).__name__}: {cause}; the guest was stopped", **out
        )
        err.__cause__ = cause
        return err
    if isinstance(exc, wasmtime.Trap | wasmtime.WasmtimeError):
        code = _code(exc)
        hint = _HINTS.get(code or "", "the guest trapped")
        return WasmTrapError(f"{hint}: {_trap_text(exc)}", trap_code=code, **out)
    return WasmCallError(f"call failed: {exc}", **out)


def _code(exc: BaseException) -> str | None:
    code = trap_code(exc)
    return code.name.lower() if code is not None else None


def _trap_text(exc: BaseException) -> str:
    """The informative line of a wasmtime message: the trap's description, not the backtrace header."""
    text = exc.message if isinstance(exc, wasmtime.Trap) else str(exc)
    lines = [ln.strip().lstrip("0123456789:").strip() for ln in text.strip().splitlines()]
    for line in lines:
        if line in _descriptions() or line.startswith("wasm trap:"):
            return line
    return lines[0] if lines and lines[0] else type(exc).__name__
