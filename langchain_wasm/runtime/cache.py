"""On-disk cache of compiled modules, so a second process deserializes instead of compiling.

Entries are native code that wasmtime maps and runs as-is, so they are treated as such:
- keyed by the module's SHA-256, the wasmtime version and the engine configuration;
- stored with owner-only permissions in a directory no guest is ever granted (preopens of it are refused);
- each artifact has a sidecar recording its own SHA-256; an entry whose hash, size or key does not match is
  deleted and rebuilt, never deserialized;
- an unusable directory (not ours, too open, unwritable, disk full) degrades to an in-memory cache with a warning.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import wasmtime

__all__ = ["CompileCache", "clear_cache_dir", "default_cache_dir"]

_FORMAT = "langchain-wasm-compile-cache/1"


def default_cache_dir() -> Path:
    """``$LANGCHAIN_WASM_CACHE_DIR``, else ``$XDG_CACHE_HOME/langchain-wasm``, else ``~/.cache/langchain-wasm``."""
    explicit = os.environ.get("LANGCHAIN_WASM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "langchain-wasm"


#: Our entries' names; compiled by ``re`` on first use (only ``clear_cache_dir`` needs it), not at import.
_ENTRY = r"^(\.tmp-.*|[0-9a-f]{64}\.(cwasm|json))$"


def clear_cache_dir(directory: str | os.PathLike[str]) -> tuple[int, int]:
    """Delete the compile-cache entries in ``directory`` (only files named like ours, so a cache directory
    pointed at the wrong place loses nothing else). Returns (files removed, bytes freed)."""
    removed = freed = 0
    folder = Path(directory)
    if not folder.is_dir():
        return 0, 0
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False) and re.match(_ENTRY, entry.name):
            size = entry.stat(follow_symlinks=False).st_size
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed, freed = removed + 1, freed + size
    with contextlib.suppress(OSError):
        folder.rmdir()  # only if now empty
    return removed, freed


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class CompileCache:
    """Compiled-module cache for one engine configuration (``fingerprint``)."""

    def __init__(self, directory: str | os.PathLike[str] | None, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        self._memory: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self.directory: Path | None = None
        self.hits = self.misses = self.rejected = 0
        if directory is not None:
            self.directory = self._prepare(Path(directory))

    def _prepare(self, directory: Path) -> Path | None:
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = directory.stat()
            if info.st_uid != os.getuid():
                raise PermissionError(f"{directory} is owned by uid {info.st_uid}, not by this user")
            if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                raise PermissionError(f"{directory} is writable by group or others")
            if info.st_mode & 0o077:
                os.chmod(directory, 0o700)
            if not os.access(directory, os.W_OK | os.X_OK):
                raise PermissionError(f"{directory} is not writable")
        except OSError as exc:
            warnings.warn(
                f"langchain-wasm: compile cache disabled, using memory only ({exc})",
                RuntimeWarning,
                stacklevel=3,
            )
            return None
        return directory

    def key(self, wasm: bytes, kind: str = "module") -> str:
        """Cache key of ``wasm`` (a core ``module`` or a ``component``) under this engine configuration."""
        digest = hashlib.sha256()
        digest.update(_FORMAT.encode() + b"\0" + self.fingerprint.encode() + b"\0" + kind.encode() + b"\0")
        digest.update(wasm)
        return digest.hexdigest()

    def paths(self, key: str) -> tuple[Path, Path] | None:
        """Artifact and sidecar paths of ``key`` (None without a directory)."""
        if self.directory is None:
            return None
        return self.directory / f"{key}.cwasm", self.directory / f"{key}.json"

    def get_or_compile(
        self,
        wasm: bytes,
        engine: wasmtime.Engine,
        compile_fn: Callable[[], Any],
        *,
        kind: str = "module",
        deserialize_file: Callable[[wasmtime.Engine, str], Any] = wasmtime.Module.deserialize_file,
    ) -> Any:
        """The compiled artifact for ``wasm``: from memory, else disk, else ``compile_fn()`` (then stored).

        ``kind`` and ``deserialize_file`` select core modules (default) or components.
        """
        key = self.key(wasm, kind)
        module = self._memory.get(key)
        if module is not None:
            return module
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one compile per key even when many threads ask at once
            module = self._memory.get(key)
            if module is None:
                module = self._load(key, engine, deserialize_file)
                if module is None:
                    self.misses += 1
                    module = compile_fn()
                    self._store(key, module)
                else:
                    self.hits += 1
                self._memory[key] = module
        return module

    def _load(self, key: str, engine: wasmtime.Engine, deserialize_file: Callable[[wasmtime.Engine, str], Any]) -> Any:
        paths = self.paths(key)
        if paths is None:
            return None
        artifact, sidecar = paths
        if not artifact.exists() and not sidecar.exists():
            return None
        try:
            meta = json.loads(sidecar.read_text())
            ok = (
                meta.get("format") == _FORMAT
                and meta.get("key") == key
                and meta.get("fingerprint") == self.fingerprint
                and meta.get("size") == artifact.stat().st_size
                and meta.get("sha256") == _file_sha256(artifact)
            )
            if ok:
                return deserialize_file(engine, str(artifact))
            reason = "its hash, size or key does not match its sidecar"
        except (OSError, ValueError, wasmtime.WasmtimeError) as exc:
            reason = str(exc)
        self.rejected += 1
        self.discard(paths, reason)
        return None

    @staticmethod
    def discard(paths: tuple[Path, Path], reason: str) -> None:
        """Warn that a cache entry was rejected and delete its artifact and sidecar (it will be rebuilt)."""
        warnings.warn(
            f"langchain-wasm: rejected compile cache entry {paths[0].name} ({reason}); recompiling",
            RuntimeWarning,
            stacklevel=5,
        )
        for path in paths:
            with contextlib.suppress(OSError):
                path.unlink()

    def _store(self, key: str, module: Any) -> None:
        paths = self.paths(key)
        if paths is None:
            return
        artifact, sidecar = paths
        try:
            data = bytes(module.serialize())
            meta = {
                "format": _FORMAT,
                "key": key,
                "fingerprint": self.fingerprint,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
            self._write_atomic(artifact, data)
            self._write_atomic(sidecar, json.dumps(meta, indent=1).encode())
        except (OSError, wasmtime.WasmtimeError) as exc:
            warnings.warn(
                f"langchain-wasm: could not write compile cache entry ({exc}); keeping it in memory only",
                RuntimeWarning,
                stacklevel=4,
            )

    @staticmethod
    def _write_atomic(path: Path, data: bytes) -> None:
        import tempfile  # only when an entry is written (a compile)

        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def clear_memory(self) -> None:
        """Forget in-process entries (the disk cache stays)."""
        self._memory.clear()
