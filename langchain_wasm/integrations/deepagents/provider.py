"""``WasmSandboxProvider``: the sandbox-provider interface Deep Agents tooling uses (``list``, ``get_or_create``,
``delete``), registered under the ``deepagents_code.sandbox_providers`` entry point as ``wasm``."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

from .backend import WasmSandbox

__all__ = ["WasmSandboxProvider"]


class WasmSandboxProvider:
    """Local Wasm sandboxes by id: nothing to sign up for, nothing leaves the machine.

    Args:
        **options: passed to every ``WasmSandbox`` (``timeout``, ``store``, ``python``, ...).
    """

    def __init__(self, **options: Any) -> None:
        self.options = options
        self._sandboxes: dict[str, WasmSandbox] = {}
        self._lock = threading.Lock()

    def list(self, *, cursor: str | None = None, **kwargs: Any) -> dict[str, Any]:
        with self._lock:
            items = [{"sandbox_id": sid, "metadata": {"kind": "wasm"}} for sid in sorted(self._sandboxes)]
        return {"items": items, "cursor": None}

    def get_or_create(self, *, sandbox_id: str | None = None, **kwargs: Any) -> WasmSandbox:
        """The sandbox ``sandbox_id`` (a new id, and sandbox, when ``None``)."""
        sid = sandbox_id or uuid.uuid4().hex[:12]
        with self._lock:
            found = self._sandboxes.get(sid)
            if found is None:
                found = self._sandboxes[sid] = WasmSandbox(thread_id=sid, per_thread=False, **self.options)
        return found

    def delete(self, *, sandbox_id: str, **kwargs: Any) -> None:
        with self._lock:
            sandbox = self._sandboxes.pop(sandbox_id, None)
        if sandbox is not None:
            sandbox.delete_sandbox()

    async def alist(self, *, cursor: str | None = None, **kwargs: Any) -> dict[str, Any]:
        return self.list(cursor=cursor, **kwargs)

    async def aget_or_create(self, *, sandbox_id: str | None = None, **kwargs: Any) -> WasmSandbox:
        return await asyncio.to_thread(self.get_or_create, sandbox_id=sandbox_id, **kwargs)

    async def adelete(self, *, sandbox_id: str, **kwargs: Any) -> None:
        await asyncio.to_thread(self.delete, sandbox_id=sandbox_id, **kwargs)
