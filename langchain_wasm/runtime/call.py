"""One isolated call: a fresh store with limits, a fresh instance, the guest's run, metrics and error mapping.

The hot path talks to wasmtime's C API directly (instantiate, export lookup, call) because wasmtime-py's
high-level wrappers rebuild type objects and export maps on every call, which dominates a tiny call's cost.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Protocol

import wasmtime
from wasmtime import _ffi as ffi

from ..errors import LangChainWasmError, WasmAbiError, WasmCallError, WasmExitError
from . import context, interrupts
from .capabilities import Capabilities
from .context import CallContext
from .engine import WasmEngine
from .hostcall import GuestMemoryError
from .kept_linker import KeptContext, WorkspaceQuota
from .limits import Limits
from .live import LiveInstance, raise_from
from .result import CallResult, make_metrics, make_result
from .signatures import FuncSignature
from .stdio_pipes import OutputPump, attach_stdio
from .traps import classify, trap_kind
from .values import from_raw_results

__all__ = ["CoreRunner", "Invocation", "Runner", "execute"]

_UNLIMITED_FUEL = 2**62
#: wasmtime checks fuel only at function entries and loop headers, so a straight stretch of code can run past the
#: budget (and the counter then reads 0). The store gets this much more than the budget, so an overrun is seen
#: and refused, and fuel_used is exact.
_FUEL_SLACK = 100_000
_NO_DEADLINE = 2**62


class Invocation:
    """What to run in the fresh instance.

    Either one export with raw params (``command=True`` for a WASI ``_start``), or a ``body`` that drives the
    instance through a :class:`LiveInstance` (several calls and memory access, e.g. the buffer ABI); the
    body's return value becomes ``CallResult.value``. A plain slotted class: one is built per call.
    """

    __slots__ = ("body", "command", "export", "raw_params", "signature", "signatures")

    def __init__(
        self,
        export: str,
        signature: FuncSignature | None = None,
        raw_params: ctypes.Array[Any] | None = None,
        command: bool = False,
        body: Callable[[LiveInstance], Any] | None = None,
        signatures: dict[str, FuncSignature] | None = None,
    ) -> None:
        self.export = export
        self.signature = signature
        self.raw_params = raw_params
        self.command = command
        self.body = body
        self.signatures = signatures

    @property
    def name(self) -> bytes:
        return self.export.encode()

    @property
    def nparams(self) -> int:
        return len(self.raw_params) if self.raw_params is not None else 0

    @property
    def nresults(self) -> int:
        return len(self.signature.results) if self.signature is not None else 0

    def results_type(self) -> ctypes.Array[Any]:
        return (ffi.wasmtime_val_t * self.nresults)()


def _wasi_config(caps: Capabilities, program: str, argv: Sequence[str]) -> wasmtime.WasiConfig:
    """Per-call WASI state: argv, the allow-listed environment, preopens. Stdio is wired separately."""
    cfg = wasmtime.WasiConfig()
    cfg.argv = [program, *argv] if caps.argv else [program]
    env = caps.environment()
    if env:
        cfg.env = env
    for pre in caps.preopens:
        cfg.preopen_dir(pre.host_path, pre.guest_path, pre.writable)
    return cfg


def _memory_size(cctx: Any, instance: Any, memory_export: bytes | None) -> int:
    if memory_export is None:
        return 0
    item = ffi.wasmtime_extern_t()
    if not ffi.wasmtime_instance_export_get(
        cctx, ctypes.byref(instance), memory_export, len(memory_export), ctypes.byref(item)
    ):
        return 0
    return int(ffi.wasmtime_memory_data_size(cctx, ctypes.byref(item.of.memory)))


def _call_export(cctx: Any, instance: Any, inv: Invocation) -> Any:
    """The single-export path (core calls and WASI commands), kept lean: it is the hot path."""
    item = ffi.wasmtime_extern_t()
    name = inv.name
    if not ffi.wasmtime_instance_export_get(cctx, ctypes.byref(instance), name, len(name), ctypes.byref(item)):
        raise LookupError(f"export {inv.export!r} vanished")  # checked at prepare time
    results = inv.results_type()
    trap = _TrapPtr()
    error = ffi.wasmtime_func_call(
        cctx, ctypes.byref(item.of.func), inv.raw_params, inv.nparams, results, inv.nresults, ctypes.byref(trap)
    )
    raise_from(error, trap)
    return from_raw_results(inv.signature, results) if inv.signature is not None else None


def no_fuel_message(fuel: int) -> str:
    """Why a fuel budget cannot be honoured by an engine compiled without fuel metering."""
    return (
        f"Limits.fuel={fuel} needs an engine that meters fuel; this one was made with consume_fuel=False "
        "(deadlines only): set fuel=None and bound the call by timeout_s, or use a fuel-metering engine"
    )


def _new_store(engine: wasmtime.Engine) -> wasmtime.Store:
    """``wasmtime.Store(engine)`` without its per-call ctypes type construction (hot path)."""
    store: wasmtime.Store = wasmtime.Store.__new__(wasmtime.Store)
    store._set_ptr(ffi.wasmtime_store_new(engine.ptr(), None, _NO_FINALIZER))
    store._Store__context = ffi.wasmtime_store_context(store.ptr())  # type: ignore[attr-defined]
    store.engine = engine
    return store


#: The context of calls into modules with no imports: no host function can run, so nothing ever writes to it.
_QUIET = CallContext()
_NO_FINALIZER = ctypes.cast(0, ctypes.CFUNCTYPE(None, ctypes.c_void_p))
_TrapPtr = ctypes.POINTER(ffi.wasm_trap_t)


class Runner(Protocol):
    """What runs inside the fresh store: instantiate, call, and report linear memory afterwards."""

    def __call__(self, store: wasmtime.Store, cctx: Any) -> Any: ...

    def memory_bytes(self, cctx: Any) -> int: ...


class CoreRunner:
    """Instantiate a pre-linked core module and run one export, or a body driving the instance."""

    __slots__ = ("_instance", "_instantiated", "_inv", "_memory_export", "_on_instance", "_pre")

    def __init__(
        self,
        pre: wasmtime.InstancePre,
        inv: Invocation,
        memory_export: bytes | None,
        on_instance: Callable[[Any, Any], None] | None = None,
    ) -> None:
        self._pre = pre
        self._inv = inv
        self._memory_export = memory_export
        self._on_instance = on_instance  # (cctx, instance) once instantiated: the quota path's helper
        self._instance = ffi.wasmtime_instance_t()
        self._instantiated = False

    def __call__(self, store: wasmtime.Store, cctx: Any) -> Any:
        trap = _TrapPtr()
        error = ffi.wasmtime_instance_pre_instantiate(
            self._pre.ptr(), cctx, ctypes.byref(self._instance), ctypes.byref(trap)
        )
        raise_from(error, trap)
        self._instantiated = True
        if self._on_instance is not None:
            self._on_instance(cctx, self._instance)
        inv = self._inv
        if inv.body is not None:
            return inv.body(LiveInstance(cctx, self._instance, inv.signatures or {}))
        return _call_export(cctx, self._instance, inv)

    def memory_bytes(self, cctx: Any) -> int:
        return _memory_size(cctx, self._instance, self._memory_export) if self._instantiated else 0


def execute(
    engine: WasmEngine,
    runner: Runner,
    *,
    label: str,
    module_name: str,
    needs_wasi: bool,
    needs_host: bool,
    limits: Limits,
    caps: Capabilities,
    stdin: bytes = b"",
    argv: Sequence[str] = (),
    command: bool = False,
    stdio_pipes: bool = False,
    quota: WorkspaceQuota | None = None,
) -> CallResult:
    """Run ``runner`` in a fresh store under ``limits`` and ``caps``; map every failure to our errors.

    ``needs_host`` says whether the module imports anything; a module that does not cannot reach a host
    function, so it gets no call context (the common tiny-tool case stays cheap). ``stdio_pipes`` routes
    stdio through pipes even without preopens (components use WASI p2 streams, not our fd shims). ``quota``
    (``workspace_quota.call_quota``) bounds what the guest adds to writable preopens; the module must then be
    linked by ``kept_linker`` (our ``fd_write`` captures stdout/stderr, so only stdin is piped).
    """
    t0 = time.perf_counter()
    metered = engine.consume_fuel
    if not metered and limits.fuel is not None:
        raise ValueError(no_fuel_message(limits.fuel))
    store = _new_store(engine.engine)
    cctx = store._context()
    instances, memories = limits.instances, limits.memories
    if quota is not None:  # room for the quota's helper instances (workspace_quota.instantiate_helpers)
        instances, memories = max(instances, 3), max(memories, 2)
    store.set_limits(limits.memory_bytes, limits.table_elements, instances, limits.tables, memories)
    fuel = limits.fuel + _FUEL_SLACK if limits.fuel is not None else _UNLIMITED_FUEL
    if metered:
        store.set_fuel(fuel)
    timeout = limits.timeout_s
    store.set_epoch_deadline(engine.ticker.ticks_for(timeout) if timeout is not None else _NO_DEADLINE)
    pumps: tuple[OutputPump | None, OutputPump | None] = (None, None)
    if needs_wasi:
        cfg = _wasi_config(caps, module_name, argv)
        if caps.preopens or stdio_pipes:  # wasmtime's own stdio stays linked: go through pipes
            piped = quota is None
            pumps = attach_stdio(
                cfg,
                stdin=bytes(stdin) if caps.stdin else None,
                stdout_cap=limits.stdout_bytes if caps.stdout and piped else None,
                stderr_cap=limits.stderr_bytes if caps.stderr and piped else None,
            )
        store.set_wasi(cfg)
    ctx = (
        _QUIET
        if not needs_host
        else (CallContext if quota is None else partial(KeptContext, cctx, None, quota=quota))(
            stdin=bytes(stdin),
            stdin_allowed=caps.stdin,
            stdout_allowed=caps.stdout,
            stderr_allowed=caps.stderr,
            stdout_cap=limits.stdout_bytes,
            stderr_cap=limits.stderr_bytes,
            deadline=time.monotonic() + timeout if timeout is not None else None,
        )
    )
    http = caps.http if needs_host else None
    if http is not None:
        from .http_types import HttpCallState  # only with a network grant

        ctx.http = HttpCallState(http, deadline=ctx.deadline)
    convention_error: LangChainWasmError | None = None
    unexpected: BaseException | None = None
    value: Any = None
    exit_code = 0
    failure: BaseException | None = None
    if timeout is not None:
        engine.ticker.acquire()
    prev = context.swap(ctx) if needs_host else None
    handler = interrupts.hold() if needs_host else None  # Python host functions: Ctrl-C held (interrupts.py)
    try:
        value = runner(store, cctx)
    except wasmtime.ExitTrap as exc:
        exit_code = exc.code
    except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
        failure = exc
    except LangChainWasmError as exc:  # raised by a body (e.g. a wild pointer); reported after cleanup
        convention_error = exc
    except GuestMemoryError as exc:  # a body followed a guest pointer out of linear memory
        convention_error = WasmAbiError(f"the guest broke its calling convention: {exc}")
    except BaseException as exc:  # anything else (a bug, KeyboardInterrupt): re-raised once the store is closed
        unexpected = exc
    finally:
        came = interrupts.release(handler)
        if needs_host:
            context.swap(prev)
        if timeout is not None:
            engine.ticker.release()
    if getattr(runner, "abandoned", False):
        # the runner left its store to a thread that is still in it (a component result still being lifted
        # past the deadline): that thread closes it; reading fuel or output here would race with it
        for pump in pumps:
            if pump is not None:
                pump.close_write_end()  # its reader ends once the store's own write end is closed
        memory, left = 0, fuel
    else:
        memory = runner.memory_bytes(cctx)
        remaining = ctypes.c_uint64(fuel)
        if metered:
            ffi.wasmtime_context_get_fuel(cctx, ctypes.byref(remaining))
        store.close()
        if pumps[0] is not None or pumps[1] is not None:
            if ctx is _QUIET:  # pumps write into the context: give this call its own
                ctx = CallContext()
            _collect_pumps(ctx, pumps)
        left = remaining.value
    if unexpected is not None:
        raise unexpected
    if came:  # Ctrl-C during the call: the store is closed; the handler decides (the default raises)
        interrupts.deliver(handler)
        raise WasmCallError(f"{module_name}: the call was interrupted (SIGINT)")
    return finish(
        value=value,
        exit_code=exit_code,
        failure=failure,
        convention_error=convention_error,
        ctx=ctx,
        fuel=fuel,
        remaining=left,
        memory=memory,
        limits=limits,
        wall=time.perf_counter() - t0,
        module_name=module_name,
        label=label,
        command=command,
        http=http,
    )


def finish(
    *,
    value: Any,
    exit_code: int,
    failure: BaseException | None,
    convention_error: LangChainWasmError | None,
    ctx: CallContext,
    fuel: int,
    remaining: int,
    memory: int,
    limits: Limits,
    wall: float,
    module_name: str,
    label: str,
    command: bool,
    http: Any,
) -> CallResult:
    """The outcome of a call whose store is closed: the result, or the typed error for what stopped it."""
    if failure is None and ctx.stop_reason is not None:  # an output pump overflowed during a clean run
        failure = RuntimeError(ctx.stop_reason)
    used = fuel - remaining
    if limits.fuel is not None and used > limits.fuel:
        if failure is None and convention_error is None:  # finished, but past the budget: refuse the result
            if ctx is _QUIET:
                ctx = CallContext()
            ctx.stop_reason = "fuel"
            failure = RuntimeError("the fuel budget was overrun")
        if remaining == 0:  # trapped at budget + slack: the true use is unknown, the budget is spent
            used = limits.fuel
    kind = trap_kind(failure, ctx, memory, limits.memory_bytes) if failure is not None else None
    metrics = make_metrics(
        used,
        wall,
        memory,
        len(ctx.stdout),
        len(ctx.stderr),
        kind if failure is not None else ("exit" if exit_code else None),
        module_name,
        ctx.http.metrics() if http is not None else None,
    )
    if failure is not None:
        err = classify(failure, ctx, metrics, limits_desc=_limits_desc(limits))
        raise err from (err.__cause__ or failure)
    if convention_error is not None:
        if hasattr(convention_error, "metrics"):
            convention_error.metrics = metrics
        raise convention_error
    result = make_result(value, exit_code, bytes(ctx.stdout), bytes(ctx.stderr), metrics)
    if exit_code and not command:
        raise WasmExitError.from_result(f"guest called exit({exit_code}) during {label!r}", result)
    return result


def _collect_pumps(ctx: CallContext, pumps: tuple[OutputPump | None, OutputPump | None]) -> None:
    """Move piped stdout/stderr into ``ctx``; an overflow outranks whatever else stopped the guest."""
    for pump, stream in zip(pumps, ("stdout", "stderr"), strict=True):
        if pump is None:
            continue
        data = pump.finish()
        getattr(ctx, stream)[:] = data
        if pump.overflowed and ctx.stop_reason not in ("stdout", "stderr"):
            ctx.stop_reason = stream


def _limits_desc(limits: Limits) -> dict[str, object]:
    return {
        "timeout_s": limits.timeout_s,
        "fuel": limits.fuel,
        "memory_bytes": limits.memory_bytes,
        "stdout_bytes": limits.stdout_bytes,
        "stderr_bytes": limits.stderr_bytes,
    }
