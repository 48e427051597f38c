"""Session snapshots: the interpreter's linear memory (as a diff against a fresh instance) plus its workspace.

The whole Python state (objects, imports, the heap, the driver) lives in linear memory; between turns the wasm
stack is empty and the module's globals are back at their start values, so copying memory out and writing it
into a fresh instance of the same module brings the interpreter back. Only 4 KiB pages that differ from a
fresh instance are kept, and the lot is compressed, so a snapshot after ``import pandas`` is a few MB.

What does not come back: open file handles (the host side of a WASI descriptor is not in memory), anything in
``/tmp``. A snapshot is bound to the exact runtime build (its SHA-256 is in the header) and is checked on the
way in: a SHA-256 over the whole blob (a damaged or altered blob never restores into a wrong state), sizes
against the memory cap, workspace names against escapes, decompression against bombs. The checksum is integrity,
not authenticity: whoever can write a blob can recompute it, so every other check still assumes a hostile blob.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from dataclasses import dataclass

from langchain_wasm.errors import WasmCallError

__all__ = ["PAGE", "SnapshotError", "SnapshotData", "changed_pages", "encode_snapshot", "decode_snapshot"]

MAGIC = b"LCWPYSNAP1\n"
PAGE = 4096
FORMAT = 2  # 2: a SHA-256 trailer over the whole blob
_DIGEST = 32
_BLOCK = 64 * 1024


class SnapshotError(WasmCallError):
    """The bytes are not a snapshot this runtime can restore (corrupt, another build, too large)."""


@dataclass(frozen=True, slots=True)
class SnapshotData:
    """A decoded snapshot: memory size, changed page runs ``(offset, bytes)``, the packed workspace."""

    memory_size: int
    runs: tuple[tuple[int, bytes], ...]
    workspace: bytes


def changed_pages(memory: bytes, baseline: bytes) -> list[tuple[int, int]]:
    """Runs ``(first_page, count)`` of 4 KiB pages that differ from ``baseline`` (zeros past its end)."""
    runs: list[tuple[int, int]] = []
    zero_block = bytes(_BLOCK)
    size = len(memory)

    def mark(page: int) -> None:
        if runs and runs[-1][0] + runs[-1][1] == page:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((page, 1))

    for start in range(0, size, _BLOCK):
        end = min(start + _BLOCK, size)
        base = baseline[start:end] if start < len(baseline) else zero_block[: end - start]
        if len(base) < end - start:
            base = base + bytes(end - start - len(base))
        block = memory[start:end]
        if block == base:
            continue
        for off in range(0, end - start, PAGE):
            if block[off : off + PAGE] != base[off : off + PAGE]:
                mark((start + off) // PAGE)
    return runs


def encode_snapshot(memory: bytes, baseline: bytes, workspace: bytes, *, runtime: str, level: int = 1) -> bytes:
    """The snapshot blob: header (JSON) + zlib(changed pages + workspace)."""
    runs = changed_pages(memory, baseline)
    header = json.dumps(
        {"format": FORMAT, "runtime": runtime, "memory": len(memory), "runs": runs, "workspace": len(workspace)}
    ).encode()
    comp = zlib.compressobj(level)
    parts = [MAGIC, struct.pack("<I", len(header)), header]
    for page, count in runs:
        parts.append(comp.compress(memory[page * PAGE : (page + count) * PAGE]))
    parts.append(comp.compress(workspace))
    parts.append(comp.flush())
    body = b"".join(parts)
    return body + hashlib.sha256(body).digest()


def decode_snapshot(blob: bytes, *, runtime: str, memory_cap: int, workspace_cap: int) -> SnapshotData:
    """Check and decode a blob from ``encode_snapshot`` (``SnapshotError`` if it does not fit)."""
    if not isinstance(blob, bytes | bytearray | memoryview) or bytes(blob[: len(MAGIC)]) != MAGIC:
        raise SnapshotError("not a langchain-wasm Python session snapshot")
    blob = bytes(blob)
    try:
        (hlen,) = struct.unpack_from("<I", blob, len(MAGIC))
        start = len(MAGIC) + 4
        header = json.loads(blob[start : start + hlen])
        size, runs, wlen = int(header["memory"]), header["runs"], int(header["workspace"])
        runs = [(int(p), int(n)) for p, n in runs]
    except (struct.error, ValueError, KeyError, TypeError) as exc:
        raise SnapshotError(f"the snapshot's header is corrupt ({exc})") from exc
    if header.get("format") != FORMAT:
        raise SnapshotError(
            f"the snapshot has format {header.get('format')!r}, this langchain-wasm reads format {FORMAT}; "
            "take a new snapshot"
        )
    if header.get("runtime") != runtime:
        raise SnapshotError("the snapshot was made by another build of the Python runtime; it cannot be restored")
    if len(blob) < start + hlen + _DIGEST or hashlib.sha256(blob[:-_DIGEST]).digest() != blob[-_DIGEST:]:
        raise SnapshotError("the snapshot is damaged or was altered (its SHA-256 does not match); it is refused")
    blob = blob[:-_DIGEST]
    if size > memory_cap:
        raise SnapshotError(f"the snapshot needs {size} bytes of memory, above the limit of {memory_cap}")
    if wlen < 0 or wlen > workspace_cap:
        raise SnapshotError(f"the snapshot's workspace ({wlen} bytes) is above the cap of {workspace_cap}")
    expected = 0
    for page, count in runs:
        if page < 0 or count <= 0 or (page + count) * PAGE > size:
            raise SnapshotError("the snapshot's page map does not fit its memory size")
        expected += count * PAGE
    expected += wlen
    decomp = zlib.decompressobj()
    try:
        payload = decomp.decompress(blob[start + hlen :], expected + 1)
    except zlib.error as exc:
        raise SnapshotError(f"the snapshot's data is corrupt ({exc})") from exc
    if len(payload) != expected or decomp.unconsumed_tail or not decomp.eof:
        raise SnapshotError("the snapshot's data does not match its header")
    out, pos = [], 0
    for page, count in runs:
        out.append((page * PAGE, payload[pos : pos + count * PAGE]))
        pos += count * PAGE
    return SnapshotData(size, tuple(out), payload[pos:])
