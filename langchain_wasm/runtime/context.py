"""Per-call state that host functions (the WASI shims, user host functions) need, kept thread-local.

Host functions are defined once per linker and shared by every store and thread, so they cannot close over
one call's buffers. A call runs on exactly one thread from start to finish, so the thread-local "current call"
is the call whose guest invoked the host function.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .http_types import HttpCallState

__all__ = ["CallContext", "current", "activate", "swap"]


class CallContext:
    """Buffers, caps and the deadline of the call running on this thread."""

    __slots__ = (
        "deadline", "host_error", "http", "stderr", "stderr_allowed", "stderr_cap", "stdin", "stdin_allowed",
        "stdin_pos", "stdout", "stdout_allowed", "stdout_cap", "stop_reason",
    )  # fmt: skip
    http: HttpCallState  # set only for calls with a network grant (see call.py); unset otherwise

    def __init__(
        self,
        *,
        stdin: bytes = b"",
        stdin_allowed: bool = True,
        stdout_allowed: bool = True,
        stderr_allowed: bool = True,
        stdout_cap: int = 0,
        stderr_cap: int = 0,
        deadline: float | None = None,
    ) -> None:
        self.stdin = stdin
        self.stdin_pos = 0
        self.stdin_allowed = stdin_allowed
        self.stdout_allowed = stdout_allowed
        self.stderr_allowed = stderr_allowed
        self.stdout_cap = stdout_cap
        self.stderr_cap = stderr_cap
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.deadline = deadline  # a time.monotonic() value
        #: why the host stopped the guest from inside a host function: "timeout", "stdout", "stderr", "host".
        self.stop_reason: str | None = None
        self.host_error: BaseException | None = None

    def remaining(self) -> float | None:
        """Seconds until the deadline (never negative), or None without a deadline."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())


_local = threading.local()


def current() -> CallContext | None:
    """The call running on this thread, if any."""
    return getattr(_local, "ctx", None)


def swap(ctx: CallContext | None) -> CallContext | None:
    """Make ``ctx`` current on this thread and return the previous one (the hot path's ``activate``)."""
    prev = getattr(_local, "ctx", None)
    _local.ctx = ctx
    return prev


class activate:  # noqa: N801 - used like a function in a with-statement
    """Make ``ctx`` the current call on this thread for the duration of a ``with`` block."""

    __slots__ = ("_ctx", "_prev")

    def __init__(self, ctx: CallContext) -> None:
        self._ctx = ctx
        self._prev: CallContext | None = None

    def __enter__(self) -> CallContext:
        self._prev = current()
        _local.ctx = self._ctx
        return self._ctx

    def __exit__(self, *exc: object) -> None:
        _local.ctx = self._prev
