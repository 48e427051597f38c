"""``PythonSession``: a kept interpreter where variables, imports and files persist across runs."""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from langchain_wasm.errors import WasmCallError
from langchain_wasm.runtime.http_grant import HttpGrant
from langchain_wasm.runtime.limits import Limits

from .interpreter import Bridge, Interpreter
from .results import PythonResult, ResultCaps
from .runtime_files import PythonRuntime
from .snapshot import SnapshotData, encode_snapshot
from .template import Template
from .workspace import Workspace, with_changed_files

__all__ = ["PythonSession", "SessionEndedError", "SessionOwner"]


class SessionEndedError(WasmCallError):
    """The session is over (closed, reclaimed when idle, stopped by a limit, or the code called ``exit``).
    Its Python state is gone; start a new session, or restore a snapshot taken earlier."""


class SessionOwner(Protocol):
    """What a session needs from the sandbox that made it (``WasmPythonSandbox`` is one)."""

    @property
    def runtime(self) -> PythonRuntime: ...

    def runtime_for(self, limits: Limits) -> PythonRuntime: ...

    result_caps: ResultCaps
    workspace_root: str | os.PathLike[str] | None
    snapshot_workspace_bytes: int
    file_write_bytes: int | None
    workspace_bytes: int | None
    workspace_entries: int | None
    http: HttpGrant | None

    def baseline_memory(self) -> bytes: ...

    def _forget(self, session: PythonSession) -> None: ...


class PythonSession:
    """A kept CPython interpreter with a private workspace at ``/workspace``. Made by ``WasmPythonSandbox``.

    Each ``run`` is a cell: the value of a final expression is ``result.result``; variables and imports
    persist. A run that hits a limit (time, memory, a trap) raises the runtime's typed error and ends the
    session, as does ``exit()``; ``snapshot()`` first if you want to be able to come back. Runs are
    serialized (one at a time); sessions are independent and may run in parallel.
    """

    def __init__(
        self,
        sandbox: SessionOwner,
        *,
        limits: Limits,
        restore: SnapshotData | None = None,
        template: Template | None = None,
    ) -> None:
        self.id = uuid.uuid4().hex
        self.sandbox = sandbox
        self.limits = limits
        self.created = self.last_used = time.monotonic()
        self.runs = 0
        self._lock = threading.RLock()
        self._ended: str | None = None
        self.workspace = Workspace(sandbox.workspace_root)
        try:
            if restore is not None:
                self.workspace.unpack(restore.workspace, sandbox.snapshot_workspace_bytes)

            def fresh() -> Interpreter:
                return Interpreter(
                    sandbox.runtime_for(limits),  # the session's engine for its life (fuel-metering or not)
                    self.workspace,
                    limits,
                    install=restore is None and template is None,
                    file_write_bytes=sandbox.file_write_bytes,
                    http=sandbox.http,
                    workspace_bytes=sandbox.workspace_bytes,
                    workspace_entries=sandbox.workspace_entries,
                )

            if restore is None and template is not None:
                self._interp = template.start(fresh)
            else:
                self._interp = fresh()
                if restore is not None:
                    self._restore_memory(restore)
        except BaseException:
            self.workspace.remove()
            raise

    def _restore_memory(self, data: SnapshotData) -> None:
        if data.memory_size > self._interp.kept.memory_size():
            self._interp.write_memory(b"\0", data.memory_size - 1)  # grows memory to the snapshot's size
        for offset, chunk in data.runs:
            self._interp.write_memory(chunk, offset)
        check = self._interp.run("__import__('sys').modules['_lcw'] is not None", self.limits, ResultCaps())
        if check.result is not True:
            self._interp.close()
            raise WasmCallError(f"the restored interpreter does not answer as expected: {check.text(500)}")

    # -- running -------------------------------------------------------------------------------------------
    @property
    def ended(self) -> str | None:
        """Why the session ended, or ``None`` while it is alive."""
        return self._ended or self._interp.ended

    @property
    def alive(self) -> bool:
        return self.ended is None

    def _check(self) -> None:
        reason = self.ended
        if reason is not None:
            raise SessionEndedError(f"the Python session has ended ({reason}); its state is lost. Start a new session.")

    def run(
        self, code: str, *, timeout_s: float | None = None, limits: Limits | None = None, bridge: Bridge | None = None
    ) -> PythonResult:
        """Run ``code`` in the session; see ``WasmPythonSandbox.run`` for the result and the errors. ``bridge``
        answers the code's requests to the host during this run (see ``Interpreter.run``)."""
        if not isinstance(code, str):
            raise TypeError(f"code must be a str, got {type(code).__name__}")
        with self._lock:
            self._check()
            lim = self.limits if limits is None else limits.over(self.limits)
            if timeout_s is not None:
                lim = replace(lim, timeout_s=timeout_s)
            if lim.fuel is not None and not self._interp.runtime.engine.consume_fuel:
                raise ValueError(
                    f"this session was made without a fuel budget, so its interpreter runs on the build without "
                    f"fuel metering and cannot count fuel={lim.fuel}; bound this run by timeout_s, or make the "
                    "session with its budget: sandbox.session(limits=Limits(fuel=...))"
                )
            self.last_used = time.monotonic()
            before, used = self.workspace.survey()
            try:
                result = self._interp.run(code, lim, self.sandbox.result_caps, bridge=bridge, used=used)
                return with_changed_files(result, self.workspace, before, self.sandbox.result_caps)
            except WasmCallError as exc:
                if exc.args and isinstance(exc.args[0], str):
                    exc.args = (f"{exc.args[0]}. The Python session has ended and its state is lost.",)
                raise
            finally:
                self.runs += 1
                self.last_used = time.monotonic()
                if self._interp.ended is not None:
                    self._release()

    def live_output(self) -> bytes:
        """What the running ``run`` has printed to stdout so far (``b""`` between runs); safe from any thread."""
        live = self._interp.kept.live if self._interp.ended is None else None
        return bytes(live.stdout) if live is not None else b""

    # -- files ---------------------------------------------------------------------------------------------
    def put_file(self, path: str, data: bytes | str) -> str:
        """Write ``data`` to ``path`` in the workspace (relative, or under ``/workspace``); returns the guest path."""
        with self._lock:
            self._check()
            return self.workspace.write(path, data)

    def get_file(self, path: str) -> bytes:
        """The bytes of workspace file ``path`` (regular files only; links the code made are refused)."""
        with self._lock:
            self._check()
            return self.workspace.read(path, max_bytes=self.sandbox.result_caps.max_file_bytes)

    def upload(self, host_path: str | os.PathLike[str], path: str | None = None) -> str:
        """Copy a host file into the workspace (as ``path``, default its name); returns the guest path."""
        source = Path(host_path)
        return self.put_file(path or source.name, source.read_bytes())

    def download(self, path: str, host_path: str | os.PathLike[str]) -> Path:
        """Copy workspace file ``path`` to ``host_path`` on the host; returns the host path."""
        target = Path(host_path)
        target.write_bytes(self.get_file(path))
        return target

    def list_files(self) -> dict[str, int]:
        """Workspace files (relative path -> size in bytes)."""
        with self._lock:
            self._check()
            return {k: v[0] for k, v in sorted(self.workspace.files().items())}

    # -- persistence ---------------------------------------------------------------------------------------
    def snapshot(self) -> bytes:
        """The session's state as bytes (memory diff + workspace, compressed); ``sandbox.restore(blob)`` brings
        it back in a new session, in this process or another one with the same runtime build."""
        with self._lock:
            self._check()
            memory = self._interp.read_memory()
            packed = self.workspace.pack(self.sandbox.snapshot_workspace_bytes)
            baseline = self.sandbox.baseline_memory()
            return encode_snapshot(memory, baseline, packed, runtime=self.sandbox.runtime.digest)

    # -- life ----------------------------------------------------------------------------------------------
    def _release(self) -> None:
        self._interp.close(keep_reason=True)
        self.workspace.remove()
        self.sandbox._forget(self)

    def close(self, reason: str = "closed") -> None:
        """End the session and delete its workspace (idempotent)."""
        with self._lock:
            if self._ended is None:
                self._ended = reason
            self._release()

    def __enter__(self) -> PythonSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "alive" if self.alive else f"ended: {self.ended}"
        return f"PythonSession(id={self.id[:8]}, runs={self.runs}, {state})"

    def info(self) -> dict[str, Any]:
        """Id, age, runs, memory in use, workspace size."""
        return {
            "id": self.id,
            "alive": self.alive,
            "runs": self.runs,
            "age_s": time.monotonic() - self.created,
            "idle_s": time.monotonic() - self.last_used,
            "memory_bytes": self._interp.kept.memory_size() if self.alive else 0,
            "workspace_bytes": sum(v[0] for v in self.workspace.files().values()) if self.alive else 0,
        }
