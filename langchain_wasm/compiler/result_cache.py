"""Compiled programs, cached by a hash of everything that decides the output (toolchain, language, mode,
exports, flags, source): the same request never runs clang twice, in this process or a later one.

Entries are ``.wasm`` files (not native code: they are compiled and checked by the engine like any module)
plus a sidecar with the warnings, under an owner-only folder beside the compile cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from langchain_wasm.runtime.cache import CompileCache, default_cache_dir

__all__ = ["ResultCache", "request_key"]

_FORMAT = "langchain-wasm-cc/1"
_MEMORY_ENTRIES = 64


def request_key(**parts: Any) -> str:
    """The SHA-256 of the request's parts (JSON, sorted keys)."""
    text = json.dumps({"format": _FORMAT, **parts}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


class ResultCache:
    """``key -> (wasm, warnings)`` in memory (LRU) and on disk (``None`` directory: memory only)."""

    def __init__(self, directory: str | os.PathLike[str] | bool | None = True) -> None:
        if directory is True:
            directory = Path(str(default_cache_dir()) + "-cc")
        self.directory = Path(directory) if isinstance(directory, str | os.PathLike) else None
        self._memory: OrderedDict[str, tuple[bytes, list[dict[str, Any]]]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str) -> tuple[bytes, list[dict[str, Any]]] | None:
        with self._lock:
            entry = self._memory.get(key)
            if entry is not None:
                self._memory.move_to_end(key)
                self.hits += 1
                return entry
        entry = self._read(key)
        with self._lock:
            if entry is None:
                self.misses += 1
                return None
            self.hits += 1
            self._remember(key, entry)
        return entry

    def put(self, key: str, wasm: bytes, warnings: list[dict[str, Any]]) -> None:
        with self._lock:
            self._remember(key, (wasm, warnings))
        if self.directory is None:
            return
        with contextlib.suppress(OSError):
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            meta = {"format": _FORMAT, "sha256": hashlib.sha256(wasm).hexdigest(), "warnings": warnings}
            CompileCache._write_atomic(self.directory / f"{key}.wasm", wasm)
            CompileCache._write_atomic(self.directory / f"{key}.json", json.dumps(meta).encode())

    def _remember(self, key: str, entry: tuple[bytes, list[dict[str, Any]]]) -> None:
        self._memory[key] = entry
        self._memory.move_to_end(key)
        while len(self._memory) > _MEMORY_ENTRIES:
            self._memory.popitem(last=False)

    def _read(self, key: str) -> tuple[bytes, list[dict[str, Any]]] | None:
        if self.directory is None:
            return None
        try:
            meta = json.loads((self.directory / f"{key}.json").read_text())
            wasm = (self.directory / f"{key}.wasm").read_bytes()
        except (OSError, ValueError):
            return None
        if meta.get("format") != _FORMAT or meta.get("sha256") != hashlib.sha256(wasm).hexdigest():
            return None  # a damaged or foreign entry is a miss; the next put overwrites it
        return wasm, list(meta.get("warnings") or [])
