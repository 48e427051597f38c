"""A template's pages on disk, so a new process starts interpreters from it without installing the driver.

The driver install (unmarshal the driver, import ``ast``, ``json``, ``re``, ... from the zip) costs 3-15 ms of
every fresh interpreter; its result is ~1.4 MB of changed pages, the same in every interpreter. They are stored
once per cache next to the runtime's files (our private 0700 folder), under a name keyed by the runtime's
SHA-256, the engine fingerprint and the driver's source, and checked on the way in: magic, format, key,
sizes against the memory cap and a SHA-256 over the whole file; anything else is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
from pathlib import Path

from .guest_driver import DRIVER_SOURCE
from .runtime_files import PythonRuntime

__all__ = ["load_pages", "store_pages", "template_key", "template_path"]

PAGE = 4096  # the 4 KiB pages snapshots use too (snapshot.PAGE; not imported: a one-shot run needs no snapshot)

MAGIC = b"LCWPYTPL1\n"
FORMAT = 2  # 2: the header holds the turn options the driver in the pages already has
_DIGEST = 32

Runs = tuple[tuple[int, bytes], ...]


def template_key(runtime: PythonRuntime, modules: tuple[str, ...], reset: str) -> str:
    """What the pages depend on: the runtime build, the engine, the driver, the modules and our reset cell."""
    text = "\0".join((str(FORMAT), runtime.digest, runtime.engine.fingerprint, DRIVER_SOURCE, reset, ",".join(modules)))
    return hashlib.sha256(text.encode()).hexdigest()


def template_path(runtime: PythonRuntime, key: str) -> Path:
    """Where the template for ``key`` lives: the runtime's private folder (next to the stdlib zip's folder)."""
    return runtime.lib_dir.parent / f"template-{key[:32]}.bin"


def store_pages(path: Path, key: str, memory_size: int, runs: Runs, sent: dict[str, int] | None = None) -> None:
    """Write the template atomically (best effort: a read-only cache only costs the next process an install);
    ``sent``: the turn options its driver holds."""
    spans = [[o, len(c)] for o, c in runs]
    header = json.dumps({"format": FORMAT, "key": key, "memory": memory_size, "runs": spans, "sent": sent})
    body = b"".join([MAGIC, struct.pack("<I", len(header)), header.encode(), *(c for _, c in runs)])
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    with contextlib.suppress(OSError):
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(body + hashlib.sha256(body).digest())
        os.replace(tmp, path)
    with contextlib.suppress(OSError):
        tmp.unlink()


def load_pages(path: Path, key: str, memory_cap: int) -> tuple[int, Runs, dict[str, int] | None] | None:
    """``(memory_size, runs, sent)`` from ``path`` if it is an intact template for ``key`` that fits ``memory_cap``;
    ``None`` if it is missing, damaged, for another build or too large (the caller rebuilds it)."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 4 + _DIGEST:
        return None
    body = memoryview(blob)[:-_DIGEST]
    if hashlib.sha256(body).digest() != blob[-_DIGEST:]:
        return None
    try:
        start = len(MAGIC) + 4
        (hlen,) = struct.unpack_from("<I", blob, len(MAGIC))
        header = json.loads(blob[start : start + hlen])
        size, spans = int(header["memory"]), [(int(o), int(n)) for o, n in header["runs"]]
        if header.get("format") != FORMAT or header.get("key") != key:
            return None
        sent = header.get("sent")
        if sent is not None:
            sent = {str(k): int(v) for k, v in sent.items()}
    except (struct.error, ValueError, KeyError, TypeError, AttributeError):
        return None
    if size <= 0 or size > memory_cap or size % PAGE:
        return None
    runs, pos, end = [], start + hlen, len(body)
    for offset, length in spans:
        if offset < 0 or length <= 0 or offset % PAGE or offset + length > size or pos + length > end:
            return None
        runs.append((offset, blob[pos : pos + length]))
        pos += length
    return (size, tuple(runs), sent) if pos == end else None
