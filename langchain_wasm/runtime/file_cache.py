"""Compile a large module *file* once, and load it back in milliseconds in later processes.

``WasmEngine.compile`` keys the cache by hashing the module's bytes and checks each artifact's SHA-256 before
mapping it, which is right for small guests. For a 104.5 MB module (CPython on WASI, whose artifact is ~350 MB)
both hashes cost most of a second on every process start. This cache keeps the same guarantees with stamps:

- the module file's SHA-256 is computed once and memoized against its stat stamp (device, inode, size,
  mtime, ctime); a file rewritten in any way has a new ctime and is hashed again;
- the artifact's sidecar records its SHA-256 *and* the stamp it had once written; a matching stamp proves
  nobody wrote the file since, so it is mapped without rehashing; any other stamp means a full hash check
  (a mismatch deletes and rebuilds the entry, as ``CompileCache`` does);
- entries live in the engine's cache directory (owner-only, never reachable by a guest) under keys that
  include the engine fingerprint and the module's SHA-256.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import warnings
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import wasmtime

from .cache import CompileCache
from .engine import WasmEngine

__all__ = ["CompileEvent", "compile_file", "file_sha256", "is_cached"]

_FORMAT = "langchain-wasm-file-cache/1"
_MEMO = "file-digests.json"

#: ``(event, info)`` with event ``"compile-start"`` / ``"compile-done"``; info holds ``path``, ``seconds``.
CompileEvent = Callable[[str, dict[str, Any]], None]

_lock = threading.Lock()
_key_locks: dict[str, threading.Lock] = {}
_seen: dict[tuple[str, str], tuple[list[int], str]] = {}  # (memo file, path) -> (stamp, digest), this process
_loaded: weakref.WeakKeyDictionary[WasmEngine, dict[str, wasmtime.Module]] = weakref.WeakKeyDictionary()


def _stamp(path: str | os.PathLike[str]) -> list[int]:
    st = os.stat(path)
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _hash(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: str | os.PathLike[str], cache_dir: Path | None) -> str:
    """SHA-256 of ``path``, memoized in ``cache_dir`` against the file's stat stamp."""
    real = os.path.realpath(path)
    stamp = _stamp(real)
    memo_path = cache_dir / _MEMO if cache_dir is not None else None
    memo: dict[str, Any] = {}
    if memo_path is not None:
        # what this process read or wrote for the same stamp: a load asks up to 4 times, each a JSON read
        seen = _seen.get((str(memo_path), real))
        if seen is not None and seen[0] == stamp:
            return seen[1]
        with contextlib.suppress(OSError, ValueError):
            memo = json.loads(memo_path.read_text())
        entry = memo.get(real)
        if isinstance(entry, dict) and entry.get("stamp") == stamp and isinstance(entry.get("sha256"), str):
            _seen[(str(memo_path), real)] = (stamp, str(entry["sha256"]))
            return str(entry["sha256"])
    digest = _hash(real)
    if memo_path is not None:
        memo[real] = {"stamp": stamp, "sha256": digest}
        with contextlib.suppress(OSError):
            CompileCache._write_atomic(memo_path, json.dumps(memo, indent=1).encode())
        _seen[(str(memo_path), real)] = (stamp, digest)
    return digest


def _paths(engine: WasmEngine, key: str) -> tuple[Path, Path] | None:
    directory = engine.cache_dir
    if directory is None:
        return None
    return directory / f"{key}.cwasm", directory / f"{key}.json"


def _key(engine: WasmEngine, digest: str) -> str:
    text = f"{_FORMAT}\0{engine.fingerprint}\0module\0{digest}"
    return hashlib.sha256(text.encode()).hexdigest()


def is_cached(engine: WasmEngine, path: str | os.PathLike[str]) -> bool:
    """True if ``path`` is compiled for ``engine`` in this process or in its disk cache (no compile needed)."""
    digest = file_sha256(path, engine.cache_dir)
    key = _key(engine, digest)
    if key in _loaded.get(engine, {}):
        return True
    paths = _paths(engine, key)
    return paths is not None and paths[0].exists() and paths[1].exists()


def compile_file(
    engine: WasmEngine, path: str | os.PathLike[str], *, on_event: CompileEvent | None = None
) -> wasmtime.Module:
    """The compiled module for the file at ``path``: from this process, else the disk cache, else compiled
    (and stored). ``on_event`` hears about a compile before it starts and after it ends.

    Raises:
        wasmtime.WasmtimeError: the file is not a valid module for this engine.
        OSError: the file cannot be read.
    """
    digest = file_sha256(path, engine.cache_dir)
    key = _key(engine, digest)
    with _lock:
        table = _loaded.setdefault(engine, {})
        module = table.get(key)
        key_lock = _key_locks.setdefault(key, threading.Lock())
    if module is not None:
        return module
    with key_lock:  # one compile per key, however many threads ask
        module = table.get(key)
        if module is None:
            module = _load(engine, key)
        if module is None:
            module = _compile(engine, path, digest, on_event)
            _store(engine, key, module)
        table[key] = module
    return module


def _load(engine: WasmEngine, key: str) -> wasmtime.Module | None:
    paths = _paths(engine, key)
    if paths is None or not paths[0].exists():
        return None
    artifact, sidecar = paths
    try:
        meta = json.loads(sidecar.read_text())
        stamp = _stamp(artifact)
        ok = (
            meta.get("format") == _FORMAT
            and meta.get("key") == key
            and meta.get("fingerprint") == engine.fingerprint
            and meta.get("size") == stamp[2]
        )
        if ok and meta.get("stamp") != stamp:  # touched since we wrote it: the full check
            ok = meta.get("sha256") == _hash(artifact)
            if ok:
                meta["stamp"] = _stamp(artifact)
                CompileCache._write_atomic(sidecar, json.dumps(meta, indent=1).encode())
        if ok:
            module: wasmtime.Module = wasmtime.Module.deserialize_file(engine.engine, str(artifact))
            return module
        reason = "its size, key or hash does not match its sidecar"
    except (OSError, ValueError, wasmtime.WasmtimeError) as exc:
        reason = str(exc)
    CompileCache.discard(paths, reason)
    return None


def _compile(
    engine: WasmEngine, path: str | os.PathLike[str], digest: str, on_event: CompileEvent | None
) -> wasmtime.Module:
    import time

    data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        raise OSError(f"{path} changed while it was being loaded; try again")
    info: dict[str, Any] = {"path": str(path), "bytes": len(data), "cache_dir": engine.cache_dir}
    if on_event is not None:
        on_event("compile-start", info)
    t0 = time.perf_counter()
    module = wasmtime.Module(engine.engine, data)
    del data
    info["seconds"] = time.perf_counter() - t0
    if on_event is not None:
        on_event("compile-done", info)
    return module


def _store(engine: WasmEngine, key: str, module: wasmtime.Module) -> None:
    paths = _paths(engine, key)
    if paths is None:
        return
    artifact, sidecar = paths
    try:
        data = bytes(module.serialize())
        meta: dict[str, Any] = {
            "format": _FORMAT,
            "key": key,
            "fingerprint": engine.fingerprint,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        CompileCache._write_atomic(artifact, data)
        del data
        meta["stamp"] = _stamp(artifact)
        CompileCache._write_atomic(sidecar, json.dumps(meta, indent=1).encode())
    except (OSError, wasmtime.WasmtimeError) as exc:
        warnings.warn(
            f"langchain-wasm: could not write compile cache entry ({exc}); keeping it in memory only",
            RuntimeWarning,
            stacklevel=4,
        )
