"""``ThreadSessions``: one Python session per conversation thread, kept live here and saved to a LangGraph store.

Without a store a session lives in this process only. With one (``SessionStore``, or the store LangGraph
gives the run), every successful run saves a snapshot, and the store is the truth: a process that finds the
thread's record newer than what it last wrote (another worker ran the thread, or this process restarted)
restores the session from it. A session that is really gone (ended by a limit, its snapshot refused or too
large to save) yields a note for the model instead of silently fresh state.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from .persist import SessionRecord, SessionStore
from .session import PythonSession
from .snapshot import SnapshotError

if TYPE_CHECKING:
    from .sandbox import WasmPythonSandbox

__all__ = ["ThreadSessions", "as_session_store"]

_log = logging.getLogger(__name__)
_NEW = "this is a new one, earlier variables are gone"


def as_session_store(store: Any) -> SessionStore | None:
    """``store`` as a ``SessionStore`` (a LangGraph ``BaseStore`` is wrapped with the default namespace)."""
    if store is None or isinstance(store, SessionStore):
        return store
    from langgraph.store.base import BaseStore

    if not isinstance(store, BaseStore):
        raise TypeError(f"session_store must be a SessionStore or a LangGraph BaseStore, got {type(store).__name__}")
    return SessionStore(store)


def _head(record: SessionRecord | None) -> tuple[str | None, str | None] | None:
    return None if record is None else (record.digest, record.ended)


class ThreadSessions:
    """Live sessions by thread key, reconciled with a store on every use (``acquire`` / ``commit`` / ``lost``)."""

    def __init__(self, sandbox: WasmPythonSandbox) -> None:
        self.sandbox = sandbox
        self._live: dict[str, PythonSession] = {}
        self._heads: dict[str, tuple[str | None, str | None]] = {}  # the record as this process last wrote it
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def lock(self, key: str) -> threading.Lock:
        """The lock serializing ``acquire``/run/``commit`` of one thread key in this process."""
        with self._lock:
            return self._locks.setdefault(key, threading.Lock())

    def acquire(self, key: str, store: SessionStore | None) -> tuple[PythonSession, str]:
        """The session for ``key`` and a note for the model (empty unless earlier state was lost)."""
        live = self._live.get(key)
        if store is None:
            if live is not None and live.alive:
                return live, ""
            note = f"the previous Python session had ended; {_NEW}" if live is not None else ""
            return self._start(key, None), note
        record = store.record(key)
        if live is not None and live.alive and (record is None or _head(record) == self._heads.get(key)):
            return live, ""
        if live is not None:
            live.close("superseded by the thread's saved state")
        note = ""
        if record is not None and record.digest is not None:
            try:
                blob = store.load_bytes(key, record)
                assert blob is not None
                session = self.sandbox.restore(blob)
            except SnapshotError as exc:
                note = f"the previous Python session could not be restored ({exc}); {_NEW}"
                _log.warning("Python session %s not restored: %s", key, exc)
            else:
                self._live[key] = session
                self._heads[key] = (record.digest, None)
                return session, ""
        elif record is not None:
            note = f"the previous Python session had ended ({record.ended}); {_NEW}"
        elif live is not None:
            note = f"the previous Python session had ended; {_NEW}"
        return self._start(key, _head(record)), note

    def _start(self, key: str, head: tuple[str | None, str | None] | None) -> PythonSession:
        # A new session counts as in step with the record it replaces, until its first save.
        session = self._live[key] = self.sandbox.session()
        if head is None:
            self._heads.pop(key, None)
        else:
            self._heads[key] = head
        return session

    def commit(self, key: str, session: PythonSession, store: SessionStore | None) -> tuple[str | None, str]:
        """Save ``session`` after a successful run; returns its digest and a note if it could not be saved."""
        if store is None or not session.alive:
            return None, ""
        try:
            digest = store.save(key, session)
        except SnapshotError as exc:  # too large: it lives on here, but nowhere else can continue it
            reason = f"its state could not be saved ({exc})"
            store.mark_ended(key, reason)
            self._heads[key] = (None, reason)
            return None, f"the Python session's state is too large to keep ({exc}); it may be lost on a restart"
        self._heads[key] = (digest, None)
        return digest, ""

    def lost(self, key: str, session: PythonSession, store: SessionStore | None) -> None:
        """After a failed run: record the end for other processes, or save a session that survived."""
        if session.alive:
            self.commit(key, session, store)
        elif store is not None:
            reason = session.ended or "ended"
            store.mark_ended(key, reason)
            self._heads[key] = (None, reason)

    def get(self, key: str) -> PythonSession | None:
        """The live session of ``key`` in this process, if any."""
        return self._live.get(key)

    def close(self) -> None:
        """Close every live session (their saved state stays in the store)."""
        with self._lock:
            sessions, self._live = list(self._live.values()), {}
            self._heads.clear()
        for session in sessions:
            session.close()
