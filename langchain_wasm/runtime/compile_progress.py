"""A one-line explanation and an elapsed-time ticker on stderr while a big module compiles to native code."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

__all__ = ["CompileProgress"]


class CompileProgress:
    """The ``on_event`` callback of ``compile_file`` (the Python runtime, the compiler): says what is happening,
    ticks, says when it is done."""

    def __init__(self, what: str, *, cost: str = "about a minute, ~2.5 GB of memory", quiet: bool = False) -> None:
        self.what = what
        self.cost = cost
        self.quiet = quiet
        self._stop = threading.Event()

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        if self.quiet:
            return
        if event == "compile-start":
            mb = info["bytes"] / 1e6
            print(
                f"langchain-wasm: compiling {self.what} ({mb:.0f} MB of WebAssembly) to native code. This happens "
                f"once ({self.cost}); later runs load it from {info['cache_dir']} in milliseconds.",
                file=sys.stderr,
                flush=True,
            )
            threading.Thread(target=self._tick, daemon=True).start()
        elif event == "compile-done":
            self._stop.set()
            print(f"\nlangchain-wasm: compiled in {info['seconds']:.0f} s; cached.", file=sys.stderr, flush=True)

    def _tick(self) -> None:
        start, tty = time.monotonic(), sys.stderr.isatty()
        while not self._stop.wait(1.0 if tty else 15.0):
            elapsed = time.monotonic() - start
            print(
                f"\r  compiling... {elapsed:.0f} s" if tty else f"  compiling... {elapsed:.0f} s",
                end="" if tty else "\n",
                file=sys.stderr,
                flush=True,
            )
