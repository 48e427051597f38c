"""The hot path of ``WasmModule.call`` for a module that imports nothing (the common tiny tool).

Such a module can reach no host function and no WASI, so a call needs no call context, no stdio and no WASI
state: just a fresh store with the limits, fuel and epoch deadline, an instance, one export call and the fuel
read back. Everything that does not change between calls is computed once: per export an :class:`ExportPlan`
(name, the ``struct`` layouts of the params and results, one scratch buffer type), per ``Limits`` a
:class:`LimitsPlan` (the limiter's arguments, the fuel given, the deadline in ticks). A call fills one fresh
ctypes buffer with every out-parameter and value array and calls the C API with integer addresses
(``capi.py``). Failures (a trap, an overrun fuel budget) go through the same mapping as every other call
(``call.finish``), so the errors and metrics are the ones the general path gives.

The GIL is released only around C calls that can run guest code or take long: the export call always, and
instantiating and deleting the store unless the module is light (:func:`is_light`), when both are
sub-microsecond bookkeeping and a release would only hand the GIL to a waiting thread.
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Callable
from ctypes import addressof
from time import perf_counter
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from . import metrics as _metrics
from .binary import ModuleLayout
from .call import _FUEL_SLACK, _NO_DEADLINE, _QUIET, _UNLIMITED_FUEL, finish
from .capabilities import Capabilities
from .capi import (
    address,
    context_get_fuel,
    context_set_epoch_deadline,
    context_set_fuel,
    func_call,
    instance_export_get,
    instance_pre_instantiate,
    instance_pre_instantiate_held,
    memory_data_size,
    store_context,
    store_delete,
    store_delete_held,
    store_limiter,
    store_new,
)
from .engine import WasmEngine
from .limits import Limits
from .metrics import observe
from .result import CallMetrics, CallResult, MetricsFill, ResultFill, as_class
from .signatures import FuncSignature
from .values import check_callable, to_raw_params

__all__ = ["ExportPlan", "FastCaller", "LimitsPlan", "is_light"]

_VAL = ctypes.sizeof(ffi.wasmtime_val_t)  # 32: kind (u8) at 0, the value at 8
_OF = ffi.wasmtime_extern_t.of.offset  # the func / memory handle inside a wasmtime_extern_t
# One buffer per call holds every out-parameter: instance, export item, memory item, trap pointer, fuel left,
# then the params and the results arrays. It is an array of u64, so the trap pointer and the fuel read back as
# ``buf[_TRAP_WORD]`` (~2.5x cheaper than ``struct.unpack_from``); struct still packs the values.
_INST, _ITEM, _MEM_ITEM, _TRAP, _FUEL = 0, 16, 48, 80, 88
_TRAP_WORD, _FUEL_WORD = _TRAP // 8, _FUEL // 8
_VALUES = 96
_PACK = {"i32": "B7xi20x", "i64": "B7xq16x", "f32": "B7xf20x", "f64": "B7xd16x"}
_UNPACK = {"i32": "8xi20x", "i64": "8xq16x", "f32": "8xf20x", "f64": "8xd16x"}
_KIND = {
    "i32": ffi.WASMTIME_I32.value,
    "i64": ffi.WASMTIME_I64.value,
    "f32": ffi.WASMTIME_F32.value,
    "f64": ffi.WASMTIME_F64.value,
}


class _Never:
    """A type no argument has: f32 params always take the range-checked general path."""


_EXACT: dict[str, type] = {"i32": int, "i64": int, "f32": _Never, "f64": float}


def _i32_putter(n: int, pack_into: Callable[..., None]) -> Callable[[Any, tuple[Any, ...]], bool]:
    """``put(buf, args)``: pack ``n`` i32 args if all are exactly ``int``, else False (the general path then).

    Unrolled for the usual arities: a star call of ``pack_into`` and a ``tuple(map(type, args))`` cost ~0.2 us
    together, this ~0.06 us. Out-of-range values raise ``struct.error`` (the caller falls back too).
    """

    def put0(buf: Any, a: tuple[Any, ...]) -> bool:
        return not a

    def put1(buf: Any, a: tuple[Any, ...]) -> bool:
        if len(a) == 1 and type(a[0]) is int:
            pack_into(buf, _VALUES, a[0])
            return True
        return False

    def put2(buf: Any, a: tuple[Any, ...]) -> bool:
        if len(a) == 2 and type(a[0]) is int and type(a[1]) is int:
            pack_into(buf, _VALUES, a[0], a[1])
            return True
        return False

    def put3(buf: Any, a: tuple[Any, ...]) -> bool:
        if len(a) == 3 and type(a[0]) is int and type(a[1]) is int and type(a[2]) is int:
            pack_into(buf, _VALUES, a[0], a[1], a[2])
            return True
        return False

    exact = (int,) * n

    def put_n(buf: Any, a: tuple[Any, ...]) -> bool:
        if tuple(map(type, a)) == exact:
            pack_into(buf, _VALUES, *a)
            return True
        return False

    return (put0, put1, put2, put3)[n] if n < 4 else put_n


_TrapPtr = ctypes.POINTER(ffi.wasm_trap_t)
_ErrorPtr = ctypes.POINTER(ffi.wasmtime_error_t)
#: table elements a light module may declare, so its tables stay a small allocation
_LIGHT_TABLE = 10_000


def is_light(layout: ModuleLayout) -> bool:
    """True when instantiating runs no guest code (no start function) and the store owns no linear memory.

    Then instantiating and deleting the store are short bookkeeping (measured under 1 us each), so they keep the
    GIL; with a memory they map and unmap it (measured ~6 us, and over a millisecond to free a touched 16 MiB), so
    they release it.
    """
    return layout.start is None and not layout.memory_min_pages and sum(layout.table_min_elements) <= _LIGHT_TABLE


class ExportPlan:
    """What a call of one export needs that never changes: its name, signature and value layouts."""

    __slots__ = (
        "buffer",
        "exact",
        "export",
        "kinds",
        "name",
        "name_len",
        "nparams",
        "nresults",
        "pack",
        "put",
        "results",
        "results_at",
        "sig",
        "values_only",
    )

    def __init__(self, export: str, sig: FuncSignature) -> None:
        self.export = export
        self.sig = sig
        self.name = export.encode()
        self.name_len = len(self.name)
        self.nparams = len(sig.params)
        self.nresults = len(sig.results)
        self.kinds = tuple(_KIND[k] for k in sig.params)
        #: the Python types that pack as they are (anything else, e.g. 3.0 for an i32, takes the general path).
        #: Never f32: struct rounds a float just past the f32 range down to its maximum instead of refusing it.
        self.exact = tuple(_EXACT[k] for k in sig.params)
        #: i32 is kind 0 and the buffer starts zeroed, so i32-only params need only their values written
        self.values_only = all(k == 0 for k in self.kinds)
        fmt = "".join(_PACK[k] for k in sig.params)
        self.pack = struct.Struct("<" + (fmt.replace("B7x", "8x") if self.values_only else fmt))
        self.put = _i32_putter(self.nparams, self.pack.pack_into) if self.values_only else None
        self.results = struct.Struct("<" + "".join(_UNPACK[k] for k in sig.results))
        self.results_at = _VALUES + _VAL * self.nparams
        self.buffer = ctypes.c_uint64 * ((_VALUES + _VAL * (self.nparams + self.nresults)) // 8)

    def fill(self, buf: Any, args: tuple[Any, ...]) -> None:
        """Write ``args`` into the params array, range-checked like every core call (``WasmArgumentError``)."""
        if tuple(map(type, args)) == self.exact:
            try:
                if self.values_only:
                    self.pack.pack_into(buf, _VALUES, *args)
                else:
                    flat: list[Any] = [None] * (2 * self.nparams)
                    flat[0::2] = self.kinds
                    flat[1::2] = args
                    self.pack.pack_into(buf, _VALUES, *flat)
                return
            except (struct.error, OverflowError):  # out of range: the general path says so in its own words
                pass
        raw = to_raw_params(self.export, self.sig, args)
        flat = [None] * (2 * self.nparams)
        flat[0::2] = self.kinds
        flat[1::2] = [getattr(raw[i].of, kind) for i, kind in enumerate(self.sig.params)]
        struct.pack_into("<" + "".join(_PACK[k] for k in self.sig.params), buf, _VALUES, *flat)


class LimitsPlan:
    """``Limits`` as the store wants them: the limiter's arguments, the fuel given, the deadline in ticks."""

    __slots__ = ("budget", "fuel", "limiter", "limits", "ticks", "timed")

    def __init__(self, limits: Limits, engine: WasmEngine) -> None:
        self.limits = limits
        self.limiter = (limits.memory_bytes, limits.table_elements, limits.instances, limits.tables, limits.memories)
        self.budget = limits.fuel
        self.fuel = limits.fuel + _FUEL_SLACK if limits.fuel is not None else _UNLIMITED_FUEL
        self.timed = limits.timeout_s is not None
        self.ticks = engine.ticker.ticks_for(limits.timeout_s) if limits.timeout_s is not None else _NO_DEADLINE


#: (limits, capabilities, their plan, the instance-pre's address, the instance-pre, which keeps the address
#: valid) for a pair already checked against the module
_Ticket = tuple[Limits, Capabilities, LimitsPlan, int, wasmtime.InstancePre]
_new = object.__new__


class FastCaller:
    """``WasmModule.call`` for one module that imports nothing; holds the plans made for it."""

    __slots__ = (
        "_delete", "_engine", "_engine_addr", "_instantiate", "_last", "_memory_export", "_name", "_plans", "_prepare",
        "_signature", "_ticker", "_tickets",
    )  # fmt: skip

    def __init__(
        self,
        engine: WasmEngine,
        name: str,
        memory_export: bytes | None,
        prepare: Callable[[Capabilities, Limits], wasmtime.InstancePre],
        signature: Callable[[str], FuncSignature],
        *,
        light: bool = False,
    ) -> None:
        self._engine = engine
        self._ticker = engine.ticker
        self._engine_addr = address(engine.engine.ptr())
        self._name = name
        self._memory_export = memory_export
        self._prepare = prepare
        self._signature = signature
        self._plans: dict[str, ExportPlan] = {}
        self._tickets: dict[tuple[int, int], _Ticket] = {}
        self._last: _Ticket | None = None
        self._instantiate = instance_pre_instantiate_held if light else instance_pre_instantiate
        self._delete = store_delete_held if light else store_delete

    def _plan(self, export: str) -> ExportPlan:
        sig = self._signature(export)
        check_callable(export, sig)
        plan = self._plans[export] = ExportPlan(export, sig)
        return plan

    def _ticket(self, limits: Limits, caps: Capabilities) -> _Ticket:
        """The checked pair's ticket; both objects are immutable, so one check per pair of objects is enough."""
        ticket = self._tickets.get((id(limits), id(caps)))
        if ticket is None or ticket[0] is not limits or ticket[1] is not caps:
            pre = self._prepare(caps, limits)  # capability and minimum-size checks, the linked instance-pre
            if len(self._tickets) > 256:
                self._tickets.clear()
            ticket = (limits, caps, LimitsPlan(limits, self._engine), address(pre.ptr()), pre)
            self._tickets[(id(limits), id(caps))] = ticket
        self._last = ticket
        return ticket

    def __call__(self, export: str, args: tuple[Any, ...], limits: Limits, caps: Capabilities) -> CallResult:
        """Call ``export`` with ``args`` in a fresh store under ``limits``; errors as ``WasmModule.call``."""
        plan = self._plans.get(export) or self._plan(export)
        buf = plan.buffer()
        put = plan.put
        try:
            done = put is not None and put(buf, args)
        except (struct.error, OverflowError):
            done = False
        if not done:
            plan.fill(buf, args)  # argument errors come before capability errors, as in every call
        ticket = self._last
        if ticket is None or ticket[0] is not limits or ticket[1] is not caps:
            ticket = self._ticket(limits, caps)
        lp = ticket[2]
        base = addressof(buf)
        trap_at = base + _TRAP
        failure: BaseException | None = None
        memory = 0
        t0 = perf_counter()
        store = store_new(self._engine_addr, None, None)
        if not store:
            raise MemoryError("wasmtime could not create a store")
        try:
            cctx = store_context(store)
            store_limiter(store, *lp.limiter)
            error = context_set_fuel(cctx, lp.fuel)
            if error:
                raise wasmtime.WasmtimeError._from_ptr(ctypes.cast(error, _ErrorPtr))
            context_set_epoch_deadline(cctx, lp.ticks)
            ticker = self._ticker
            if lp.timed:
                ticker.acquire()  # the deadline counts ticks: the ticker runs while any call holds it
            try:
                error = self._instantiate(ticket[3], cctx, base + _INST, trap_at)
                instantiated = not error and not buf[_TRAP_WORD]
                if instantiated:
                    if not instance_export_get(cctx, base + _INST, plan.name, plan.name_len, base + _ITEM):
                        raise LookupError(f"export {plan.export!r} vanished")  # checked when the plan was made
                    error = func_call(
                        cctx, base + _ITEM + _OF, base + _VALUES, plan.nparams, base + plan.results_at,
                        plan.nresults, trap_at,
                    )  # fmt: skip
            finally:
                if lp.timed:
                    ticker.release()
            if error:
                failure = wasmtime.WasmtimeError._from_ptr(ctypes.cast(error, _ErrorPtr))
            elif trap := buf[_TRAP_WORD]:
                failure = wasmtime.Trap._from_ptr(ctypes.cast(trap, _TrapPtr))
            memory_export = self._memory_export
            if memory_export is not None and instantiated:
                at = base + _MEM_ITEM
                if instance_export_get(cctx, base + _INST, memory_export, len(memory_export), at):
                    memory = memory_data_size(cctx, at + _OF)
            context_get_fuel(cctx, base + _FUEL)
        except Exception as exc:
            observe(self._name, getattr(exc, "metrics", None))
            raise
        finally:
            self._delete(store)
        wall = perf_counter() - t0
        used = lp.fuel - buf[_FUEL_WORD]
        if failure is not None or (lp.budget is not None and used > lp.budget):
            try:
                return finish(
                    value=None,
                    exit_code=0,
                    failure=failure,
                    convention_error=None,
                    ctx=_QUIET,
                    fuel=lp.fuel,
                    remaining=lp.fuel - used,
                    memory=memory,
                    limits=lp.limits,
                    wall=wall,
                    module_name=self._name,
                    label=plan.export,
                    command=False,
                    http=None,
                )
            except Exception as exc:
                observe(self._name, getattr(exc, "metrics", None))
                raise
        metrics: Any = _new(MetricsFill)  # filled as a twin, then made a CallMetrics (result.py says why)
        metrics.fuel_used = used
        metrics.wall_s = wall
        metrics.memory_peak_bytes = memory
        metrics.stdout_bytes = 0
        metrics.stderr_bytes = 0
        metrics.trap = None
        metrics.module = self._name
        metrics.http = None
        as_class(metrics, CallMetrics)
        result = _new(ResultFill)
        n = plan.nresults
        if n == 1:
            result.value = plan.results.unpack_from(buf, plan.results_at)[0]
        else:
            result.value = plan.results.unpack_from(buf, plan.results_at) if n else None
        result.exit_code = 0
        result.stdout = b""
        result.stderr = b""
        result.metrics = metrics
        as_class(result, CallResult)
        if _metrics._sink is not None:
            observe(self._name, metrics)
        return result  # type: ignore[return-value]  # a CallResult since as_class
