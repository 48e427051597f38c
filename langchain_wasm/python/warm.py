"""Interpreters made ahead of time for one-shot runs, and used ones torn down off the caller's path.

A one-shot run needs a fresh interpreter: a workspace, an instance of the runtime, the driver installed (~3-8
ms here, most of a run). ``WarmPool`` makes the next one on a background thread while the agent is busy
elsewhere (an LLM turn takes far longer), so a run finds one ready and pays only for its own code. Each
interpreter is made exactly as the run would make it, from our code only, runs at most one user's code, and
is then closed; nothing is shared between runs. Closing (unmapping 40 MiB, deleting the workspace) also happens
on the background thread. When runs come back to back faster than the thread can make interpreters (a run finds
the next one still being made), the pool stops making ahead: each run makes its own, on its own thread, and
the pool's thread only closes, until a run starts ``QUIET_S`` after the last one ended. On two cores the pool's
thread shares the GIL with the runs, and making an interpreter is mostly Python: in one process, alternating
blocks of 30 runs, a burst's p50 was 2.93 ms with nothing made ahead against 3.43 ms before (7 of 8 blocks),
and 2.83 against 3.12 ms with the closes on the pool's thread rather than the run's (8 of 10 blocks).
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
import weakref
from collections.abc import Callable, Hashable

from langchain_wasm.runtime.http_grant import HttpGrant
from langchain_wasm.runtime.limits import Limits

from .interpreter import WORKSPACE_BYTES, WORKSPACE_ENTRIES, Interpreter
from .results import ResultCaps
from .runtime_files import PythonRuntime
from .template import Template
from .workspace import Workspace

__all__ = ["MAX_READY", "WARM_UP", "Ready", "WarmPool", "make_in", "new_pool", "warm_up"]

Ready = tuple[Interpreter, Workspace]
#: Interpreters kept made ahead per pool, one per kind of run (limits, runtime build): each holds ~40 MiB, and a
#: kind no longer asked for (the Winch build once Cranelift's is in) must not hold it for the process's life.
MAX_READY = 2
#: A run that starts this long after the last one ended is not part of a burst: the pool makes ahead again.
QUIET_S = 0.02
#: Past this many queued jobs a run closes its own interpreter (a long burst must not pile up closes).
MAX_QUEUED = 4


class WarmPool:
    """At most one interpreter made ahead per key, plus a queue of used ones to close, on one daemon thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._ready: dict[Hashable, Ready] = {}
        self._making: set[Hashable] = set()
        self._behind: set[Hashable] = set()
        self._ended: dict[Hashable, float] = {}  # when the last run of each key retired (monotonic)
        self._jobs: list[Callable[[], None]] = []
        self._thread: threading.Thread | None = None
        self._stopped = False

    def take(self, key: Hashable) -> Ready | None:
        """The interpreter made ahead for ``key``, or ``None`` if none is ready yet (the caller then makes its
        own). A run that finds the next one still being made marks ``key`` as behind: that one is finished
        without the warm-up turn (ready ~1.5 ms sooner; the run pays a cold first turn instead) and, until a run
        starts ``QUIET_S`` after the last one ended, ``retire`` makes nothing ahead (runs make their own)."""
        with self._cond:
            ready = self._ready.pop(key, None)
            if ready is None and key in self._making:
                self._behind.add(key)  # runs come faster than they are made: see retire
            elif key in self._behind and time.monotonic() - self._ended.get(key, 0.0) > QUIET_S:
                self._behind.discard(key)  # the burst is over
            return ready

    def retire(
        self, interp: Interpreter | None, workspace: Workspace, key: Hashable, make: Callable[[], Ready]
    ) -> None:
        """Close ``interp`` and delete ``workspace``, then make the next interpreter for ``key``, on the
        background thread (after the run, so the run itself never shares the CPU with the making); while ``key``
        is behind, only close them there (closing is mostly syscalls without the GIL; making is Python)."""

        def close() -> None:
            try:
                if interp is not None:
                    interp.close()
            finally:
                workspace.remove()

        with self._cond:
            self._ended[key] = time.monotonic()
            if not self._stopped and len(self._jobs) < MAX_QUEUED:
                if key not in self._behind:  # in a burst only the close (syscalls, little GIL) goes there
                    self._order(key, make)  # first: the next run should find it ready before the close is done
                self._jobs.append(close)
                self._start()
                self._cond.notify_all()
                return
        close()  # stopped, or the thread is that far behind: the caller closes its own

    def _order(self, key: Hashable, make: Callable[[], Ready]) -> None:
        if self._stopped or key in self._making or key in self._ready:
            return
        self._making.add(key)

        def build() -> None:
            ready: Ready | None = None
            try:
                ready = make()
                with self._cond:
                    behind = key in self._behind
                if not behind:
                    warm_up(ready[0])
                ready[1].remember_survey()  # no guest runs in it until a run takes it: its walk, done here
            except Exception:  # a failure shows up in the caller's own attempt; nothing is kept
                if ready is not None:
                    ready[0].close()
                    ready[1].remove()
                ready = None
            evicted: list[Ready] = []
            with self._cond:
                self._making.discard(key)
                if ready is not None and not self._stopped:
                    self._ready[key] = ready
                    ready = None
                    while len(self._ready) > MAX_READY:  # the oldest kind first (e.g. a Winch build after the
                        evicted.append(self._ready.pop(next(iter(self._ready))))  # switch to Cranelift)
                self._cond.notify_all()
            if ready is not None:  # stopped meanwhile
                evicted.append(ready)
            for interp, workspace in evicted:
                interp.close()
                workspace.remove()

        self._jobs.append(build)
        self._start()
        self._cond.notify_all()

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="langchain-wasm-warm", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._jobs and not self._stopped:
                    self._cond.wait()
                if not self._jobs:
                    ready, self._ready = list(self._ready.values()), {}
                    break
                job = self._jobs.pop(0)
            with contextlib.suppress(Exception):
                job()
            del job  # a finished job must not keep its sandbox alive while the thread waits
        for interp, workspace in ready:  # stopped: what was made ahead goes too
            with contextlib.suppress(Exception):
                interp.close()
            workspace.remove()

    def stop(self, *, wait: bool = True) -> None:
        """Finish queued work, close what was made ahead, and end the thread; ``wait`` for it (not from a
        finalizer, which may run on the pool's own thread)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
            thread = self._thread
            if thread is None:
                ready, self._ready = list(self._ready.values()), {}
            else:
                ready = []
        for interp, workspace in ready:
            interp.close()
            workspace.remove()
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10.0)


#: Our own first cell in an interpreter made ahead: it pulls in the pages and code paths every first run touches
#: (measured: a fresh interpreter's first run took 1.5 ms, later ones 0.4 ms) and restarts the cell numbering, so
#: the user's code is still <cell 1>.
WARM_UP = "__import__('sys').modules['_lcw']._count = 0"


def warm_up(interp: Interpreter) -> None:
    """Run ``WARM_UP`` in ``interp``; raise if it did not run cleanly (the interpreter is then not used)."""
    result = interp.run(WARM_UP, interp.limits, ResultCaps())
    if result.error is not None or result.exit_code or result.stdout or result.stderr:
        raise RuntimeError(f"warming up an interpreter failed: {result.error or result.stderr}")


def make_in(
    workspace: Workspace,
    runtime: PythonRuntime,
    lim: Limits,
    template: Template | None,
    file_write_bytes: int | None,
    http: HttpGrant | None = None,
    quota: tuple[int | None, int | None] = (WORKSPACE_BYTES, WORKSPACE_ENTRIES),
) -> Interpreter:
    """A fresh interpreter seeing ``workspace``: the driver installed, or ``template`` written in."""

    def fresh() -> Interpreter:
        return Interpreter(
            runtime,
            workspace,
            lim,
            install=template is None,
            file_write_bytes=file_write_bytes,
            http=http,
            workspace_bytes=quota[0],
            workspace_entries=quota[1],
        )

    return fresh() if template is None else template.start(fresh)


_pools: weakref.WeakSet[WarmPool] = weakref.WeakSet()


def new_pool(owner: object) -> WarmPool:
    """A pool stopped when ``owner`` is garbage collected (so a dropped sandbox does not keep an interpreter
    alive) and at interpreter exit (before daemon threads die mid-guest)."""
    pool = WarmPool()
    _pools.add(pool)
    weakref.finalize(owner, pool.stop, wait=False)
    return pool


@atexit.register
def _stop_all() -> None:
    for pool in list(_pools):
        pool.stop()
