"""How much native stack the calling thread has left, where the platform can tell (Linux with glibc, x86-64).

A guest with a deep wasm stack must run on a thread whose native stack holds ``max_wasm_stack`` plus the host
frames around it (``guest_thread.py``). Handing every call to a pool thread made for that costs two thread
wake-ups (measured here: ~65 us for an empty job, ~200 us inside a Python turn on a 2-core VM), most of a short
turn. When the calling thread itself has the room, the call can run where it is.

The room is the distance from the current stack pointer down to the lowest address of the thread's stack:
the thread's bounds from ``pthread_getattr_np`` (cached per thread; for the main thread glibc reports the
``RLIMIT_STACK`` it may grow to), the stack pointer from ``getcontext``. Anything unexpected (another OS or
libc, another architecture, a pointer outside the bounds, an unlimited stack rlimit) gives ``None``, and the
caller falls back to the pool.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading

__all__ = ["stack_room"]

_UCONTEXT_BYTES = 4096  # sizeof(ucontext_t) is 968 on x86-64 glibc; a page leaves room
_RSP_OFFSET = 160  # offsetof(ucontext_t, uc_mcontext.gregs[REG_RSP]) on x86-64 glibc (40 + 15 * 8)
_ATTR_BYTES = 256  # sizeof(pthread_attr_t) is 56 on x86-64
_MAX_BOUND = 1 << 40  # a reported stack larger than this is a stack without limit: not trusted


class _Probe:
    def __init__(self) -> None:
        libc = ctypes.CDLL(None)
        self.getcontext = libc.getcontext
        self.getcontext.argtypes = [ctypes.c_void_p]
        self.getcontext.restype = ctypes.c_int
        self.self_ = libc.pthread_self
        self.self_.restype = ctypes.c_ulong
        self.getattr_np = libc.pthread_getattr_np
        self.getattr_np.argtypes = [ctypes.c_ulong, ctypes.c_void_p]
        self.getstack = libc.pthread_attr_getstack
        self.getstack.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)]
        self.destroy = libc.pthread_attr_destroy
        self.destroy.argtypes = [ctypes.c_void_p]
        self.local = threading.local()

    def bounds(self) -> tuple[int, int] | None:
        """The calling thread's stack as ``(lowest, highest)`` address, measured once per thread."""
        cached: tuple[tuple[int, int] | None] | None = getattr(self.local, "bounds", None)
        if cached is not None:
            return cached[0]
        attr = ctypes.create_string_buffer(_ATTR_BYTES)
        found: tuple[int, int] | None = None
        if self.getattr_np(self.self_(), attr) == 0:
            try:
                addr, size = ctypes.c_void_p(), ctypes.c_size_t()
                ok = self.getstack(attr, ctypes.byref(addr), ctypes.byref(size)) == 0 and addr.value
                if ok and addr.value and 0 < size.value < _MAX_BOUND:
                    found = (addr.value, addr.value + size.value)
            finally:
                self.destroy(attr)
        self.local.bounds = (found,)
        return found

    def pointer(self) -> int | None:
        buf = getattr(self.local, "buf", None)
        if buf is None:
            buf = self.local.buf = ctypes.create_string_buffer(_UCONTEXT_BYTES)
        if self.getcontext(buf) != 0:
            return None
        return int(ctypes.c_uint64.from_buffer(buf, _RSP_OFFSET).value)


def _glibc_x86_64() -> bool:
    if not sys.platform.startswith("linux") or os.uname().machine != "x86_64":
        return False
    libc = ""
    with contextlib.suppress(ValueError, OSError):
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    return libc.startswith("glibc")


def _make_probe() -> _Probe | None:
    if not _glibc_x86_64():
        return None
    try:
        return _Probe()
    except (OSError, AttributeError):
        return None


_probe: list[_Probe | None] = []  # filled once: the probe, or None where there is none
_probe_lock = threading.Lock()


def stack_room() -> int | None:
    """Bytes of native stack below the caller's frame on this thread, or ``None`` if it cannot be told here."""
    if not _probe:
        with _probe_lock:
            if not _probe:
                _probe.append(_make_probe())
    probe = _probe[0]
    if probe is None:
        return None
    bounds = probe.bounds()
    if bounds is None:
        return None
    sp = probe.pointer()
    if sp is None or not bounds[0] < sp <= bounds[1]:
        return None
    return sp - bounds[0]
