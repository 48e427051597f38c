"""``KeptInstance``: one store and instance kept across calls, each call under its own limits.

Every other path in the host runs a call in a fresh instance. An interpreter session is the explicit
exception: its state *is* the instance. Each call into it gets a fresh fuel budget, a fresh deadline (a guest
sleep is cut off at it too), fresh capped stdout/stderr buffers, and the same error mapping as a fresh call.
Memory caps hold for the instance's whole life. A call that ends abnormally (any trap, a limit, a WASI
``exit``) leaves the instance half-way through guest code, so the instance is then *ended*: later calls raise
``WasmCallError`` saying why. Guests run on ``guest_thread`` threads, whose native stack fits the engine's
``max_wasm_stack``.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from ..errors import LangChainWasmError, WasmCallError, WasmMemoryLimitError, WasmOutputLimitError
from . import context, epoch_slices, interrupts
from .call import _limits_desc, _new_store, _wasi_config, no_fuel_message
from .capabilities import Capabilities
from .context import CallContext
from .engine import WasmEngine
from .guest_thread import guest_threads
from .hostcall import GuestMemory, memory_span
from .kept_linker import KeptContext, WorkspaceQuota, check_imports, kept_linker
from .limits import Limits
from .live import LiveInstance
from .memory_image import MemoryImage
from .metrics import observe
from .result import CallMetrics, CallResult, make_metrics, make_result
from .signatures import FuncSignature
from .traps import PAGE, classify, trap_kind
from .workspace_quota import instantiate_helpers

__all__ = ["KeptInstance", "KeptContext"]  # KeptContext lives in kept_linker.py with the forwarder

_UNLIMITED = 2**62
_TrapPtr = ctypes.POINTER(ffi.wasm_trap_t)


class KeptInstance:
    """A core module instantiated once and called many times, each call under its own ``Limits``.

    Args:
        engine: the engine ``module`` was compiled with.
        module: the compiled module.
        name: a label for errors and metrics.
        imports: the module's imports as ``(module, name)`` pairs, checked against ``capabilities``.
        signatures: the exports callers will use, with their signatures (all others are unreachable).
        limits: memory/table/instance caps for the instance's life, and the fuel and deadline of
            instantiation.
        capabilities: what the guest may reach; preopens are typical (a workspace).
        stub_sockets: link WASI ``sock_*`` imports as stubs that fail with ``ENOTSUP``.
        argv: the guest's arguments after the program name.
    """

    def __init__(
        self,
        engine: WasmEngine,
        module: wasmtime.Module,
        *,
        name: str,
        imports: Sequence[tuple[str, str]],
        signatures: Mapping[str, FuncSignature],
        limits: Limits,
        capabilities: Capabilities,
        stub_sockets: bool = False,
        argv: Sequence[str] = (),
    ) -> None:
        check_imports(name, imports, capabilities, stub_sockets=stub_sockets, cache_dir=engine.cache_dir)
        self.engine = engine
        self.name = name
        self.limits = limits
        self._caps = capabilities
        self._signatures = dict(signatures)
        self._externs: dict[str, Any] = {}  # the exports' handles, looked up on first use
        self._lock = threading.Lock()
        #: the running call's context (its live stdout/stderr buffers), or None between calls
        self.live: KeptContext | None = None
        self._pool = guest_threads(engine.max_wasm_stack)
        self.ended: str | None = None
        #: the image map_image mapped in, and where: its pages go back to it at close
        self._image: tuple[MemoryImage, int] | None = None
        self._store = _new_store(engine.engine)
        self._cctx = self._store._context()
        self._store.set_limits(
            limits.memory_bytes, limits.table_elements, limits.instances, limits.tables, limits.memories
        )
        self._store.set_wasi(_wasi_config(capabilities, name, argv))
        epoch_slices.install(self._store.ptr(), engine.ticker.interval_s)  # Ctrl-C reaches a busy guest
        self._slice = epoch_slices.slice_ticks(engine.ticker.interval_s)
        linker = kept_linker(engine, capabilities.host_functions)
        try:
            self._pool.run(self._instantiate, linker, module)
        except BaseException:
            self._store.close()
            raise

    def _instantiate(self, linker: wasmtime.Linker, module: wasmtime.Module) -> None:
        self._arm(self.limits)
        self.engine.ticker.acquire()
        try:
            instance = linker.instantiate(self._store, module)
            memory = instance.exports(self._store).get("memory")
            forwarders = instantiate_helpers(self.engine, self._cctx, instance._instance)
        except wasmtime.Trap as exc:
            raise classify(
                exc, CallContext(), CallMetrics(module=self.name), limits_desc=_limits_desc(self.limits)
            ) from exc
        except wasmtime.WasmtimeError as exc:
            if "resource limit exceeded" in str(exc) or "memory" in str(exc).lower():
                raise WasmMemoryLimitError(f"{self.name}: cannot instantiate under the limits: {exc}") from exc
            raise WasmCallError(f"{self.name}: cannot instantiate: {exc}") from exc
        finally:
            self.engine.ticker.release()
        if not isinstance(memory, wasmtime.Memory) or not forwarders:
            raise WasmCallError(f"{self.name}: the module exports no plain linear memory named 'memory'")
        self._instance = instance._instance
        self._memory: Any = memory._memory  # the raw wasmtime_memory_t, for the C API
        self._forward = forwarders["fd_write"]
        self._forwarders = forwarders
        self._keep: tuple[Any, ...] = (instance,)  # the object the raw handles belong to

    def _arm(self, limits: Limits) -> int:
        if self.engine.consume_fuel:
            self._store.set_fuel(limits.fuel if limits.fuel is not None else _UNLIMITED)
        elif limits.fuel is not None:
            raise ValueError(no_fuel_message(limits.fuel))
        timeout = limits.timeout_s
        ticks = self.engine.ticker.ticks_for(timeout) if timeout is not None else _UNLIMITED
        ffi.wasmtime_context_set_epoch_deadline(self._cctx, ticks)
        return ticks

    # -- calls ---------------------------------------------------------------------------------------------
    def drive(
        self,
        body: Callable[[LiveInstance], Any],
        *,
        limits: Limits,
        file_write_bytes: int | None = None,
        quota: WorkspaceQuota | None = None,
    ) -> CallResult:
        """Run ``body(live)`` against the kept instance under ``limits`` (fuel, deadline, output caps).

        ``body`` calls exports through ``live.call`` and reaches memory through ``live.memory()``. Its return
        value becomes ``result.value``. A WASI exit returns a result with ``exit_code`` and ends the instance;
        a trap or a limit raises the same typed errors as a fresh call and ends the instance.
        ``file_write_bytes`` caps the bytes the call may write to files (``WasmOutputLimitError``, stream
        ``"files"``: the guest is stopped). ``quota`` bounds what the call may add to writable preopens (bytes,
        new entries); past it the write or create fails with ``EDQUOT`` and the guest goes on. The quota object
        is charged in place, so the caller can read what is left.
        """
        if limits.fuel is not None and not self.engine.consume_fuel:
            raise ValueError(no_fuel_message(limits.fuel))  # before the guest runs: the instance stays usable
        with self._lock:
            if self.ended is not None:
                raise WasmCallError(f"{self.name}: the instance has ended ({self.ended}); start a new one")
            if self._pool.fits_here():
                result = self._drive(body, limits, file_write_bytes, quota)
            else:
                job = self._pool.submit(self._drive, body, limits, file_write_bytes, quota)
                try:
                    result = job.result()
                except BaseException:
                    if not job.done():  # the waiting thread was interrupted: the guest still holds the store
                        job.wait()  # its deadline bounds this; only then may another call enter
                        self.ended = "a call was interrupted while the guest ran"
                    raise
        observe(self.name, result.metrics)
        return result

    def _drive(
        self,
        body: Callable[[LiveInstance], Any],
        limits: Limits,
        file_cap: int | None,
        quota: WorkspaceQuota | None = None,
    ) -> CallResult:
        t0 = time.perf_counter()
        timeout = limits.timeout_s
        ctx = KeptContext(
            self._cctx,
            self._forward,
            file_cap,
            forwarders=self._forwarders,
            quota=quota,
            stdout_cap=limits.stdout_bytes,
            stderr_cap=limits.stderr_bytes,
            stdin_allowed=False,
            deadline=time.monotonic() + timeout if timeout is not None else None,
        )
        http = self._caps.http
        if http is not None:
            from .http_types import HttpCallState  # only with a network grant

            ctx.http = HttpCallState(http, deadline=ctx.deadline)
        fuel = limits.fuel if limits.fuel is not None else _UNLIMITED
        value: Any = None
        exit_code = 0
        failure: BaseException | None = None
        convention: LangChainWasmError | None = None
        ticks = self._arm(limits)
        handler = interrupts.hold()  # a Ctrl-C meanwhile stops the guest at its next host call or epoch slice
        ticking = timeout is not None or handler is not None
        if handler is not None:
            ffi.wasmtime_context_set_epoch_deadline(self._cctx, min(ticks, self._slice))  # see epoch_slices.py
        if ticking:
            self.engine.ticker.acquire()
        prev = context.swap(ctx)
        self.live = ctx
        try:
            value = body(LiveInstance(self._cctx, self._instance, self._signatures, self._externs))
        except wasmtime.ExitTrap as exc:
            exit_code = exc.code
            self.ended = f"the guest exited with status {exc.code}"
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            failure = exc
        except LangChainWasmError as exc:
            convention = exc
        finally:
            came = interrupts.release(handler)
            self.live = None
            context.swap(prev)
            if ticking:
                self.engine.ticker.release()
        memory = self.memory_size()
        remaining = ctypes.c_uint64(fuel)
        if self.engine.consume_fuel:
            ffi.wasmtime_context_get_fuel(self._cctx, ctypes.byref(remaining))
        kind = trap_kind(failure, ctx, memory, limits.memory_bytes) if failure is not None else None
        metrics = make_metrics(
            fuel - remaining.value if kind != "timeout" else 0,
            time.perf_counter() - t0,
            memory,
            len(ctx.stdout),
            len(ctx.stderr),
            kind if failure is not None else ("exit" if exit_code else None),
            self.name,
            ctx.http.metrics() if http is not None else None,
        )
        if came:  # Ctrl-C: the guest stopped at a host call (or finished); the handler decides what follows
            self.ended = "a call was interrupted while the guest ran"
            observe(self.name, metrics)
            interrupts.deliver(handler)  # the default handler raises KeyboardInterrupt here
            raise WasmCallError(f"{self.name}: the call was interrupted (SIGINT)")
        if failure is not None:
            if ctx.stop_reason == "files":
                err: LangChainWasmError = WasmOutputLimitError(
                    f"guest wrote more than {file_cap} bytes to files in one call; it was stopped",
                    stream="files",
                    metrics=metrics,
                    stdout=bytes(ctx.stdout),
                    stderr=bytes(ctx.stderr),
                )
            elif isinstance(ctx.host_error, KeyboardInterrupt):  # Ctrl-C reached this thread in a host call
                self.ended = "a call was interrupted while the guest ran"
                observe(self.name, metrics)
                raise ctx.host_error
            else:
                err = classify(failure, ctx, metrics, limits_desc=_limits_desc(limits))
            self.ended = f"a previous call was stopped: {err}"
            observe(self.name, metrics)
            raise err from (err.__cause__ or failure)
        if convention is not None:
            if hasattr(convention, "metrics"):
                convention.metrics = metrics
            raise convention
        return make_result(value, exit_code, bytes(ctx.stdout), bytes(ctx.stderr), metrics)

    def call(self, export: str, *args: Any, limits: Limits) -> CallResult:
        """Call one export with numeric ``args`` (see ``drive``)."""
        return self.drive(lambda live: live.call(export, *args), limits=limits)

    # -- memory --------------------------------------------------------------------------------------------
    def memory_size(self) -> int:
        """Current size of linear memory in bytes."""
        return int(ffi.wasmtime_memory_data_size(self._cctx, ctypes.byref(self._memory)))

    def memory(self) -> GuestMemory:
        """A bounds-checked view of linear memory as it is now (valid until the next call)."""
        return GuestMemory.from_span(*memory_span(self._cctx, self._memory))

    def read_memory(self) -> bytes:
        """A copy of the whole linear memory (for a snapshot; call between calls, never during one)."""
        with self._lock:
            base, size = memory_span(self._cctx, self._memory)
            return ctypes.string_at(base, size) if size else b""

    def write_runs(self, memory_size: int, runs: Sequence[tuple[int, bytes]]) -> None:
        """Grow linear memory to ``memory_size`` and copy each ``(offset, bytes)`` in, under one lock and one
        look-up of the memory (a template's ~120 runs; ``write_memory`` per run costs several times more)."""
        if memory_size > self.memory_size():
            self.write_memory(b"\0", memory_size - 1)
        with self._lock:
            base, size = memory_span(self._cctx, self._memory)
            for offset, data in runs:
                if offset < 0 or offset + len(data) > size:
                    raise WasmMemoryLimitError(f"{self.name}: memory range at {offset} is outside {size} bytes")
            for offset, data in runs:
                ctypes.memmove(base + offset, data, len(data))

    def image_of_memory(self) -> MemoryImage | None:
        """A sealed image of the whole memory as it is now, for ``map_image`` into other instances of the same
        module (call between calls); ``None`` where images are not supported."""
        with self._lock:
            return MemoryImage.build(*memory_span(self._cctx, self._memory))

    def map_image(self, image: MemoryImage) -> None:
        """Grow linear memory to ``image.size`` and make its contents a private copy-on-write mapping of
        ``image`` (one ``mmap``; a fresh instance only). Raises ``WasmMemoryLimitError`` past the memory cap;
        ``OSError`` if the kernel refuses the mapping, after ending the instance (its memory is then in an
        unknown state: the store is closed at once, nothing reads it again)."""
        if image.size > self.memory_size():
            self.write_memory(b"\0", image.size - 1)
        with self._lock:
            if self.ended is not None:
                raise WasmCallError(f"{self.name}: the instance has ended ({self.ended})")
            base, size = memory_span(self._cctx, self._memory)
            try:
                image.map_over(base, size)
                self._image = image, base
            except (OSError, ValueError) as exc:
                self.ended = "closed"
                self._keep = ()
                self._store.close()
                raise OSError(f"{self.name}: cannot start from the memory image: {exc}") from exc

    def write_memory(self, data: bytes | bytearray | memoryview, offset: int = 0) -> None:
        """Grow linear memory to fit and copy ``data`` in at ``offset`` (restoring a snapshot into a fresh
        instance of the same module). Raises ``WasmMemoryLimitError`` past the instance's memory cap."""
        with self._lock:
            end = offset + len(data)
            if end > self.limits.memory_bytes:
                raise WasmMemoryLimitError(
                    f"{self.name}: restoring {end} bytes of memory exceeds the limit of {self.limits.memory_bytes}"
                )
            size = self.memory_size()
            if end > size:
                pages = (end - size + PAGE - 1) // PAGE
                previous = ctypes.c_uint64(0)
                error = ffi.wasmtime_memory_grow(self._cctx, ctypes.byref(self._memory), pages, ctypes.byref(previous))
                if error:
                    raise WasmMemoryLimitError(
                        f"{self.name}: cannot grow memory to {end} bytes: {wasmtime.WasmtimeError._from_ptr(error)}"
                    )
            base, size = memory_span(self._cctx, self._memory)
            if offset < 0 or end > size:
                raise WasmMemoryLimitError(f"{self.name}: memory range [{offset}, {end}) is outside {size} bytes")
            ctypes.memmove(base + offset, bytes(data), len(data))

    # -- life ----------------------------------------------------------------------------------------------
    def close(self) -> None:
        """Free the store (idempotent); the instance is ended."""
        with self._lock:
            if self.ended != "closed":
                self.ended = "closed"
                self._keep = ()
                mapped, self._image = self._image, None
                try:
                    if mapped is not None:  # no guest runs here again: its written pages go to the next instance
                        image, base = mapped
                        if memory_span(self._cctx, self._memory)[0] == base:  # not moved by a growth since
                            image.reclaim(base, image.size)
                finally:
                    self._store.close()

    def __enter__(self) -> KeptInstance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
