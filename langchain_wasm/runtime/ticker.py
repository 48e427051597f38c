"""The epoch ticker: one daemon thread per engine advances the engine's epoch while calls are running.

Deadlines are set in ticks (``Store.set_epoch_deadline``); wasm checks the epoch at function entries and loop
back-edges and traps with INTERRUPT once it passes. The thread exits after a second without active calls and
is restarted by the next call, so an idle process has no thread waking up.
"""

from __future__ import annotations

import math
import threading
import time

import wasmtime

__all__ = ["EpochTicker"]

_IDLE_EXIT_S = 1.0


class EpochTicker:
    """Advances ``engine``'s epoch every ``interval_s`` seconds while at least one call holds it."""

    def __init__(self, engine: wasmtime.Engine, interval_s: float = 0.005) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be > 0")
        self.interval_s = interval_s
        self._engine = engine
        self._lock = threading.Lock()
        # One entry per running call. list.append/pop are atomic, so a call holds the ticker without taking a
        # lock (the hot path); the lock only orders starting and stopping the thread.
        self._calls: list[None] = []
        self._running = False
        self._ticks: dict[float, int] = {}

    def ticks_for(self, timeout_s: float) -> int:
        """Deadline in ticks for ``timeout_s``; one extra tick because the current tick is partly over."""
        ticks = self._ticks.get(timeout_s)
        if ticks is None:
            ticks = max(1, math.ceil(timeout_s / self.interval_s)) + 1
            if len(self._ticks) < 64:  # the few timeouts a process uses, computed once (hot path)
                self._ticks[timeout_s] = ticks
        return ticks

    def acquire(self) -> None:
        self._calls.append(None)  # first: a thread deciding to stop re-checks this list after clearing _running
        if not self._running:
            with self._lock:
                if not self._running:
                    try:
                        threading.Thread(target=self._loop, name="langchain-wasm-epoch", daemon=True).start()
                    except BaseException:  # no thread, no deadline: the call must not run
                        self._calls.pop()
                        raise
                    self._running = True

    def release(self) -> None:
        self._calls.pop()

    @property
    def running(self) -> bool:
        return self._running

    def _loop(self) -> None:
        idle_ticks = 0
        max_idle = max(1, int(_IDLE_EXIT_S / self.interval_s))
        while True:
            time.sleep(self.interval_s)
            with self._lock:
                if self._calls:
                    idle_ticks = 0
                else:
                    idle_ticks += 1
                    if idle_ticks >= max_idle:
                        self._running = False
                        if not self._calls:  # an acquire that saw _running still True appended before this
                            return
                        self._running = True
                        idle_ticks = 0
            self._engine.increment_epoch()
