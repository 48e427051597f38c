"""Component call results lifted from wasmtime's C values straight to JSON-like data, within the deadline.

Why not wasmtime-py's own lifting followed by ``wit_types.from_wasm``: both walk the result in Python and ask the
C API for the *type* again for every element (a variant's cases, a record's fields), which costs 100-350 us per
element. Lifting happens after the guest returned, where the epoch deadline no longer applies, and a component
may return up to wasmtime's hostcall budget (128 MiB copied): measured with wasmtime-py 49, a hostile component
returning 100,000 records kept the host busy for 35 s under a 10 s deadline. Here the type is compiled once per
function into a converter that reads the C values directly (about 1 us per variant, 25 us per 14-field
record) and checks the deadline every few thousand elements (``LiftTimeout``).

The JSON form is exactly ``wit_types.from_wasm``'s (see the table there).
"""

from __future__ import annotations

import ctypes
import math
import time
from collections.abc import Callable
from typing import Any

from wasmtime import component as wc

__all__ = ["LiftTimeout", "compile_lifter", "holds_a_list"]

_CHECK_EVERY = 4096

Lift = Callable[[Any, "_Clock"], Any]


class LiftTimeout(Exception):  # noqa: N818 - a control-flow signal, mapped to WasmTimeoutError by the caller
    """The deadline passed while the result was being converted."""


class NonFiniteFloat(ValueError):  # noqa: N818 - a signal mapped to WasmAbiError by the caller
    """A float result that is NaN or infinite: JSON has no such number, so it never reaches the model as one."""


def _finite(value: float) -> float:
    if math.isfinite(value):
        return value
    raise NonFiniteFloat(repr(value))


class _Clock:
    __slots__ = ("deadline", "n")

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline
        self.n = 0

    def step(self, count: int) -> None:
        before = self.n
        self.n += count
        crossed = before // _CHECK_EVERY != self.n // _CHECK_EVERY
        if crossed and self.deadline is not None and time.monotonic() > self.deadline:
            raise LiftTimeout


def _name(vec: Any) -> bytes:
    return ctypes.string_at(vec.data, vec.size) if vec.size else b""


def _text(vec: Any) -> str:
    return _name(vec).decode("utf-8")


_SCALARS: dict[type, Callable[[Any], Any]] = {
    wc.Bool: lambda c: bool(c.of.boolean),
    wc.S8: lambda c: int(c.of.s8),
    wc.U8: lambda c: int(c.of.u8),
    wc.S16: lambda c: int(c.of.s16),
    wc.U16: lambda c: int(c.of.u16),
    wc.S32: lambda c: int(c.of.s32),
    wc.U32: lambda c: int(c.of.u32),
    wc.S64: lambda c: int(c.of.s64),
    wc.U64: lambda c: int(c.of.u64),
    wc.F32: lambda c: _finite(float(c.of.f32)),
    wc.F64: lambda c: _finite(float(c.of.f64)),
    wc.Char: lambda c: chr(c.of.character),
    wc.String: lambda c: _text(c.of.string),
}


def compile_lifter(ty: Any) -> Callable[[Any, float | None], Any]:
    """A function ``(c_value, deadline) -> JSON-like value`` for WIT type ``ty``. It only reads ``c_value``;
    the caller still owns (and deletes) it. Raises ``LiftTimeout`` once ``time.monotonic()`` passes
    ``deadline``, ``NonFiniteFloat`` for a NaN or infinite float, ``TypeError`` for types with no JSON form."""
    lift = _compile(ty)

    def run(value: Any, deadline: float | None) -> Any:
        return lift(value, _Clock(deadline))

    return run


def holds_a_list(ty: Any) -> bool:
    """Whether a value of WIT type ``ty`` may hold a list: only such a result can be large enough for wasmtime's
    own lifting (inside ``func_call``, out of reach of the deadline) to take long. Anything else has a size
    bounded by its type (a string is one copy)."""
    if isinstance(ty, wc.ListType):
        return True
    if isinstance(ty, wc.TupleType):
        return any(holds_a_list(e) for e in ty.elements)
    if isinstance(ty, wc.RecordType):
        return any(holds_a_list(fty) for _, fty in ty.fields)
    if isinstance(ty, wc.OptionType):
        return holds_a_list(ty.payload)
    if isinstance(ty, wc.ResultType):
        return any(t is not None and holds_a_list(t) for t in (ty.ok, ty.err))
    if isinstance(ty, wc.VariantType):
        return any(cty is not None and holds_a_list(cty) for _, cty in ty.cases)
    return False


def _compile(ty: Any) -> Lift:
    simple = _SCALARS.get(type(ty))
    if simple is not None:
        return lambda c, clock: simple(c)
    if isinstance(ty, wc.ListType):
        return _list(ty)
    if isinstance(ty, wc.TupleType):
        elements = [_compile(e) for e in ty.elements]

        def tuple_(c: Any, clock: _Clock) -> Any:
            data = c.of.tuple.data
            return [lift(data[i], clock) for i, lift in enumerate(elements)]

        return tuple_
    if isinstance(ty, wc.RecordType):
        fields = [(name, _compile(fty)) for name, fty in ty.fields]

        def record(c: Any, clock: _Clock) -> Any:
            data = c.of.record.data
            return {name: lift(data[i].val, clock) for i, (name, lift) in enumerate(fields)}

        return record
    if isinstance(ty, wc.EnumType):
        names = {n.encode(): n for n in ty.names}
        return lambda c, clock: names[_name(c.of.enumeration)]
    if isinstance(ty, wc.FlagsType):
        order = {n.encode(): (i, n) for i, n in enumerate(ty.names)}

        def flags(c: Any, clock: _Clock) -> Any:
            raw = c.of.flags
            return [n for _, n in sorted(order[_name(raw.data[i])] for i in range(raw.size))]

        return flags
    if isinstance(ty, wc.OptionType):
        payload = _compile(ty.payload)
        return lambda c, clock: payload(c.of.option.contents, clock) if c.of.option else None
    if isinstance(ty, wc.ResultType):
        ok = _compile(ty.ok) if ty.ok is not None else None
        err = _compile(ty.err) if ty.err is not None else None

        def result(c: Any, clock: _Clock) -> Any:
            raw = c.of.result
            lift, tag = (ok, "ok") if raw.is_ok else (err, "err")
            return {tag: lift(raw.val.contents, clock) if lift is not None and raw.val else None}

        return result
    if isinstance(ty, wc.VariantType):
        cases = {name.encode(): (name, _compile(cty) if cty is not None else None) for name, cty in ty.cases}

        def variant(c: Any, clock: _Clock) -> Any:
            raw = c.of.variant
            name, lift = cases[_name(raw.discriminant)]
            if lift is None:
                return name
            return {name: lift(raw.val.contents, clock) if raw.val else None}

        return variant
    raise TypeError(f"WIT type {type(ty).__name__} cannot be returned to a tool")


def _list(ty: wc.ListType) -> Lift:
    element = ty.element
    simple = _SCALARS.get(type(element))
    if simple is not None:  # the common case, kept tight: no per-element closure for the clock

        def scalars(c: Any, clock: _Clock) -> Any:
            raw = c.of.list
            size, data = raw.size, raw.data
            out: list[Any] = []
            for start in range(0, size, _CHECK_EVERY):
                clock.step(min(_CHECK_EVERY, size - start))
                out.extend(simple(data[i]) for i in range(start, min(size, start + _CHECK_EVERY)))
            return out

        return scalars
    lift = _compile(element)

    def items(c: Any, clock: _Clock) -> Any:
        raw = c.of.list
        data = raw.data
        out: list[Any] = []
        for i in range(raw.size):
            clock.step(1)
            out.append(lift(data[i], clock))
        return out

    return items
