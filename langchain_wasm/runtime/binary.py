"""A minimal reader of a core module's type, import, function, memory, export and start sections.

Why not wasmtime-py's ``Module.exports``: asking it for the kind of a ``v128`` (or typed reference) value type
aborts the whole process inside the C API (``wasm_valtype_kind``). Signatures are therefore read from the
binary itself, after wasmtime has validated it; anything unusual becomes an opaque type name, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ModuleLayout", "read_layout"]

_VALTYPES = {
    0x7F: "i32",
    0x7E: "i64",
    0x7D: "f32",
    0x7C: "f64",
    0x7B: "v128",
    0x70: "funcref",
    0x6F: "externref",
}
_KINDS = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}


class _Reader:
    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise ValueError("unexpected end of section")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def uleb(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def sleb(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                if b & 0x40:
                    result -= 1 << shift
                return result

    def name(self) -> str:
        n = self.uleb()
        raw = self.data[self.pos : self.pos + n]
        self.pos += n
        return raw.decode("utf-8", "replace")

    def valtype(self) -> str:
        b = self.byte()
        if b in _VALTYPES:
            return _VALTYPES[b]
        if b in (0x63, 0x64):  # (ref null? heaptype)
            self.sleb()
            return "ref"
        return f"type(0x{b:02x})"

    def limits(self) -> int:
        flags = self.byte()
        minimum = self.uleb()
        if flags & 1:
            self.uleb()
        return minimum


@dataclass
class ModuleLayout:
    """Function signatures of imports and exports, and the minimum sizes of memories and tables."""

    types: list[tuple[tuple[str, ...], tuple[str, ...]] | None] = field(default_factory=list)
    imports: list[tuple[str, str, str, int | None]] = field(default_factory=list)  # module, name, kind, type
    func_types: list[int] = field(default_factory=list)  # type index per function (imports first)
    exports: list[tuple[str, str, int]] = field(default_factory=list)  # name, kind, index
    memory_min_pages: list[int] = field(default_factory=list)
    table_min_elements: list[int] = field(default_factory=list)
    start: int | None = None  # the start function's index: instantiating the module runs it

    def func_signature(self, type_index: int | None) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        if type_index is None or not 0 <= type_index < len(self.types):
            return None
        return self.types[type_index]


def _read_types(r: _Reader, out: ModuleLayout) -> None:
    for _ in range(r.uleb()):
        form = r.byte()
        if form != 0x60:  # GC rec groups / subtypes: record an opaque entry and stop reading this section
            out.types.append(None)
            return
        params = tuple(r.valtype() for _ in range(r.uleb()))
        results = tuple(r.valtype() for _ in range(r.uleb()))
        out.types.append((params, results))


def _read_imports(r: _Reader, out: ModuleLayout) -> None:
    for _ in range(r.uleb()):
        module, name, kind = r.name(), r.name(), r.byte()
        type_index: int | None = None
        if kind == 0:
            type_index = r.uleb()
            out.func_types.append(type_index)
        elif kind == 1:
            r.valtype()
            out.table_min_elements.append(r.limits())
        elif kind == 2:
            out.memory_min_pages.append(r.limits())
        elif kind == 3:
            r.valtype()
            r.byte()
        elif kind == 4:
            r.byte()
            type_index = r.uleb()
        out.imports.append((module, name, _KINDS.get(kind, "unknown"), type_index))


def read_layout(data: bytes) -> ModuleLayout:
    """Read what schema derivation and limit checks need. Raises ``ValueError`` on a malformed binary."""
    out = ModuleLayout()
    r = _Reader(data, 8)
    while r.pos < len(data):
        section, size = r.byte(), r.uleb()
        body = _Reader(data, r.pos, r.pos + size)
        r.pos += size
        if section == 1:
            _read_types(body, out)
        elif section == 2:
            _read_imports(body, out)
        elif section == 3:
            out.func_types.extend(body.uleb() for _ in range(body.uleb()))
        elif section == 4:
            for _ in range(body.uleb()):
                if body.data[body.pos] == 0x40:  # a table with an initializer expression (GC): stop reading
                    break
                body.valtype()
                out.table_min_elements.append(body.limits())
        elif section == 5:
            out.memory_min_pages.extend(body.limits() for _ in range(body.uleb()))
        elif section == 7:
            for _ in range(body.uleb()):
                name, kind, index = body.name(), body.byte(), body.uleb()
                out.exports.append((name, _KINDS.get(kind, "unknown"), index))
        elif section == 8:
            out.start = body.uleb()
    return out
