"""The epoch ticker: one daemon thread per engine advances the engine's epoch while calls are running.

Deadlines are set in ticks (``Store.set_epoch_deadline``); wasm checks the epoch at function entries and loop
back-edges and traps with INTERRUPT once it passes. The thread parks when no call is active.
"""

from __future__ import annotations

import math
import threading
import time

import wasmtime

__all__ = ["EpochTicker"]


class EpochTicker:
    """Advances ``engine``'s epoch every ``interval_s`` seconds while at least one call holds it."""

    def __init__(self, engine: wasmtime.Engine, interval_s: float = 0.005) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be > 0")
        self.interval_s = interval_s
        self._engine = engine
        self._cond = threading.Condition()
        self._active = 0
        self._thread: threading.Thread | None = None

    def ticks_for(self, timeout_s: float) -> int:
        """Deadline in ticks for ``timeout_s``; one extra tick because the current tick is partly over."""
        return max(1, math.ceil(timeout_s / self.interval_s)) + 1

    def acquire(self) -> None:
        with self._cond:
            self._active += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="langchain-wasm-epoch", daemon=True)
                self._thread.start()
            elif self._active == 1:
                self._cond.notify()

    def release(self) -> None:
        with self._cond:
            self._active -= 1

    def __enter__(self) -> EpochTicker:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._active == 0:
                    self._cond.wait()
            time.sleep(self.interval_s)
            self._engine.increment_epoch()
