"""What a guest may reach. Deny by default: ``Capabilities()`` links no WASI and no host function at all.

WASI preview1 functions are granted in groups. The *base* group (``wasi=True``) holds what cannot reach the host
by itself: argv, exit, fd operations (the only fds are the captured stdio pipes and explicit preopens), and path
operations (which resolve only inside a preopened directory). Clocks and randomness are separate grants because
they leak timing and break determinism. Sockets are never linked: network access is ``http=HttpGrant(...)``,
an allow-list of origins the host reaches on the guest's behalf through the ``lcw_http`` host functions.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .http_grant import HttpGrant, HttpOrigin
from .http_host import HTTP_MODULE, http_request, http_response

__all__ = [
    "WASI_MODULE",
    "WASI_GROUPS",
    "ValKind",
    "Preopen",
    "HostFunction",
    "Capabilities",
    "HTTP_FUNCTIONS",
]

WASI_MODULE = "wasi_snapshot_preview1"

ValKind = Literal["i32", "i64", "f32", "f64"]

_BASE = frozenset(
    {
        "args_get", "args_sizes_get", "environ_get", "environ_sizes_get", "proc_exit", "proc_raise",
        "sched_yield", "fd_advise", "fd_allocate", "fd_close", "fd_datasync", "fd_fdstat_get",
        "fd_fdstat_set_flags", "fd_fdstat_set_rights", "fd_filestat_get", "fd_filestat_set_size",
        "fd_filestat_set_times", "fd_pread", "fd_prestat_get", "fd_prestat_dir_name", "fd_pwrite", "fd_read",
        "fd_readdir", "fd_renumber", "fd_seek", "fd_sync", "fd_tell", "fd_write", "path_create_directory",
        "path_filestat_get", "path_filestat_set_times", "path_link", "path_open", "path_readlink",
        "path_remove_directory", "path_rename", "path_symlink", "path_unlink_file",
    }
)  # fmt: skip
_CLOCKS = frozenset({"clock_res_get", "clock_time_get", "poll_oneoff"})
_RANDOM = frozenset({"random_get"})
_NETWORK = frozenset({"sock_accept", "sock_recv", "sock_send", "sock_shutdown"})

#: WASI preview1 function names by the grant that links them. ``network`` is never granted.
WASI_GROUPS: Mapping[str, frozenset[str]] = {
    "wasi": _BASE,
    "clocks": _CLOCKS,
    "random": _RANDOM,
    "network": _NETWORK,
}


@dataclass(frozen=True, slots=True)
class Preopen:
    """A host directory the guest sees at ``guest_path``. Read-only unless ``writable=True``.

    The guest cannot leave it: WASI resolves every path relative to the directory handle, so ``..`` and
    absolute symlinks that point outside fail inside the guest with an error code.
    """

    host_path: str
    guest_path: str
    writable: bool = False

    def __post_init__(self) -> None:
        if not self.guest_path or "\0" in self.guest_path:
            raise ValueError(f"Preopen.guest_path must be a non-empty path, got {self.guest_path!r}")
        resolved = os.path.realpath(self.host_path)
        if not os.path.isdir(resolved):
            raise ValueError(f"Preopen.host_path is not a directory: {self.host_path!r}")
        object.__setattr__(self, "host_path", resolved)

    def contains(self, path: str | os.PathLike[str]) -> bool:
        """True if ``path`` (a host path) is this directory or inside it, or contains it."""
        return overlaps(self.host_path, os.path.realpath(path))


def overlaps(a: str, b: str) -> bool:
    """True if resolved absolute paths ``a`` and ``b`` are the same folder or one is inside the other (by
    whole components: ``/a/b`` is inside ``/a``, ``/a/bc`` is not inside ``/a/b``)."""
    if a == b:
        return True
    a_dir, b_dir = a.rstrip(os.sep) + os.sep, b.rstrip(os.sep) + os.sep
    return b.startswith(a_dir) or a.startswith(b_dir)


@dataclass(frozen=True, slots=True)
class HostFunction:
    """A Python function the guest may import as ``module.name``.

    The function receives the guest's numeric arguments; with ``memory=True`` it first receives a
    :class:`~langchain_wasm.runtime.hostcall.GuestMemory` to read and write the caller's linear memory.
    If it raises, the guest stops with ``WasmHostFunctionError``. Host functions run on the calling thread
    inside the call; they are the part of the sandbox you are responsible for.
    """

    module: str
    name: str
    params: tuple[ValKind, ...]
    results: tuple[ValKind, ...]
    func: Callable[..., Any]
    memory: bool = False

    def __post_init__(self) -> None:
        for kind in (*self.params, *self.results):
            if kind not in ("i32", "i64", "f32", "f64"):
                raise ValueError(f"HostFunction {self.module}.{self.name}: unsupported value type {kind!r}")
        if self.module == WASI_MODULE:
            raise ValueError(f"HostFunction may not define functions in {WASI_MODULE}; grant WASI groups instead")
        if len(self.results) > 1:
            raise ValueError(f"HostFunction {self.module}.{self.name}: at most one result is supported")


#: The network grant's host functions (``lcw_http.request`` / ``lcw_http.response``), linked with ``http=``.
HTTP_FUNCTIONS: tuple[HostFunction, ...] = (
    HostFunction(HTTP_MODULE, "request", ("i32", "i32"), ("i32",), http_request, memory=True),
    HostFunction(HTTP_MODULE, "response", ("i32", "i32"), ("i32",), http_response, memory=True),
)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a call grants the guest. Everything is off unless named here.

    Attributes:
        wasi: link the WASI preview1 base group (argv, exit, fd and path operations). Implied by any other
            WASI grant below.
        stdin: the guest may read the bytes passed as ``stdin`` (otherwise fd 0 reads fail with EBADF).
        stdout: the guest's stdout is captured (otherwise writes fail with EBADF).
        stderr: the guest's stderr is captured (otherwise writes fail with EBADF).
        argv: pass ``argv`` to the guest (otherwise it sees only the program name).
        env: the exact environment variables the guest sees.
        inherit_env: names of host environment variables copied in (an allow-list; unset names are skipped).
        preopens: directories the guest may open, each read-only unless marked writable.
        clocks: wall and monotonic clocks, and sleeping (``poll_oneoff``, cut off at the deadline).
        random: ``random_get`` (host CSPRNG).
        host_functions: Python functions the guest may import by name.
        http: HTTP(S) requests to an allow-list of origins, made by the host (``HttpGrant``, or a list of
            origins/URLs). Links ``lcw_http.request``/``response``; never a socket. See docs/security.md.
    """

    wasi: bool = False
    stdin: bool = True
    stdout: bool = True
    stderr: bool = True
    argv: bool = True
    env: Mapping[str, str] = field(default_factory=dict)
    inherit_env: tuple[str, ...] = ()
    preopens: tuple[Preopen, ...] = ()
    clocks: bool = False
    random: bool = False
    host_functions: tuple[HostFunction, ...] = ()
    http: HttpGrant | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "env", dict(self.env))
        object.__setattr__(self, "inherit_env", tuple(self.inherit_env))
        object.__setattr__(self, "preopens", tuple(self.preopens))
        # the http functions follow the grant: present with it, absent without (also after dataclasses.replace)
        functions = tuple(hf for hf in self.host_functions if hf not in HTTP_FUNCTIONS)
        if self.http is not None:
            object.__setattr__(self, "http", _grant(self.http))
            functions += HTTP_FUNCTIONS
        object.__setattr__(self, "host_functions", functions)
        for key, value in self.env.items():
            if not isinstance(key, str) or not isinstance(value, str) or "=" in key or "\0" in key + value:
                raise ValueError(f"Capabilities.env: invalid variable {key!r}={value!r}")
        seen: set[tuple[str, str]] = set()
        for hf in self.host_functions:
            if (hf.module, hf.name) in seen:
                raise ValueError(f"Capabilities.host_functions: {hf.module}.{hf.name} defined twice")
            seen.add((hf.module, hf.name))
        guest_paths = [p.guest_path for p in self.preopens]
        if len(set(guest_paths)) != len(guest_paths):
            raise ValueError(f"Capabilities.preopens: duplicate guest paths in {guest_paths}")
        if self.clocks or self.random or self.env or self.inherit_env or self.preopens:
            object.__setattr__(self, "wasi", True)

    @classmethod
    def command(cls, **overrides: Any) -> Capabilities:
        """The usual grant for a WASI command tool: base WASI with captured stdio and argv, nothing else."""
        values: dict[str, Any] = {"wasi": True}
        values.update(overrides)
        return cls(**values)

    def grants_wasi(self, name: str) -> str | None:
        """Return ``None`` if WASI function ``name`` is granted, else the grant it would need."""
        if name in _BASE:
            return None if self.wasi else "wasi"
        if name in _CLOCKS:
            return None if self.clocks else "clocks"
        if name in _RANDOM:
            return None if self.random else "random"
        if name in _NETWORK:
            return "network"
        return "unknown"

    def environment(self) -> list[tuple[str, str]]:
        """The (name, value) pairs the guest sees."""
        pairs = dict(self.env)
        for name in self.inherit_env:
            if name in os.environ and name not in pairs:
                pairs[name] = os.environ[name]
        return sorted(pairs.items())

    def linker_key(self) -> tuple[bool, tuple[HostFunction, ...]]:
        """What the shared linker depends on: stdio shims (only without preopens) and the host functions.

        WASI grants do not change the linker; they are checked against each module's imports.
        """
        return (not self.preopens, self.host_functions)


def _grant(value: Any) -> HttpGrant:
    if isinstance(value, (HttpGrant, HttpOrigin, str, list, tuple)):
        return HttpGrant.of(value)
    raise TypeError(f"Capabilities.http: expected an HttpGrant or a list of origins, got {type(value).__name__}")
