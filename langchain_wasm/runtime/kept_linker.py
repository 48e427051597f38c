"""Linking for kept instances (``kept.py``): the import check, the shared linker, the stdio forwarder.

A kept instance usually has preopened directories (an interpreter's workspace), so wasmtime's own ``fd_write``
must keep serving the guest's files, yet stdout/stderr need a hard cap that stops the guest at the first byte
too many. ``fd_write`` is therefore ours: fds 1 and 2 go to the call's capped buffers
(``wasi_shims.fd_write``), every other fd is forwarded to wasmtime's ``fd_write`` through a tiny helper
instance in the same store. The helper imports the guest's memory and re-exports it as ``memory``, so
wasmtime's WASI function, called from the helper, reads the guest's iovecs (a host function cannot call
wasmtime's WASI functions directly: they need a calling instance's memory).

Workspace quota: with a ``WorkspaceQuota`` on the call, file writes (``fd_write``, ``fd_pwrite``) and new directory
entries (``path_open`` with ``O_CREAT`` of a name that does not exist yet, ``path_create_directory``,
``path_symlink``, ``path_link``) are counted against what the quota leaves, and the one that would pass it fails
with ``EDQUOT`` (in Python an ``OSError`` with ``errno.EDQUOT``, "Quota exceeded"), so the guest can react;
nothing is written.
Those functions are forwarded to wasmtime's through the same helper instance.

Sockets: modules built with wasi-libc import ``sock_*`` even when they never use them. With
``stub_sockets=True`` those imports are linked to stubs that always fail with ``ENOTSUP``; they never reach
wasmtime's implementation, so this is a denial, not a network grant.
"""

from __future__ import annotations

import ctypes
import os
import threading
import weakref
from collections.abc import Sequence
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from ..errors import WasmCapabilityError
from . import context, wasi_shims
from .capabilities import WASI_MODULE, Capabilities, HostFunction, overlaps
from .clock_shim import CLOCK_PARAMS, clock_time_get
from .context import CallContext
from .engine import WasmEngine
from .hostcall import GuestMemory, GuestMemoryError, HostStop, define_host_function
from .live import raise_from
from .wasi_forward import EDQUOT, FORWARDED, HELPER_WAT, STAT_WAT, WorkspaceQuota, iov_total, quota_functions

__all__ = [
    "ENOTSUP",
    "EDQUOT",
    "FORWARDED",
    "KeptContext",
    "WorkspaceQuota",
    "SOCKET_STUBS",
    "check_imports",
    "helper_module",
    "kept_linker",
    "plain_wasi_linker",
]

ENOTSUP, EINVAL, EFAULT = 58, 28, 21
_TrapPtr = ctypes.POINTER(ffi.wasm_trap_t)
#: WASI preview1 socket functions and their signatures, linked as ENOTSUP stubs when ``stub_sockets``.
SOCKET_STUBS: dict[str, tuple[str, ...]] = {
    "sock_accept": ("i32", "i32", "i32"),
    "sock_recv": ("i32", "i32", "i32", "i32", "i32", "i32"),
    "sock_send": ("i32", "i32", "i32", "i32", "i32"),
    "sock_shutdown": ("i32", "i32"),
}


def check_imports(
    module_name: str,
    imports: Sequence[tuple[str, str]],
    caps: Capabilities,
    *,
    stub_sockets: bool,
    cache_dir: Any = None,
) -> None:
    """Raise ``WasmCapabilityError`` naming the first import ``caps`` do not grant (as ``WasmModule.check``)."""
    granted = {(hf.module, hf.name) for hf in caps.host_functions}
    for mod, name in imports:
        if mod == WASI_MODULE:
            if stub_sockets and name in SOCKET_STUBS:
                continue
            need = caps.grants_wasi(name)
            if need is None:
                continue
            why = {
                "network": "networking is never granted to guests as sockets (HTTP: Capabilities(http=...))",
                "unknown": "it is not a WASI preview1 function this host provides",
            }.get(need, f"it needs the '{need}' capability (Capabilities({need}=True))")
            raise WasmCapabilityError(
                f"module {module_name!r} imports {mod}.{name}; refused: {why}", module=mod, name=name
            )
        if (mod, name) not in granted:
            raise WasmCapabilityError(
                f"module {module_name!r} imports {mod}.{name}, which is not granted "
                "(no host function of that name in Capabilities.host_functions)",
                module=mod,
                name=name,
            )
    if cache_dir is not None:
        cache = os.path.realpath(cache_dir)  # once, not per preopen (each is resolved already)
        for pre in caps.preopens:
            if overlaps(pre.host_path, cache):
                raise WasmCapabilityError(
                    f"preopen {pre.host_path} overlaps the compile cache {cache_dir}; guests may never reach it"
                )


class KeptContext(CallContext):
    """The call context of a kept instance's call: the forwarders to wasmtime's WASI, the file budget, the quota."""

    __slots__ = ("_cctx", "_forward", "_forwarders", "file_bytes", "file_cap", "quota")

    def __init__(
        self,
        cctx: Any,
        forward: Any,
        file_cap: int | None = None,
        *,
        forwarders: dict[str, Any] | None = None,
        quota: WorkspaceQuota | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._cctx = cctx
        self._forward = forward
        self._forwarders = forwarders or {}
        self.file_cap = file_cap
        self.file_bytes = 0
        self.quota = quota

    def use_forwarders(self, forwarders: dict[str, Any]) -> None:
        """Take the helper instances' exports (``workspace_quota.instantiate_helpers``)."""
        self._forwarders = forwarders
        self._forward = forwarders.get("fd_write")

    def file_size(self, fd: int) -> int:
        """The size of open regular file ``fd`` (the stat helper), or -1."""
        func = self._forwarders.get("size")
        if func is None:
            return -1
        return self._call_helper(func, ("i32",), (fd,), i64=True)

    def forward(self, name: str, *args: int) -> int:
        """wasmtime's own WASI ``name`` through the helper instance (same store, the guest's memory)."""
        func = self._forwarders.get(name)
        if func is None:
            return ENOTSUP
        return self._call_helper(func, FORWARDED[name], args)

    def forward_raw(self, name: str, params: Any, nparams: int, results: Any) -> None:
        """wasmtime's own WASI ``name`` on the caller's value arrays, passed through as they are."""
        func = self._forwarders.get(name)
        if func is None:  # no helper (yet): a start function, or a guest without a memory export
            results[0].kind = ffi.WASMTIME_I32.value
            results[0].of.i32 = ENOTSUP
            return
        trap = _TrapPtr()
        error = ffi.wasmtime_func_call(self._cctx, ctypes.byref(func), params, nparams, results, 1, ctypes.byref(trap))
        if error or trap:
            self._stopped(error, trap)

    def _stopped(self, error: Any, trap: Any) -> None:
        try:
            raise_from(error, trap)
        except wasmtime.Trap as exc:
            if exc.trap_code == wasmtime.TrapCode.INTERRUPT:
                self.stop_reason = "timeout"
            elif exc.trap_code == wasmtime.TrapCode.OUT_OF_FUEL:
                self.stop_reason = "fuel"
            raise HostStop from exc

    def _call_helper(self, func: Any, types: tuple[str, ...], args: tuple[int, ...], *, i64: bool = False) -> int:
        params = (ffi.wasmtime_val_t * len(args))()
        for slot, kind, value in zip(params, types, args, strict=True):
            if kind == "i64":
                slot.kind = ffi.WASMTIME_I64.value
                slot.of.i64 = value
            else:
                slot.kind = ffi.WASMTIME_I32.value
                slot.of.i32 = value
        results = (ffi.wasmtime_val_t * 1)()
        trap = _TrapPtr()
        error = ffi.wasmtime_func_call(
            self._cctx, ctypes.byref(func), params, len(args), results, 1, ctypes.byref(trap)
        )
        if error or trap:
            self._stopped(error, trap)
        return int(results[0].of.i64 if i64 else results[0].of.i32)

    def charge_bytes(self, size: int) -> bool:
        """Count ``size`` bytes about to be written; False (write nothing, EDQUOT) past the quota."""
        quota = self.quota
        if quota is not None and quota.bytes is not None:
            if size > quota.bytes:
                return False
            quota.bytes -= size
            quota.counted += size
        return True

    def refund_bytes(self, size: int) -> None:
        """Give back room an ``O_TRUNC`` freed: at most what was counted (a sparse file cannot mint room)."""
        quota = self.quota
        if quota is not None and quota.bytes is not None:
            give = min(size, quota.counted)
            quota.counted -= give
            quota.bytes += give

    def entries_left(self) -> bool:
        quota = self.quota
        return quota is None or quota.entries is None or quota.entries > 0

    def charge_entry(self) -> None:
        quota = self.quota
        if quota is not None and quota.entries is not None:
            quota.entries -= 1

    def forward_fd_write(self, fd: int, iovs: int, iovs_len: int, nwritten: int, size: int = 0) -> int:
        """wasmtime's own ``fd_write`` for ``fd``, through the helper instance (same store, same memory).

        ``size`` (the iovecs' total) counts against ``file_cap``: past it the guest is stopped (``"files"``),
        so a guest cannot fill the host's disk through a writable preopen faster than its budget allows.
        """
        self.file_bytes += size
        if self.file_cap is not None and self.file_bytes > self.file_cap:
            self.stop_reason = "files"
            raise HostStop
        if self._forward is None:
            return ENOTSUP
        if not self.charge_bytes(size):
            return EDQUOT
        return self._call_helper(self._forward, FORWARDED["fd_write"], (fd, iovs, iovs_len, nwritten))


def _fd_write(mem: GuestMemory, fd: int, iovs: int, iovs_len: int, nwritten: int) -> int:
    """stdout/stderr into the call's capped buffers; any other fd forwarded to wasmtime's ``fd_write``."""
    ctx = context.current()
    forward = getattr(ctx, "forward_fd_write", None)
    if fd not in (1, 2) and forward is not None:
        try:
            size = iov_total(mem, iovs, iovs_len)
        except GuestMemoryError:
            return EFAULT
        if size is None:
            return EINVAL
        result: int = forward(fd, iovs, iovs_len, nwritten, size)
        return result
    return wasi_shims.fd_write(mem, fd, iovs, iovs_len, nwritten)


def _enotsup(*_args: Any) -> int:
    return ENOTSUP


_lock = threading.Lock()
_linkers: weakref.WeakKeyDictionary[WasmEngine, dict[Any, Any]] = weakref.WeakKeyDictionary()


def _per_engine(engine: WasmEngine) -> dict[Any, Any]:
    table = _linkers.get(engine)
    if table is None:
        table = _linkers[engine] = {}
    return table


def kept_linker(engine: WasmEngine, host_functions: tuple[HostFunction, ...]) -> wasmtime.Linker:
    """The shared linker of kept instances: WASI, our poll_oneoff and fd_write, socket stubs, host functions."""
    key = ("kept", host_functions)
    with _lock:
        table = _per_engine(engine)
        linker = table.get(key)
        if linker is None:
            linker = wasmtime.Linker(engine.engine)
            linker.allow_shadowing = True
            linker.define_wasi()
            i32x4 = ("i32", "i32", "i32", "i32")
            define_host_function(
                linker, WASI_MODULE, "poll_oneoff", i32x4, ("i32",), wasi_shims.poll_oneoff, memory=True
            )
            define_host_function(linker, WASI_MODULE, "fd_write", i32x4, ("i32",), _fd_write, memory=True)
            for name, (func, raw) in quota_functions().items():
                define_host_function(
                    linker, WASI_MODULE, name, FORWARDED[name], ("i32",), func, memory=not raw, raw=raw
                )
            define_host_function(
                linker, WASI_MODULE, "clock_time_get", CLOCK_PARAMS, ("i32",), clock_time_get, memory=True
            )
            for name, params in SOCKET_STUBS.items():
                define_host_function(linker, WASI_MODULE, name, params, ("i32",), _enotsup)
            for hf in host_functions:
                define_host_function(linker, hf.module, hf.name, hf.params, hf.results, hf.func, memory=hf.memory)
            table[key] = linker
        return linker


def plain_wasi_linker(engine: WasmEngine) -> wasmtime.Linker:
    """A linker with wasmtime's own WASI only, to fetch its ``fd_write`` for the helper instance."""
    with _lock:
        table = _per_engine(engine)
        linker = table.get("plain")
        if linker is None:
            linker = table["plain"] = wasmtime.Linker(engine.engine)
            linker.define_wasi()
        return linker


def helper_module(engine: WasmEngine, which: str = "helper") -> wasmtime.Module:
    """The forwarder's module (``"helper"``) or the file-size helper's (``"stat"``), once per engine (through the
    engine's compile cache: compiling one costs ~7 ms of every new process, loading it back well under one)."""
    with _lock:
        table = _per_engine(engine)
        module = table.get(which)
        if module is None:
            wat = STAT_WAT if which == "stat" else HELPER_WAT
            module = table[which] = engine.compile(bytes(wasmtime.wat2wasm(wat)))
        return module
