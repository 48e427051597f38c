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
        self._active = 0
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
        with self._lock:
            self._active += 1
            if not self._running:
                self._running = True
                threading.Thread(target=self._loop, name="langchain-wasm-epoch", daemon=True).start()

    def release(self) -> None:
        with self._lock:
            self._active -= 1

    @property
    def running(self) -> bool:
        return self._running

    def _loop(self) -> None:
        idle_ticks = 0
        max_idle = max(1, int(_IDLE_EXIT_S / self.interval_s))
        while True:
            time.sleep(self.interval_s)
            with self._lock:
                if self._active:
                    idle_ticks = 0
                else:
                    idle_ticks += 1
                    if idle_ticks >= max_idle:
                        self._running = False
                        return
            self._engine.increment_epoch()
