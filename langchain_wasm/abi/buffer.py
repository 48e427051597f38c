"""The buffer calling convention: bytes, text and arrays passed through linear memory (see docs/guests.md).

The guest exports ``memory``, ``alloc(len) -> ptr`` and ``dealloc(ptr, len)``. For each buffer input the host
allocates, copies the bytes in and passes ``(ptr, len)`` (a matrix adds ``rows, cols``); scalars pass as they
are. The entry export returns one i64 packing ``(ptr << 32) | len`` of an output buffer the guest allocated;
``ptr == 0`` is the guest refusing the input. Output pointers are checked against the memory size before any
read, so a wild pointer is a ``WasmAbiError``, never a host crash or a large host allocation.
"""

from __future__ import annotations

import array
import struct
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langchain_wasm.abi.json_stdio import loads_guest_json
from langchain_wasm.errors import WasmAbiError, WasmArgumentError, WasmGuestError
from langchain_wasm.runtime.live import LiveInstance
from langchain_wasm.runtime.signatures import FuncSignature

if TYPE_CHECKING:
    from langchain_wasm.runtime.capabilities import Capabilities
    from langchain_wasm.runtime.limits import Limits
    from langchain_wasm.runtime.module import WasmModule
    from langchain_wasm.runtime.result import CallResult

__all__ = ["PARAM_TYPES", "RESULT_TYPES", "BufferParam", "BufferSpec"]

_ARRAYS = {"f64_array": "d", "f32_array": "f", "i32_array": "i"}
_SCALARS = ("i32", "i64", "f32", "f64")
PARAM_TYPES = frozenset({"bytes", "string", "f64_matrix", *_ARRAYS, *_SCALARS})
RESULT_TYPES = frozenset({"bytes", "hex", "string", "json", "f64_matrix", *_ARRAYS})
_ALLOCATOR = {"alloc": FuncSignature(("i32",), ("i32",)), "dealloc": FuncSignature(("i32", "i32"), ())}
_MAX_BUFFER = 2**31 - 1


@dataclass(frozen=True, slots=True)
class BufferParam:
    """One parameter of a buffer-ABI entry export."""

    name: str
    type: str

    def wasm_params(self) -> tuple[str, ...]:
        if self.type in _SCALARS:
            return (self.type,)
        return ("i32",) * (4 if self.type == "f64_matrix" else 2)


def _to_i32(value: int) -> int:
    """A u32 read from the guest as the signed i32 wasm passes it."""
    return value - 2**32 if value >= 2**31 else value


def _array_bytes(name: str, kind: str, value: Any) -> bytes:
    code = _ARRAYS[kind]
    try:
        arr = array.array(code, value)
    except (TypeError, OverflowError, ValueError) as exc:
        raise WasmArgumentError(f"{name} must be a list of {kind.split('_')[0]} numbers: {exc}") from None
    if sys.byteorder != "little":  # pragma: no cover - wasm is little-endian
        arr.byteswap()
    return arr.tobytes()


def _encode(param: BufferParam, value: Any) -> tuple[bytes | None, tuple[int | float, ...]]:
    """(buffer to copy in or None, extra scalar params after (ptr, len))."""
    name, kind = param.name, param.type
    if kind in _SCALARS:
        return None, (value,)
    if kind == "bytes":
        if isinstance(value, str):
            try:
                value = value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise WasmArgumentError(f"{name} is not valid Unicode text ({exc.reason})") from None
        if not isinstance(value, bytes | bytearray | memoryview):
            raise WasmArgumentError(f"{name} must be bytes, got {type(value).__name__}")
        return bytes(value), ()
    if kind == "string":
        if isinstance(value, bytes | bytearray):
            return bytes(value), ()
        if not isinstance(value, str):
            raise WasmArgumentError(f"{name} must be a string, got {type(value).__name__}")
        return value.encode("utf-8", "surrogatepass"), ()
    if kind == "f64_matrix":
        if not isinstance(value, Sequence) or not all(isinstance(row, Sequence) for row in value):
            raise WasmArgumentError(f"{name} must be a list of rows (lists of numbers)")
        rows = len(value)
        cols = len(value[0]) if rows else 0
        if rows == 0 or cols == 0:
            raise WasmArgumentError(f"{name} must have at least one row and one column")
        if any(len(row) != cols for row in value):
            raise WasmArgumentError(f"{name} must be rectangular: every row needs {cols} numbers")
        flat = [x for row in value for x in row]
        return _array_bytes(name, "f64_array", flat), (rows, cols)
    return _array_bytes(name, kind, value), ()


def _decode(kind: str, data: bytes) -> Any:
    try:
        if kind == "bytes":
            return data
        if kind == "hex":
            return data.hex()
        if kind == "string":
            return data.decode("utf-8")
        if kind == "json":
            return loads_guest_json(data)
        if kind == "f64_matrix":
            if len(data) < 8:
                raise ValueError("matrix output shorter than its 8-byte header")
            rows, cols = struct.unpack_from("<II", data)
            if len(data) != 8 + rows * cols * 8:
                raise ValueError(f"matrix output of {len(data)} bytes does not hold {rows}x{cols} f64")
            flat = struct.unpack_from(f"<{rows * cols}d", data, 8)
            return [list(flat[r * cols : (r + 1) * cols]) for r in range(rows)]
        code = _ARRAYS[kind]
        size = array.array(code).itemsize
        if len(data) % size:
            raise ValueError(f"{len(data)} bytes is not a whole number of {kind} elements")
        arr = array.array(code)
        arr.frombytes(data)
        return arr.tolist()
    except (UnicodeDecodeError, ValueError, struct.error) as exc:
        raise WasmAbiError(f"guest output is not valid {kind}: {exc}") from None


@dataclass(frozen=True, slots=True)
class BufferSpec:
    """A buffer-ABI entry point: export name, typed params, result type."""

    export: str
    params: tuple[BufferParam, ...]
    result: str
    #: What the guest's refusal codes mean (from the manifest's ``[error_codes]``), for error messages.
    error_codes: Mapping[int, str] | None = None

    def __post_init__(self) -> None:
        for p in self.params:
            if p.type not in PARAM_TYPES:
                raise ValueError(f"buffer param {p.name!r}: unknown type {p.type!r} (one of {sorted(PARAM_TYPES)})")
        if self.result not in RESULT_TYPES:
            raise ValueError(f"buffer result: unknown type {self.result!r} (one of {sorted(RESULT_TYPES)})")

    @property
    def signature(self) -> FuncSignature:
        """The wasm signature the entry export must have."""
        return FuncSignature(tuple(t for p in self.params for t in p.wasm_params()), ("i64",))

    def required_exports(self) -> dict[str, FuncSignature]:
        return {**_ALLOCATOR, self.export: self.signature}

    def bind(self, args: Sequence[Any] | Mapping[str, Any]) -> list[Any]:
        """Order ``args`` (positional or by name) as the params; missing or extra names are errors."""
        if isinstance(args, Mapping):
            missing = [p.name for p in self.params if p.name not in args]
            extra = sorted(set(args) - {p.name for p in self.params})
            if missing or extra:
                raise WasmArgumentError(f"{self.export}: missing arguments {missing}, unexpected {extra}")
            return [args[p.name] for p in self.params]
        if len(args) != len(self.params):
            raise WasmArgumentError(f"{self.export} takes {len(self.params)} argument(s), got {len(args)}")
        return list(args)

    def encode(self, values: Sequence[Any]) -> list[tuple[bytes | None, tuple[int | float, ...]]]:
        """Encode every argument before the guest starts (bad arguments never cost an instance)."""
        encoded = [_encode(p, v) for p, v in zip(self.params, values, strict=True)]
        for p, (buf, _) in zip(self.params, encoded, strict=True):
            if buf is not None and len(buf) > _MAX_BUFFER:
                raise WasmArgumentError(f"{p.name} is {len(buf)} bytes; the buffer ABI passes at most 2 GiB - 1")
        return encoded

    def check(self, exports: Mapping[str, FuncSignature | None], where: str) -> None:
        """Raise ``ValueError`` naming the first required export that is missing or mistyped."""
        if "memory" not in exports:
            raise ValueError(f"{where}: the buffer ABI needs an exported 'memory'")
        for name, want in self.required_exports().items():
            if name not in exports:
                raise ValueError(f"{where}: the buffer ABI needs an export {name!r} {want}")
            if exports[name] != want:
                raise ValueError(f"{where}: export {name!r} has signature {exports[name]}, the buffer ABI needs {want}")

    def call(
        self,
        module: WasmModule,
        args: Sequence[Any] | Mapping[str, Any],
        *,
        limits: Limits | None = None,
        capabilities: Capabilities | None = None,
    ) -> CallResult:
        """Call the entry export of ``module`` with ``args`` (positional or by name); ``result.value`` is the
        decoded output."""
        try:
            self.check({n: e.signature for n, e in module.exports.items()}, module.name)
        except ValueError as exc:
            raise WasmArgumentError(str(exc)) from None
        encoded = self.encode(self.bind(args))
        return module.drive(lambda live: self.run(live, encoded), limits=limits, capabilities=capabilities)

    def run(self, live: LiveInstance, encoded: list[tuple[bytes | None, tuple[int | float, ...]]]) -> Any:
        """Drive one call in ``live``: copy inputs in, call the entry, check and copy the output out."""
        params: list[int | float] = []
        for p, (buf, extra) in zip(self.params, encoded, strict=True):
            if buf is None:
                params.extend(extra)
                continue
            ptr = live.call("alloc", len(buf)) & 0xFFFFFFFF
            if ptr == 0 and buf:
                raise WasmGuestError(f"the guest could not allocate {len(buf)} bytes for {p.name}")
            mem = live.memory()
            if ptr + len(buf) > mem.size:
                raise WasmAbiError(
                    f"alloc({len(buf)}) for {p.name} returned [{ptr}, {ptr + len(buf)}) outside its "
                    f"{mem.size}-byte memory"
                )
            mem.write(ptr, buf)
            params.extend((_to_i32(ptr), len(buf), *extra))
        packed = live.call(self.export, *params) & 0xFFFFFFFFFFFFFFFF
        ptr, length = packed >> 32, packed & 0xFFFFFFFF
        if ptr == 0:
            meaning = (self.error_codes or {}).get(length)
            reason = f": {meaning}" if meaning else ""
            raise WasmGuestError(
                f"the guest refused the input of {self.export!r} (error code {length}){reason}", code=length
            )
        mem = live.memory()
        if ptr + length > mem.size:
            raise WasmAbiError(
                f"{self.export!r} returned a buffer [{ptr}, {ptr + length}) outside its {mem.size}-byte memory"
            )
        data = mem.read(ptr, length)
        live.call("dealloc", _to_i32(ptr), _to_i32(length))
        return _decode(self.result, data)
