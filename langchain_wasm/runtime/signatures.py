"""Plain descriptions of a module's imports and exports, for capability checks and schema derivation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .binary import ModuleLayout

__all__ = ["ExportInfo", "FuncSignature", "ImportInfo", "describe"]

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


def describe(layout: ModuleLayout) -> tuple[dict[str, ExportInfo], tuple[ImportInfo, ...]]:
    """Exports and imports of a module read from its binary layout (see ``binary.py`` for why)."""

    def sig(type_index: int | None) -> FuncSignature | None:
        found = layout.func_signature(type_index)
        return FuncSignature(*found) if found is not None else None

    imports = tuple(
        ImportInfo(module, name, kind, sig(t) if kind == "func" else None)  # type: ignore[arg-type]
        for module, name, kind, t in layout.imports
    )
    exports: dict[str, ExportInfo] = {}
    for name, kind, index in layout.exports:
        signature = None
        if kind == "func" and 0 <= index < len(layout.func_types):
            signature = sig(layout.func_types[index])
        exports[name] = ExportInfo(name, kind, signature)  # type: ignore[arg-type]
    return exports, imports
