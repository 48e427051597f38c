"""Plain descriptions of a module's imports and exports, for capability checks and schema derivation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import wasmtime

__all__ = ["ExportInfo", "FuncSignature", "ImportInfo", "describe_exports", "describe_imports"]

ExternKind = Literal["func", "memory", "table", "global", "tag", "unknown"]


@dataclass(frozen=True, slots=True)
class FuncSignature:
    """Parameter and result value types of a function (``"i32"``, ``"i64"``, ``"f32"``, ``"f64"``, ...)."""

    params: tuple[str, ...]
    results: tuple[str, ...]

    def __str__(self) -> str:
        return f"({', '.join(self.params)}) -> ({', '.join(self.results)})"


@dataclass(frozen=True, slots=True)
class ExportInfo:
    """One export: its kind and, for functions, its signature."""

    name: str
    kind: ExternKind
    signature: FuncSignature | None = None


@dataclass(frozen=True, slots=True)
class ImportInfo:
    """One import the module asks the host for."""

    module: str
    name: str
    kind: ExternKind
    signature: FuncSignature | None = None

    @property
    def qualname(self) -> str:
        return f"{self.module}::{self.name}"


def _kind(ty: object) -> tuple[ExternKind, FuncSignature | None]:
    if isinstance(ty, wasmtime.FuncType):
        return "func", FuncSignature(tuple(str(p) for p in ty.params), tuple(str(r) for r in ty.results))
    if isinstance(ty, wasmtime.MemoryType):
        return "memory", None
    if isinstance(ty, wasmtime.TableType):
        return "table", None
    if isinstance(ty, wasmtime.GlobalType):
        return "global", None
    return "unknown", None


def describe_exports(module: wasmtime.Module) -> dict[str, ExportInfo]:
    out: dict[str, ExportInfo] = {}
    for exp in module.exports:
        kind, sig = _kind(exp.type)
        out[exp.name] = ExportInfo(exp.name, kind, sig)
    return out


def describe_imports(module: wasmtime.Module) -> tuple[ImportInfo, ...]:
    out = []
    for imp in module.imports:
        kind, sig = _kind(imp.type)
        out.append(ImportInfo(imp.module, imp.name or "", kind, sig))
    return tuple(out)
