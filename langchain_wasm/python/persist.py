"""``SessionStore``: Python session snapshots kept in a LangGraph store, so a session outlives its process.

A snapshot (0.5 MB bare, ~14 MB with pandas) is stored content-addressed under the key's own namespaces: its
bytes in base64 chunks (stores keep JSON values), a small manifest beside them, and the key's record points at
its digest. Loading re-hashes the
bytes and refuses a blob whose digest does not match (tampered, truncated) before the runtime checks it
(foreign build, corrupt). Only the newest ``keep`` blobs of a key are kept; the rest, and blobs a crashed
writer left behind, are deleted on the next save. Nothing here ever goes into messages or graph state.

Write order makes a crash harmless: the blob's chunks and manifest in one batch (one transaction in
``PostgresStore``), then the record (one put, so the pointer flips atomically), then collection of old blobs.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .session import PythonSession
from .snapshot import SnapshotError

if TYPE_CHECKING:
    from langgraph.store.base import BaseStore, Op

    from .sandbox import WasmPythonSandbox

__all__ = ["SessionRecord", "SessionStore"]

_CHUNK = 4 * 1024 * 1024  # raw bytes per store item (~5.6 MB of base64 JSON each)
_PREFIX = "sha256:"


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """What the store says about a key: the current blob's digest, or why the session ended."""

    digest: str | None
    size: int
    saved: float
    ended: str | None = None


def _key_label(key: str) -> str:
    # Namespace labels may not contain "." (LangGraph's rule), and keys are the caller's: hash them.
    return hashlib.sha256(key.encode()).hexdigest()[:40]


class SessionStore:
    """Python session snapshots in a LangGraph BaseStore: content-addressed, integrity-checked, bounded.

    Example:
        .. code-block:: python

            from langgraph.store.memory import InMemoryStore
            sessions = SessionStore(InMemoryStore())
            digest = sessions.save("thread-1", session)          # "sha256:..."
            again = sessions.load("thread-1", sandbox)           # a new PythonSession with the same state

    Args:
        store: any LangGraph store (``InMemoryStore``, ``SqliteStore``, ``PostgresStore``, the server's).
        namespace: where records and blobs go.
        keep: blobs kept per key (the current one and ``keep - 1`` older ones).
        max_bytes: the largest snapshot stored or loaded; larger ones raise ``SnapshotError``.
    """

    def __init__(
        self,
        store: BaseStore,
        *,
        namespace: tuple[str, ...] = ("langchain_wasm", "python_sessions"),
        keep: int = 2,
        max_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        if keep < 1:
            raise ValueError("keep must be >= 1 (the current snapshot)")
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        if not namespace or any(not label or "." in label for label in namespace):
            raise ValueError(f"namespace labels must be non-empty and contain no '.': {namespace!r}")
        self.store = store
        self.namespace = tuple(namespace)
        self.keep = keep
        self.max_bytes = max_bytes

    # -- layout --------------------------------------------------------------------------------------------
    def _records(self) -> tuple[str, ...]:
        return (*self.namespace, "records")

    def _manifests(self, key: str) -> tuple[str, ...]:
        return (*self.namespace, "manifests", _key_label(key))

    def _chunks(self, key: str, hexd: str) -> tuple[str, ...]:
        return (*self.namespace, "chunks", _key_label(key), hexd)

    @staticmethod
    def _check_key(key: str) -> None:
        if not isinstance(key, str) or not key:
            raise ValueError(f"a session key is a non-empty str, got {key!r}")

    # -- saving --------------------------------------------------------------------------------------------
    def _encode(self, key: str, blob: bytes) -> tuple[str, list[Op]]:
        from langgraph.store.base import PutOp

        if len(blob) > self.max_bytes:
            raise SnapshotError(
                f"the Python session's snapshot is {len(blob)} bytes, above the store's limit of {self.max_bytes}; "
                "it was not saved (free memory or files in the session, or raise max_bytes)"
            )
        hexd = hashlib.sha256(blob).hexdigest()
        digest = _PREFIX + hexd
        chunks = [blob[i : i + _CHUNK] for i in range(0, len(blob), _CHUNK)] or [b""]
        ops: list[Op] = [
            PutOp(self._chunks(key, hexd), str(n), {"data": base64.b64encode(c).decode("ascii")}, index=False)
            for n, c in enumerate(chunks)
        ]
        manifest = {"digest": digest, "size": len(blob), "chunks": len(chunks), "key": key, "saved": time.time()}
        ops.append(PutOp(self._manifests(key), hexd, manifest, index=False))
        return digest, ops

    def _record_op(self, key: str, digest: str | None, size: int, history: list[str], ended: str | None) -> Op:
        from langgraph.store.base import PutOp

        value = {"digest": digest, "size": size, "saved": time.time(), "history": history, "ended": ended}
        return PutOp(self._records(), key, value, index=False)

    def _history(self, value: dict[str, Any] | None, digest: str | None) -> list[str]:
        old = [d for d in (value or {}).get("history", []) if isinstance(d, str) and d != digest]
        return ([digest] if digest else []) + old[: self.keep - (1 if digest else 0)]

    def _garbage(self, key: str, manifests: Sequence[Any], kept: list[str]) -> list[Op]:
        """Delete ops for every blob of ``key`` not in ``kept`` (its chunks, then its manifest)."""
        from langgraph.store.base import PutOp

        keep = {d.removeprefix(_PREFIX) for d in kept}
        ops: list[Op] = []
        for item in manifests:
            if item.key in keep:
                continue
            count = item.value.get("chunks") if isinstance(item.value, dict) else None
            count = count if isinstance(count, int) and 0 < count <= self.max_bytes // _CHUNK + 1 else 1
            ops.extend(PutOp(self._chunks(key, item.key), str(n), None) for n in range(count))
            ops.append(PutOp(self._manifests(key), item.key, None))
        return ops

    def save(self, key: str, session: PythonSession) -> str:
        """Snapshot ``session`` and make it ``key``'s current state; returns the blob's ``"sha256:<hex>"``.

        Raises:
            SnapshotError: the snapshot is larger than ``max_bytes`` (nothing is stored).
            SessionEndedError: the session has ended.
        """
        self._check_key(key)
        digest, ops = self._encode(key, session.snapshot())
        return self._commit(key, digest, ops)

    def _commit(self, key: str, digest: str, ops: list[Op]) -> str:
        from langgraph.store.base import GetOp

        existing, current = self.store.batch(
            [GetOp(self._manifests(key), digest.removeprefix(_PREFIX)), self._get(key)]
        )
        if existing is None:  # content-addressed: an identical blob is not written twice
            self.store.batch(ops)
        history = self._history(_value(current), digest)
        self.store.batch([self._record_op(key, digest, _size(ops), history, None)])
        self._batch(self._garbage(key, self._list(key), history))
        return digest

    def _batch(self, ops: list[Op]) -> None:
        if ops:
            self.store.batch(ops)

    async def asave(self, key: str, session: PythonSession) -> str:
        """``save`` for async code: the snapshot is taken on a worker thread, the store is awaited."""
        from langgraph.store.base import GetOp

        self._check_key(key)
        blob = await asyncio.to_thread(session.snapshot)
        digest, ops = await asyncio.to_thread(self._encode, key, blob)
        existing, current = await self.store.abatch(
            [GetOp(self._manifests(key), digest.removeprefix(_PREFIX)), self._get(key)]
        )
        if existing is None:
            await self.store.abatch(ops)
        history = self._history(_value(current), digest)
        await self.store.abatch([self._record_op(key, digest, _size(ops), history, None)])
        garbage = self._garbage(key, await self.store.asearch(self._manifests(key), limit=10_000), history)
        if garbage:
            await self.store.abatch(garbage)
        return digest

    def _get(self, key: str) -> Op:
        from langgraph.store.base import GetOp

        return GetOp(self._records(), key)

    def _list(self, key: str) -> list[Any]:
        return list(self.store.search(self._manifests(key), limit=10_000))

    # -- records -------------------------------------------------------------------------------------------
    @staticmethod
    def _parse(item: Any) -> SessionRecord | None:
        if item is None:
            return None
        value = item.value if isinstance(item.value, dict) else {}
        digest = value.get("digest")
        ended = value.get("ended")
        return SessionRecord(
            digest=digest if isinstance(digest, str) else None,
            size=int(value.get("size") or 0),
            saved=float(value.get("saved") or 0.0),
            ended=ended if isinstance(ended, str) else None,
        )

    def record(self, key: str) -> SessionRecord | None:
        """``key``'s record (cheap: one small item), or ``None`` if nothing was ever saved or it was deleted."""
        self._check_key(key)
        return self._parse(self.store.get(self._records(), key))

    async def arecord(self, key: str) -> SessionRecord | None:
        """``record`` for async code."""
        self._check_key(key)
        return self._parse(await self.store.aget(self._records(), key))

    def mark_ended(self, key: str, reason: str) -> None:
        """Record that ``key``'s session ended (a limit, ``exit()``): its blobs go, the reason stays, so the
        next process to pick the key up can tell the model the state is gone."""
        self._check_key(key)
        self.store.batch([self._record_op(key, None, 0, [], reason)])
        self._batch(self._garbage(key, self._list(key), []))

    # -- loading -------------------------------------------------------------------------------------------
    def _blob_ops(self, key: str, record: SessionRecord) -> tuple[str, list[Op]]:
        from langgraph.store.base import GetOp

        assert record.digest is not None
        hexd = record.digest.removeprefix(_PREFIX)
        if not record.digest.startswith(_PREFIX) or len(hexd) != 64:
            raise SnapshotError(f"the session record of {key!r} names no valid snapshot digest ({record.digest!r})")
        return hexd, [GetOp(self._manifests(key), hexd)]

    def _chunk_ops(self, key: str, hexd: str, manifest: Any) -> list[Op]:
        from langgraph.store.base import GetOp

        if manifest is None:
            raise SnapshotError(f"the Python session snapshot sha256:{hexd} of {key!r} is missing from the store")
        value = manifest.value if isinstance(manifest.value, dict) else {}
        size, chunks = value.get("size"), value.get("chunks")
        if not isinstance(size, int) or not isinstance(chunks, int) or size < 0 or chunks < 1:
            raise SnapshotError(f"the manifest of snapshot sha256:{hexd} of {key!r} is corrupt")
        if size > self.max_bytes:
            raise SnapshotError(
                f"the stored snapshot of {key!r} is {size} bytes, above the limit of {self.max_bytes}; refused"
            )
        if chunks > size // _CHUNK + 1:
            raise SnapshotError(f"the manifest of snapshot sha256:{hexd} of {key!r} claims too many chunks")
        if value.get("key") != key:
            raise SnapshotError(f"snapshot sha256:{hexd} was saved for another session, not {key!r}; refused")
        return [GetOp(self._chunks(key, hexd), str(n)) for n in range(chunks)]

    def _join(self, key: str, hexd: str, items: Sequence[Any]) -> bytes:
        parts = []
        total = 0
        for n, item in enumerate(items):
            data = item.value.get("data") if item is not None and isinstance(item.value, dict) else None
            if not isinstance(data, str):
                raise SnapshotError(f"chunk {n} of snapshot sha256:{hexd} of {key!r} is missing or corrupt")
            total += len(data)
            if total > (self.max_bytes // 3 + 1) * 4 + 4:
                raise SnapshotError(f"the stored snapshot of {key!r} is above the limit of {self.max_bytes} bytes")
            try:
                parts.append(base64.b64decode(data, validate=True))
            except (binascii.Error, ValueError) as exc:
                raise SnapshotError(f"chunk {n} of snapshot sha256:{hexd} of {key!r} is corrupt ({exc})") from exc
        blob = b"".join(parts)
        if hashlib.sha256(blob).hexdigest() != hexd:
            raise SnapshotError(
                f"the stored snapshot of {key!r} does not match its digest sha256:{hexd} (altered or corrupted "
                "in the store); it was refused and not restored"
            )
        return blob

    def load(self, key: str, sandbox: WasmPythonSandbox) -> PythonSession | None:
        """A new session in ``sandbox`` with ``key``'s saved state, or ``None`` if nothing is saved.

        Raises:
            SnapshotError: the blob is missing, too large, does not match its digest, or the runtime refuses
                it (another build, corrupt).
        """
        blob = self.load_bytes(key)
        return None if blob is None else sandbox.restore(blob)

    def load_bytes(self, key: str, record: SessionRecord | None = None) -> bytes | None:
        """The verified snapshot bytes of ``key`` (``None``: nothing saved); see ``load``."""
        self._check_key(key)
        record = record or self.record(key)
        if record is None or record.digest is None:
            return None
        hexd, ops = self._blob_ops(key, record)
        (manifest,) = self.store.batch(ops)
        chunks = self.store.batch(self._chunk_ops(key, hexd, manifest))
        return self._join(key, hexd, chunks)

    async def aload(self, key: str, sandbox: WasmPythonSandbox) -> PythonSession | None:
        """``load`` for async code: the store is awaited, hashing and restoring run on a worker thread."""
        self._check_key(key)
        record = await self.arecord(key)
        if record is None or record.digest is None:
            return None
        hexd, ops = self._blob_ops(key, record)
        (manifest,) = await self.store.abatch(ops)
        chunks = await self.store.abatch(self._chunk_ops(key, hexd, manifest))
        blob = await asyncio.to_thread(self._join, key, hexd, chunks)
        return await asyncio.to_thread(sandbox.restore, blob)

    # -- deleting ------------------------------------------------------------------------------------------
    def delete(self, key: str) -> None:
        """Forget ``key``: its record and all its blobs."""
        from langgraph.store.base import PutOp

        self._check_key(key)
        self.store.batch([PutOp(self._records(), key, None)])
        self._batch(self._garbage(key, self._list(key), []))


def _value(item: Any) -> dict[str, Any] | None:
    value = getattr(item, "value", None)
    return value if isinstance(value, dict) else None


def _size(ops: list[Op]) -> int:
    value = getattr(ops[-1], "value", None) or {}
    return int(value.get("size", 0))
