"""Doc comments of a component's WIT, read from a ``package-docs`` custom section.

wit-component stores WIT docs as JSON in a custom section named ``package-docs`` (one version byte, then the
JSON). ``wasm-tools component new`` does not carry it into the component it builds, but
``wasm-tools component wit WIT_DIR --wasm -o docs.wasm`` writes a binary WIT package that keeps it; a guest
manifest can point at that file (``wit_docs``). Without docs, the manifest's descriptions are used.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["WitDocs", "custom_sections", "read_wit_docs", "read_wit_docs_file"]


def _uleb(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def custom_sections(data: bytes) -> dict[str, bytes]:
    """Top-level custom sections of a module or component binary, by name (the last wins)."""
    out: dict[str, bytes] = {}
    pos = 8
    try:
        while pos < len(data):
            section = data[pos]
            size, pos = _uleb(data, pos + 1)
            end = pos + size
            if section == 0:
                name_len, npos = _uleb(data, pos)
                name = data[npos : npos + name_len].decode("utf-8", "replace")
                out[name] = data[npos + name_len : end]
            pos = end
    except IndexError:
        pass
    return out


@dataclass(frozen=True)
class WitDocs:
    """Docs of worlds and interfaces: function docs and, where present, per-param docs."""

    raw: Mapping[str, Any] = field(default_factory=dict)

    def _scopes(self, interface: str | None) -> list[Mapping[str, Any]]:
        if interface is None:
            return list((self.raw.get("worlds") or {}).values())
        short = interface.split("/")[-1].split("@")[0]
        interfaces = self.raw.get("interfaces") or {}
        return [v for k, v in interfaces.items() if k in (interface, short)]

    def function(self, name: str, interface: str | None) -> tuple[str, dict[str, str]]:
        """(function docs, {param: docs}) for ``name`` exported at top level or from ``interface``.

        WIT has no per-param doc syntax, so the second item is empty unless a future format adds it.
        """
        for scope in self._scopes(interface):
            funcs = {**(scope.get("funcs") or {}), **(scope.get("func_exports") or {})}
            if name in funcs:
                entry = funcs[name]
                text = entry if isinstance(entry, str) else entry.get("docs", "")
                return (text or "").strip(), {}
        return "", {}


def read_wit_docs_file(path: str | Path) -> WitDocs:
    """Docs from a binary WIT package file (``wasm-tools component wit DIR --wasm``)."""
    return read_wit_docs(Path(path).read_bytes())


def read_wit_docs(data: bytes) -> WitDocs:
    """The WIT docs in ``data`` (empty if the section is missing or unreadable)."""
    raw = custom_sections(data).get("package-docs")
    if not raw:
        return WitDocs()
    try:
        return WitDocs(json.loads(raw[1:].decode("utf-8")))
    except (ValueError, UnicodeDecodeError):
        return WitDocs()
