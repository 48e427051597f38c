"""Threads with a known native stack for guests that may use a deep wasm stack.

wasmtime runs wasm on the calling thread's native stack and only checks ``max_wasm_stack`` from the point of
entry. If the thread's own stack is smaller than that plus the host frames below it, a deep guest recursion
overflows the native stack before wasmtime's check fires and the whole process dies with SIGSEGV. The main
thread usually has 8 MiB, other threads whatever the platform gives (2 MiB with glibc when ``ulimit -s`` is
unlimited). Engines with a large ``max_wasm_stack`` (the CPython guest needs several MiB to raise a clean
``RecursionError``) therefore run their guests here: a small pool of daemon threads created with an explicit
stack size.

A call runs on the calling thread instead when that thread has the room (``fits_here``, measured by
``native_stack.stack_room``): ``max_wasm_stack`` plus ``_INLINE_MARGIN`` for the host frames a guest's calls into
the host stack up below its own (a hand-off to a pool thread costs two thread wake-ups, most of a short turn).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from .native_stack import stack_room

__all__ = ["GuestFuture", "GuestThreads", "guest_threads"]

T = TypeVar("T")


class GuestFuture(Generic[T]):
    """The outcome of one job (``concurrent.futures.Future`` costs a ``logging`` import at start-up)."""

    __slots__ = ("_done", "_error", "_value")

    def __init__(self) -> None:
        self._done = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None

    def set_result(self, value: T) -> None:
        self._value = value
        self._done.set()

    def set_exception(self, error: BaseException) -> None:
        self._error = error
        self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self) -> None:
        """Wait for the job, ignoring what it raised (and retrying after an interrupt of the waiting thread)."""
        while True:
            try:
                self._done.wait()
                return
            except BaseException:  # e.g. a second Ctrl-C: the store is still in use, keep waiting
                continue

    def result(self, timeout: float | None = None) -> T:
        """Wait for the job; re-raise its exception."""
        if not self._done.wait(timeout):
            raise TimeoutError("the guest job did not finish in time")
        if self._error is not None:
            raise self._error
        value: T = self._value
        return value


_HOST_MARGIN = 8 * 1024 * 1024  # host frames below the wasm entry (Python, ctypes, wasmtime's trampolines)
#: host frames a guest's calls into the host (ours, a bridge's tool) may stack below the wasm frames, when the
#: call runs on the caller's own thread
_INLINE_MARGIN = 3 * 1024 * 1024
_STACK_SIZE_LOCK = threading.Lock()


class GuestThreads:
    """A lazily grown pool of at most ``max_workers`` threads, each with ``stack_bytes`` of native stack.

    Args:
        stack_bytes: native stack of each thread; make it ``max_wasm_stack`` plus a margin for host frames.
        max_workers: how many guests may run at once; further calls wait in line.
    """

    def __init__(self, stack_bytes: int, max_workers: int = 8, *, inline_bytes: int | None = None) -> None:
        if stack_bytes < 1024 * 1024 or max_workers < 1:
            raise ValueError("GuestThreads needs at least 1 MiB of stack and one worker")
        self.stack_bytes = stack_bytes
        #: the native stack a call needs left on the calling thread to run there (``None``: never, always hop)
        self.inline_bytes = inline_bytes
        self.max_workers = max_workers
        self._jobs: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...], GuestFuture[Any]] | None] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._pending = 0  # submitted and not finished

    def submit(self, fn: Callable[..., T], *args: Any) -> GuestFuture[T]:
        """Run ``fn(*args)`` on a pool thread; the future holds its result or exception."""
        future: GuestFuture[T] = GuestFuture()
        with self._lock:
            self._pending += 1
            if self._pending > len(self._threads) and len(self._threads) < self.max_workers:
                self._start_thread()
        self._jobs.put((fn, args, future))
        return future

    def pending(self) -> int:
        """Jobs submitted and not finished (a job the caller gave up on included, until it ends)."""
        with self._lock:
            return self._pending

    def on_own_thread(self) -> bool:
        """True on one of this pool's threads."""
        return getattr(_local, "pool", None) is self

    def fits_here(self) -> bool:
        """True where a job may run on the calling thread: it has ``inline_bytes`` of stack left, or (where the
        room cannot be measured) it is one of this pool's threads at its first level."""
        if self.inline_bytes is not None:
            room = stack_room()
            if room is not None:
                return room >= self.inline_bytes
        return self.on_own_thread()

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on a pool thread and wait for it (the current thread if it already is one)."""
        if self.fits_here():
            return fn(*args)
        return self.submit(fn, *args).result()

    def _start_thread(self) -> None:
        with _STACK_SIZE_LOCK:  # threading.stack_size is process-wide: set it only around our own start
            previous = threading.stack_size(self.stack_bytes)
            try:
                thread = threading.Thread(target=self._work, name="langchain-wasm-guest", daemon=True)
                thread.start()
            finally:
                threading.stack_size(previous)
        self._threads.append(thread)

    def _work(self) -> None:
        _local.pool = self
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, args, future = job
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # handed to the waiting caller
                future.set_exception(exc)
            del job, fn, args, future
            with self._lock:
                self._pending -= 1


_local = threading.local()
_pools: dict[int, GuestThreads] = {}
_pools_lock = threading.Lock()


def guest_threads(max_wasm_stack: int) -> GuestThreads:
    """The process-wide pool for guests whose engine allows ``max_wasm_stack`` bytes of wasm stack."""
    stack = max_wasm_stack + _HOST_MARGIN
    with _pools_lock:
        pool = _pools.get(stack)
        if pool is None:
            pool = _pools[stack] = GuestThreads(stack, max_workers=16, inline_bytes=max_wasm_stack + _INLINE_MARGIN)
        return pool
