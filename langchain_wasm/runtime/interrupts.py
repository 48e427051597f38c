"""Ctrl-C while a guest runs on the main thread: held during the call, delivered once the guest has stopped.

Python runs a signal's handler at the next bytecode boundary of the main thread. While a guest runs there, the
next Python code is one of our host functions, a ctypes callback; a ``KeyboardInterrupt`` raised on entering it,
before its ``try``, is swallowed by ctypes, which then returns an uninitialised value to wasmtime as the
callback's trap pointer: measured here, a real SIGINT into a guest calling a do-nothing host function in a loop
aborted the process ("double free or corruption") every time.

So around a guest call on the main thread with Python host functions, ``hold()`` swaps SIGINT's Python handler
for one that only records the signal (it cannot raise). Our host functions check ``interrupted()`` inside their
``try`` and stop the guest; a guest sleeping in our ``poll_oneoff`` wakes at once (``pause``). ``release()``
puts the previous handler back and, if a SIGINT came, calls it: the default one raises ``KeyboardInterrupt``
from the caller's frame, an asyncio runner's cancels its task, as they would have. A handler that is not a
Python function (``SIG_IGN``, ``SIG_DFL``) is left alone, and other threads, whose code Python never
interrupts, need none of this.
"""

from __future__ import annotations

# the C functions: ``signal.signal`` wraps them in enum conversions, 10x the cost (7.6 vs 0.7 us a swap)
import _signal  # type: ignore[import-not-found]
import os
import threading
import time
from typing import Any

__all__ = ["deliver", "hold", "interrupted", "pause", "release"]

_MAIN = threading.main_thread().ident


def _after_fork() -> None:  # a child forked from another thread has that thread as its main one
    global _MAIN
    _MAIN = threading.get_ident()
    _signalled[0] = False


_SIGINT = _signal.SIGINT
#: set by ``_record`` (a held SIGINT came); ``_wake`` also, for a guest sleeping in ``pause``
_signalled = [False]
_wake = threading.Event()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def _record(signum: int, frame: Any) -> None:
    _signalled[0] = True
    _wake.set()


def hold() -> Any:
    """On the main thread, with a Python SIGINT handler in place: record SIGINT instead of raising it until
    ``release``. Returns what ``release`` needs (``None`` if nothing was swapped: another thread, a handler
    that is not a Python function, or a hold already in place for an outer call)."""
    if threading.get_ident() != _MAIN:
        return None
    previous = _signal.getsignal(_SIGINT)
    if previous is _record or not callable(previous):
        return None
    _signalled[0] = False
    _signal.signal(_SIGINT, _record)
    return previous


def release(previous: Any) -> bool:
    """Undo ``hold`` (``previous``: what it returned) and report whether a SIGINT came meanwhile; the caller
    ends what the guest was doing, then calls ``deliver``."""
    if previous is None:
        return False
    _signal.signal(_SIGINT, previous)
    came = _signalled[0]
    if came:
        _signalled[0] = False
        _wake.clear()
    return came


def deliver(previous: Any) -> None:
    """Call the SIGINT handler that was in place during the call, as the signal would have (the default one
    raises ``KeyboardInterrupt``)."""
    previous(_SIGINT, None)


def interrupted() -> bool:
    """True on the main thread while a held SIGINT waits: a host function then stops the guest."""
    return _signalled[0] and threading.get_ident() == _MAIN


def pause(seconds: float) -> bool:
    """Sleep ``seconds`` like ``time.sleep``, but on the main thread during a hold wake at a SIGINT; True if
    one came (the guest is then stopped)."""
    if threading.get_ident() == _MAIN and _signal.getsignal(_SIGINT) is _record:
        _wake.clear()  # before looking at the flag: a SIGINT after this sets both, one before it the flag
        if _signalled[0]:
            return True
        return _wake.wait(seconds) or _signalled[0]
    time.sleep(seconds)
    return False
