"""Host replacements for WASI preview1 functions, shadowing wasmtime's own on our linkers.

- ``clock_time_get`` (always, ``clock_shim.py``): the host's clocks, so absolute-time sleeps agree with ours.
- ``poll_oneoff`` (always): wasmtime's version blocks in the host and ignores the epoch deadline, so a guest
  ``sleep`` could outlive any timeout. Ours sleeps in Python and stops the guest when the deadline comes first.
- ``fd_write`` / ``fd_read`` (only for calls without preopened directories, the common case for tools):
  stdout/stderr are captured into the call's buffers with a hard cap (a breach stops the guest at once, so a
  flood never reaches memory or disk) and stdin is served from the call's bytes. Without preopens no other fd
  can exist, so other fds get EBADF. With preopens, wasmtime's own functions stay (they must reach the guest's
  files, and a host function cannot delegate to them: they need the calling instance's memory) and stdio goes
  through pipes instead (``stdio_pipes.py``).

Host work per call is bounded by what the guest may keep, not by what it asks for: at most ``IOV_MAX`` iovecs
(EINVAL beyond, as POSIX ``writev``), at most the room left under the cap is ever copied out of guest memory
however long the iovecs claim to be, and at most ``MAX_SUBSCRIPTIONS`` poll subscriptions.
"""

from __future__ import annotations

import time

import wasmtime

from . import context
from .capabilities import WASI_MODULE
from .clock_shim import CLOCK_PARAMS, clock_time_get
from .hostcall import GuestMemory, GuestMemoryError, HostStop, define_host_function
from .interrupts import pause

__all__ = ["install_wasi_shims"]

ESUCCESS, EBADF, EFAULT, EINVAL, ENOTSUP = 0, 8, 21, 28, 58
#: Most iovecs one fd_read/fd_write accepts (POSIX IOV_MAX on Linux); more is EINVAL.
IOV_MAX = 1024
#: Most subscriptions one poll_oneoff accepts; more is EINVAL (each costs host work outside the epoch deadline).
MAX_SUBSCRIPTIONS = 4096
_SUB_SIZE, _EVENT_SIZE = 48, 32
_CLOCK_REALTIME, _CLOCK_MONOTONIC = 0, 1
_EVENTTYPE_CLOCK = 0
_ABSTIME = 1


def _iovecs(mem: GuestMemory, iovs: int, count: int) -> list[tuple[int, int]]:
    return [(mem.read_u32(iovs + 8 * i), mem.read_u32(iovs + 8 * i + 4)) for i in range(count)]


def fd_write(mem: GuestMemory, fd: int, iovs: int, iovs_len: int, nwritten: int) -> int:
    """Capture stdout/stderr with a hard cap; never copies more than the room left under it."""
    ctx = context.current()
    if ctx is None or fd not in (1, 2):
        return EBADF
    if not (ctx.stdout_allowed if fd == 1 else ctx.stderr_allowed):
        return EBADF
    if not 0 <= iovs_len <= IOV_MAX:
        return EINVAL
    try:
        iovecs = _iovecs(mem, iovs, iovs_len)
        for ptr, length in iovecs:  # every range is checked before anything is kept (EFAULT keeps nothing)
            mem.check(ptr, length)
    except GuestMemoryError:
        return EFAULT
    buf, cap = (ctx.stdout, ctx.stdout_cap) if fd == 1 else (ctx.stderr, ctx.stderr_cap)
    total = sum(length for _, length in iovecs)
    room = max(cap - len(buf), 0)
    if total > room:  # keep what fits (copying only that), then stop the guest
        for ptr, length in iovecs:
            take = min(length, room)
            if take:
                buf += mem.read(ptr, take)
                room -= take
        ctx.stop_reason = "stdout" if fd == 1 else "stderr"
        raise HostStop
    for ptr, length in iovecs:
        buf += mem.read(ptr, length)
    try:
        mem.write_u32(nwritten, total)
    except GuestMemoryError:
        return EFAULT
    return ESUCCESS


def fd_read(mem: GuestMemory, fd: int, iovs: int, iovs_len: int, nread: int) -> int:
    """Serve stdin from the call's bytes."""
    ctx = context.current()
    if ctx is None or fd != 0:
        return EBADF
    if not ctx.stdin_allowed:
        return EBADF
    if not 0 <= iovs_len <= IOV_MAX:
        return EINVAL
    total = 0
    try:
        for ptr, length in _iovecs(mem, iovs, iovs_len):
            chunk = ctx.stdin[ctx.stdin_pos : ctx.stdin_pos + length]
            mem.write(ptr, chunk)
            ctx.stdin_pos += len(chunk)
            total += len(chunk)
            if len(chunk) < length:
                break
        mem.write_u32(nread, total)
    except GuestMemoryError:
        return EFAULT
    return ESUCCESS


def poll_oneoff(mem: GuestMemory, in_ptr: int, out_ptr: int, nsubs: int, nevents_ptr: int) -> int:
    """Clock subscriptions sleep (bounded by the deadline); fd subscriptions report ready at once."""
    if not 0 < nsubs <= MAX_SUBSCRIPTIONS:
        return EINVAL
    ctx = context.current()
    try:
        subs = [mem.read(in_ptr + i * _SUB_SIZE, _SUB_SIZE) for i in range(nsubs)]
        ready: list[bytes] = []
        clocks: list[tuple[float, bytes]] = []
        for sub in subs:
            userdata, tag = sub[0:8], sub[8]
            if tag == _EVENTTYPE_CLOCK:
                clock_id = int.from_bytes(sub[16:20], "little")
                timeout_ns = int.from_bytes(sub[24:32], "little")
                flags = int.from_bytes(sub[40:42], "little")
                if flags & _ABSTIME:
                    now = time.time_ns() if clock_id == _CLOCK_REALTIME else time.monotonic_ns()
                    timeout_ns = max(0, timeout_ns - now)
                clocks.append((timeout_ns / 1e9, userdata))
            elif tag in (1, 2):  # fd_read / fd_write: stdio and files never block
                nbytes = 0
                fd = int.from_bytes(sub[16:20], "little")
                if ctx is not None and tag == 1 and fd == 0:
                    nbytes = len(ctx.stdin) - ctx.stdin_pos
                ready.append(_event(userdata, ESUCCESS, tag, nbytes))
            else:
                ready.append(_event(userdata, EINVAL, tag, 0))
        if not ready and clocks:
            wait = min(t for t, _ in clocks)
            remaining = ctx.remaining() if ctx is not None else None
            if remaining is not None and wait >= remaining:
                if pause(remaining):
                    raise HostStop  # a Ctrl-C held for the caller
                if ctx is not None:
                    ctx.stop_reason = "timeout"
                raise HostStop
            if pause(wait):
                raise HostStop
            ready = [_event(ud, ESUCCESS, _EVENTTYPE_CLOCK, 0) for t, ud in clocks if t <= wait]
        for i, event in enumerate(ready):
            mem.write(out_ptr + i * _EVENT_SIZE, event)
        mem.write_u32(nevents_ptr, len(ready))
    except GuestMemoryError:
        return EFAULT
    return ESUCCESS


def _event(userdata: bytes, error: int, kind: int, nbytes: int) -> bytes:
    return userdata + error.to_bytes(2, "little") + bytes([kind]) + b"\0" * 5 + nbytes.to_bytes(8, "little") + b"\0" * 8


def install_wasi_shims(linker: wasmtime.Linker, *, stdio: bool) -> None:
    """Shadow poll_oneoff in ``linker``, and fd_write/fd_read too when ``stdio`` (calls without preopens)."""
    i32x4 = ("i32", "i32", "i32", "i32")
    define_host_function(linker, WASI_MODULE, "poll_oneoff", i32x4, ("i32",), poll_oneoff, memory=True)
    define_host_function(linker, WASI_MODULE, "clock_time_get", CLOCK_PARAMS, ("i32",), clock_time_get, memory=True)
    if stdio:
        define_host_function(linker, WASI_MODULE, "fd_write", i32x4, ("i32",), fd_write, memory=True)
        define_host_function(linker, WASI_MODULE, "fd_read", i32x4, ("i32",), fd_read, memory=True)
