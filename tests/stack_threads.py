"""Run a function on a new thread made with a given native stack size, and hand back what it returned or raised."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def in_thread(stack_bytes: int, fn: Callable[[], T], timeout: float = 120.0) -> T:
    """``fn()`` on a thread created with ``threading.stack_size(stack_bytes)`` (reset right after the start)."""
    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed back to the caller
            box["error"] = exc

    previous = threading.stack_size(stack_bytes)
    try:
        t = threading.Thread(target=work)
        t.start()
    finally:
        threading.stack_size(previous)
    t.join(timeout)
    assert not t.is_alive(), "the thread did not finish"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
