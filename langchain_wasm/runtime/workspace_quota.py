"""The workspace quota of plain calls: what a call's writable preopens may hold, measured and then enforced.

A ``WasmModule`` call whose capabilities include a writable preopen is linked like a kept instance
(``kept_linker.py``): its file writes and creates go through our WASI functions (``wasi_forward.py``), which count
them against ``Limits.workspace_bytes`` / ``workspace_entries`` and forward them to wasmtime's own through a helper
instance made in the call's store right after the guest's. What the directories already hold counts (it is measured
when the call starts, as the Python sandbox measures its workspace before each run), so calls that follow each
other on the same directory never grow it past the quota. Calls without a writable preopen never come here.
"""

from __future__ import annotations

import ctypes
import os
import stat
from collections.abc import Iterable
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from ..errors import WasmCapabilityError
from . import context
from .capabilities import WASI_MODULE, Capabilities
from .engine import WasmEngine
from .kept_linker import KeptContext, helper_module, plain_wasi_linker
from .limits import Limits
from .live import raise_from
from .nofollow import walk
from .wasi_forward import FORWARDED, WorkspaceQuota

__all__ = [
    "call_quota",
    "install_forwarders",
    "quota_applies",
    "quota_left",
    "refuse_unbounded_component",
    "remaining_quota",
    "usage",
]

_TrapPtr = ctypes.POINTER(ffi.wasm_trap_t)
_WASI = WASI_MODULE.encode()
_MEMORY = ffi.WASMTIME_EXTERN_MEMORY.value


def usage(paths: Iterable[str | os.PathLike[str]]) -> tuple[int, int]:
    """(bytes in regular files, directory entries) under ``paths``; links are counted, never followed, at any
    depth (the walk never joins names into one long host path, see ``nofollow.py``)."""
    total = entries = 0
    for folder in paths:
        for _, listing in walk(folder):
            entries += len(listing)
            total += sum(info.st_size for _, info in listing if stat.S_ISREG(info.st_mode))
    return total, entries


def remaining_quota(
    max_bytes: int | None, max_entries: int | None, paths: Iterable[str | os.PathLike[str]]
) -> WorkspaceQuota | None:
    """What may still be added under ``paths``: the quota less what they hold now (``None``: no quota at all)."""
    if max_bytes is None and max_entries is None:
        return None
    return quota_left(max_bytes, max_entries, usage(paths))


def quota_left(max_bytes: int | None, max_entries: int | None, used: tuple[int, int]) -> WorkspaceQuota | None:
    """The quota less ``used`` = ``(bytes, entries)`` measured by ``usage`` (``None``: no quota at all)."""
    if max_bytes is None and max_entries is None:
        return None
    used_bytes, used_entries = used
    return WorkspaceQuota(
        None if max_bytes is None else max(0, max_bytes - used_bytes),
        None if max_entries is None else max(0, max_entries - used_entries),
        counted=used_bytes,
    )


def quota_applies(caps: Capabilities, limits: Limits) -> bool:
    """Whether a call gets the quota path: a writable preopen and at least one bound."""
    return (limits.workspace_bytes is not None or limits.workspace_entries is not None) and any(
        p.writable for p in caps.preopens
    )


def _roots(caps: Capabilities) -> list[str]:
    """The writable preopens' host directories, each counted once (one inside another is left out)."""
    roots: list[str] = []
    for path in sorted({p.host_path for p in caps.preopens if p.writable}):
        if not any(path.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
            roots.append(path)
    return roots


def call_quota(caps: Capabilities, limits: Limits) -> WorkspaceQuota | None:
    """The quota one call starts with, or ``None`` when the call does not get the quota path."""
    if not quota_applies(caps, limits):
        return None
    return remaining_quota(limits.workspace_bytes, limits.workspace_entries, _roots(caps))


def refuse_unbounded_component(name: str, caps: Capabilities, limits: Limits) -> None:
    """Refuse a writable preopen on a component call unless the caller gave up the quota explicitly.

    wasmtime-py runs components on WASI preview 2, implemented inside wasmtime with no host function to put in
    front of it, so nothing can count a component's writes while it runs.
    """
    if quota_applies(caps, limits):
        writable = ", ".join(p.guest_path for p in caps.preopens if p.writable)
        raise WasmCapabilityError(
            f"component {name!r}: a writable preopen ({writable}) cannot be bounded for a component (WASI preview 2 "
            "has no host hook to count writes), so it is refused under a workspace quota; grant it read-only, use a "
            "core module, or accept an unbounded workspace with Limits(workspace_bytes=None, workspace_entries=None)"
        )


def _instance(engine: WasmEngine, cctx: Any, which: str, imports: Any) -> Any:
    helper = ffi.wasmtime_instance_t()
    trap = _TrapPtr()
    module = helper_module(engine, which).ptr()
    error = ffi.wasmtime_instance_new(cctx, module, imports, len(imports), ctypes.byref(helper), ctypes.byref(trap))
    raise_from(error, trap)
    return helper


def _export(cctx: Any, instance: Any, name: str) -> Any:
    item = ffi.wasmtime_extern_t()
    raw = name.encode()
    if not ffi.wasmtime_instance_export_get(cctx, ctypes.byref(instance), raw, len(raw), ctypes.byref(item)):
        return None
    return item


def instantiate_helpers(engine: WasmEngine, cctx: Any, instance: Any) -> dict[str, Any]:
    """The helper instances for the guest ``instance`` in store ``cctx``: its exports by name (``FORWARDED`` and
    ``"size"``), or none for a guest without a ``memory`` export (its file writes then fail with ENOTSUP)."""
    memory = _export(cctx, instance, "memory")
    if memory is None or int(memory.kind) != _MEMORY:
        return {}
    plain = plain_wasi_linker(engine)
    names = (*FORWARDED, "fd_filestat_get")
    reals = (ffi.wasmtime_extern_t * len(names))()
    for slot, name in zip(reals, names, strict=True):
        raw = name.encode()
        if not ffi.wasmtime_linker_get(plain.ptr(), cctx, _WASI, len(_WASI), raw, len(raw), ctypes.byref(slot)):
            raise LookupError(f"wasmtime's WASI has no {name}")  # cannot happen: define_wasi defines them all
    imports = (ffi.wasmtime_extern_t * (len(FORWARDED) + 1))(*reals[: len(FORWARDED)], memory)
    helper = _instance(engine, cctx, "helper", imports)
    funcs = {name: _export(cctx, helper, name).of.func for name in FORWARDED}
    try:
        stat_helper = _instance(engine, cctx, "stat", (ffi.wasmtime_extern_t * 1)(reals[len(FORWARDED)]))
    except (wasmtime.WasmtimeError, wasmtime.Trap):
        return funcs  # no room for its memory under the store's limits: O_TRUNC gives nothing back
    funcs["size"] = _export(cctx, stat_helper, "size").of.func
    return funcs


def install_forwarders(engine: WasmEngine, cctx: Any, instance: Any) -> None:
    """Make the helpers for the guest ``instance`` just made and hand them to the running call's context."""
    ctx = context.current()
    if isinstance(ctx, KeptContext):
        ctx.use_forwarders(instantiate_helpers(engine, cctx, instance))
