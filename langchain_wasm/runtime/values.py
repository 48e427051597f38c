"""The core calling convention: Python numbers in and out of numeric exports, range-checked, never wrapped."""

from __future__ import annotations

import ctypes
import math
import struct
from collections.abc import Sequence
from typing import Any

from wasmtime import _ffi as ffi

from ..errors import WasmArgumentError
from .hostcall import KIND_CODES
from .signatures import FuncSignature

__all__ = ["INT_RANGES", "F32_MAX", "to_raw_params", "from_raw_results", "check_callable"]

INT_RANGES = {"i32": (-(2**31), 2**31 - 1), "i64": (-(2**63), 2**63 - 1)}
F32_MAX = struct.unpack("<f", b"\xff\xff\x7f\x7f")[0]
_NUMERIC = ("i32", "i64", "f32", "f64")


def check_callable(export: str, sig: FuncSignature) -> None:
    """Raise ``WasmArgumentError`` if the export uses types the core ABI cannot pass (v128, references)."""
    bad = [t for t in (*sig.params, *sig.results) if t not in _NUMERIC]
    if bad:
        raise WasmArgumentError(
            f"export {export!r} has signature {sig}; the core ABI passes only i32/i64/f32/f64 (found {bad[0]})"
        )


def _convert(export: str, index: int, kind: str, value: Any) -> int | float:
    where = f"argument {index} of {export!r} ({kind})"
    if kind in INT_RANGES:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int):
            raise WasmArgumentError(f"{where} must be an integer, got {type(value).__name__} {value!r}")
        lo, hi = INT_RANGES[kind]
        if not lo <= value <= hi:
            raise WasmArgumentError(f"{where} must be in [{lo}, {hi}], got {value}")
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WasmArgumentError(f"{where} must be a number, got {type(value).__name__} {value!r}")
    try:
        number = float(value)
    except OverflowError:
        raise WasmArgumentError(f"{where} is too large for a float: {value}") from None
    if kind == "f32" and math.isfinite(number) and abs(number) > F32_MAX:
        raise WasmArgumentError(f"{where} is outside the f32 range (+-{F32_MAX:.6g}): {value}")
    return number


def to_raw_params(export: str, sig: FuncSignature, args: Sequence[Any]) -> ctypes.Array[Any]:
    """Convert ``args`` for ``sig`` into a ``wasmtime_val_t`` array, or raise ``WasmArgumentError``."""
    if len(args) != len(sig.params):
        raise WasmArgumentError(f"export {export!r} takes {len(sig.params)} argument(s) {sig}, got {len(args)}")
    raw = (ffi.wasmtime_val_t * len(args))()
    for i, kind in enumerate(sig.params):
        value = args[i]
        if type(value) is not int or kind != "i32" or not -2147483648 <= value <= 2147483647:
            value = _convert(export, i, kind, value)  # the general path; i32 ints above are the common case
        slot = raw[i]
        slot.kind = KIND_CODES[kind]  # type: ignore[assignment]  # ctypes field accepts an int
        setattr(slot.of, kind, value)
    return raw


def from_raw_results(sig: FuncSignature, raw: ctypes.Array[Any]) -> Any:
    """Python value of the results: ``None``, a single number, or a tuple."""
    values = [getattr(raw[i].of, kind) for i, kind in enumerate(sig.results)]
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return tuple(values)
