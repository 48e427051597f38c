"""WASI calls forwarded to wasmtime's own implementation through a kept instance's helper, and the workspace quota.

A host function cannot call wasmtime's WASI functions directly (they need a calling instance's memory), so a tiny
helper instance in the same store imports them and the guest's memory and re-exports them; these functions reach
them through the call context (``KeptContext.forward``). With a ``WorkspaceQuota`` on the call, bytes written
(``fd_write``, ``fd_pwrite``) and new directory entries (``path_open`` with ``O_CREAT`` of a name that does not
exist yet, ``path_create_directory``, ``path_symlink``, ``path_link``) are counted, and the one that would pass
the quota fails with ``EDQUOT`` (in Python an ``OSError`` with ``errno.EDQUOT``, "Quota exceeded"); nothing is
written, and the guest goes on. ``path_open`` is passed through without conversion unless it may create an entry
under an entry quota, so ordinary opens cost about what wasmtime's own do.
"""

from __future__ import annotations

from typing import Any

from wasmtime import _ffi as ffi

from . import context
from .hostcall import GuestMemory, GuestMemoryError, HostStop

__all__ = ["EDQUOT", "FORWARDED", "HELPER_WAT", "STAT_WAT", "WorkspaceQuota", "iov_total", "quota_functions"]

ENOTSUP, EINVAL, EFAULT, EDQUOT, ENOENT = 58, 28, 21, 19, 44
O_CREAT, O_EXCL, O_TRUNC = 1, 4, 8

#: The WASI functions the helper forwards to wasmtime's own: name -> parameter types (all return an errno).
FORWARDED: dict[str, tuple[str, ...]] = {
    "fd_write": ("i32", "i32", "i32", "i32"),
    "fd_pwrite": ("i32", "i32", "i32", "i64", "i32"),
    "fd_close": ("i32",),
    "path_open": ("i32", "i32", "i32", "i32", "i32", "i64", "i64", "i32", "i32"),
    "path_create_directory": ("i32", "i32", "i32"),
    "path_symlink": ("i32", "i32", "i32", "i32", "i32"),
    "path_link": ("i32", "i32", "i32", "i32", "i32", "i32", "i32"),
}


def _helper_wat() -> str:
    imports, exports = [], []
    for name, params in FORWARDED.items():
        sig = f"(param {' '.join(params)}) (result i32)"
        imports.append(f'  (import "wasi_snapshot_preview1" "{name}" (func ${name} {sig}))')
        args = " ".join(f"(local.get {i})" for i in range(len(params)))
        exports.append(f'  (func (export "{name}") {sig} (call ${name} {args}))')
    return (
        "\n".join(
            ["(module", *imports, '  (import "env" "memory" (memory 0))', '  (export "memory" (memory 0))', *exports]
        )
        + ")"
    )


HELPER_WAT = _helper_wat()

#: The size of an open regular file (-1: not one, or unknown), for the room an ``O_TRUNC`` open gives back. Its own
#: memory receives the filestat (wasmtime's WASI writes into the calling instance's ``memory``).
STAT_WAT = """(module
  (import "wasi_snapshot_preview1" "fd_filestat_get" (func $stat (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "size") (param $fd i32) (result i64)
    (if (call $stat (local.get $fd) (i32.const 0)) (then (return (i64.const -1))))
    (if (i32.ne (i32.load8_u (i32.const 16)) (i32.const 4)) (then (return (i64.const -1))))
    (i64.load (i32.const 32))))"""


class WorkspaceQuota:
    """What one call may add to its writable preopens: ``bytes`` written to files, ``entries`` created (files,
    directories, links). ``None`` is no bound. Counting is conservative: rewriting a byte counts it again, and
    only an ``O_TRUNC`` open of an existing file gives room back (its size, never more than ``counted``: what the
    directories held when measured plus what was written since, so a sparse file cannot mint room)."""

    __slots__ = ("bytes", "counted", "entries")

    def __init__(self, bytes: int | None = None, entries: int | None = None, counted: int = 0) -> None:
        self.bytes = bytes
        self.entries = entries
        self.counted = counted


def iov_total(mem: GuestMemory, iovs: int, iovs_len: int) -> int | None:
    if not 0 <= iovs_len <= 1024:
        return None
    return sum(mem.read_u32(iovs + 8 * i + 4) for i in range(iovs_len))


def _kept(mem: GuestMemory) -> Any:
    """The running kept call's context (the one with the forwarders), or None."""
    ctx = context.current()
    return ctx if hasattr(ctx, "forward_raw") else None


def _fd_pwrite(mem: GuestMemory, fd: int, iovs: int, iovs_len: int, offset: int, nwritten: int) -> int:
    ctx = _kept(mem)
    if ctx is None:
        return ENOTSUP
    try:
        size = iov_total(mem, iovs, iovs_len)
    except GuestMemoryError:
        return EFAULT
    if size is None:
        return EINVAL
    ctx.file_bytes += size
    if ctx.file_cap is not None and ctx.file_bytes > ctx.file_cap:
        ctx.stop_reason = "files"
        raise HostStop
    if not ctx.charge_bytes(size):
        return EDQUOT
    errno: int = ctx.forward("fd_pwrite", fd, iovs, iovs_len, offset, nwritten)
    return errno


def _path_open_raw(caller: Any, params: Any, nparams: int, results: Any, nresults: int) -> None:
    """``path_open``: passed straight to wasmtime's unless it may create an entry under an entry quota."""
    ctx = _kept(caller)
    if ctx is None:
        results[0].kind = ffi.WASMTIME_I32.value
        results[0].of.i32 = ENOTSUP
        return
    quota = ctx.quota
    oflags = params[4].of.i32
    if quota is None or not (
        (quota.entries is not None and oflags & O_CREAT) or (quota.bytes is not None and oflags & O_TRUNC)
    ):
        ctx.forward_raw("path_open", params, nparams, results)
        return
    args = [params[i].of.i64 if i in (5, 6) else params[i].of.i32 for i in range(nparams)]
    results[0].kind = ffi.WASMTIME_I32.value
    results[0].of.i32 = _path_open(GuestMemory(caller), *args)


def _path_open(
    mem: GuestMemory, fd: int, dirflags: int, path: int, path_len: int, oflags: int, base: int, inh: int,
    fdflags: int, opened: int,
) -> int:  # fmt: skip
    ctx = _kept(mem)
    if ctx is None:
        return ENOTSUP
    quota = ctx.quota
    creates = bool(oflags & O_CREAT) and quota is not None and quota.entries is not None
    truncates = bool(oflags & O_TRUNC) and quota is not None and quota.bytes is not None
    freed = 0
    if creates or truncates:
        # Does the name exist already (and how big is it)? Open it without creating or truncating, then close it.
        probe = ctx.forward("path_open", fd, dirflags, path, path_len, oflags & ~(O_CREAT | O_EXCL | O_TRUNC),
                            base, inh, 0, opened)  # fmt: skip
        if probe == 0:
            probed = mem.read_u32(opened)
            freed = max(ctx.file_size(probed), 0) if truncates else 0
            ctx.forward("fd_close", probed)
            creates = False
        elif probe != ENOENT:
            creates = False  # some other reason (a directory, a bad path): the real call will say
        elif creates and not ctx.entries_left():
            return EDQUOT
    errno: int = ctx.forward("path_open", fd, dirflags, path, path_len, oflags, base, inh, fdflags, opened)
    if errno == 0:
        if creates:
            ctx.charge_entry()
        if freed:
            ctx.refund_bytes(freed)
    return errno


def _entry_maker(name: str) -> Any:
    def make(mem: GuestMemory, *args: int) -> int:
        ctx = _kept(mem)
        if ctx is None:
            return ENOTSUP
        if not ctx.entries_left():
            return EDQUOT
        errno: int = ctx.forward(name, *args)
        if errno == 0:
            ctx.charge_entry()
        return errno

    return make


def quota_functions() -> dict[str, tuple[Any, bool]]:
    """The WASI functions a kept linker defines from here: name -> (function, raw)."""
    funcs: dict[str, tuple[Any, bool]] = {"fd_pwrite": (_fd_pwrite, False), "path_open": (_path_open_raw, True)}
    funcs.update({n: (_entry_maker(n), False) for n in ("path_create_directory", "path_symlink", "path_link")})
    return funcs
