"""One component call in the call's store: instantiate, call, lift the result, within the deadline.

``WasmComponent.call`` hands ``execute`` a ``ComponentRunner``; everything that touches wasmtime's component C API
for the call is here. A result type that holds a list may take wasmtime seconds to lift inside ``func_call``
(no epoch check reaches there), so such a call runs on a guest thread and the caller stops waiting at its
deadline plus ``LIFT_GRACE_S`` (the call is then *abandoned*: that thread cleans up).
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from langchain_wasm.abi.component_lift import LiftTimeout, NonFiniteFloat, holds_a_list
from langchain_wasm.abi.wit_types import from_wasm
from langchain_wasm.errors import WasmAbiError, WasmArgumentError, WasmTimeoutError
from langchain_wasm.runtime.guest_thread import guest_threads

__all__ = ["LIFT_GRACE_S", "ComponentRunner"]

#: how long past its deadline a caller waits for a component call whose result wasmtime is still lifting
LIFT_GRACE_S = 0.25


def _delete_vals(raw: Any, count: int) -> None:
    for i in range(count):
        ffi.wasmtime_component_val_delete(ctypes.byref(raw[i]))


class ComponentRunner:
    """Instantiate the component in the call's store and call one function."""

    def __init__(
        self,
        comp: Any,  # the WasmComponent (not imported: component.py imports this module)
        func: Any,  # its ComponentFunction
        values: tuple[Any, ...],
        *,
        json_result: bool,
        lifter: Callable[[Any, float | None], Any] | None = None,
        deadline: float | None = None,
    ):
        self._comp = comp
        self._func = func
        self._values = values
        self._json = json_result
        self._lifter = lifter
        self._deadline = deadline
        #: the caller gave up waiting: a guest thread still holds the store and closes it when done
        self.abandoned = False
        self._large = func.result is not None and holds_a_list(func.result)

    def __call__(self, store: wasmtime.Store, cctx: Any) -> Any:
        linker = self._comp.engine.component_linker()
        instance = linker.instantiate(store, self._comp._component)
        func = self._func
        if func.interface is None:
            target = instance.get_func(store, func.name)
        else:
            iface = instance.get_export_index(store, func.interface)
            index = instance.get_export_index(store, func.name, iface) if iface is not None else None
            target = instance.get_func(store, index) if index is not None else None
        if target is None:
            raise LookupError(f"function {func.name!r} vanished from the instance")
        if self._lifter is not None:
            value = self._call_lifted(store, target, self._lifter)
        else:
            value = target(store, *self._values)
        target.post_return(store)
        if self._json and func.result is not None and self._lifter is None:
            return from_wasm(func.result, value)
        return value

    def _call_lifted(self, store: wasmtime.Store, target: Any, lifter: Callable[[Any, float | None], Any]) -> Any:
        """``target(store, *values)`` with the result lifted by ``component_lift`` (fast, deadline-bound).

        With a deadline the call runs on a guest thread and the caller waits until the deadline plus
        ``LIFT_GRACE_S``: wasmtime lifts a component's result into C values inside ``func_call``, where no epoch
        check reaches, so a hostile component returning millions of values held the caller seconds past its
        deadline. Past the wait the caller gets ``WasmTimeoutError`` and the call is *abandoned*: the thread
        finishes the lifting and frees the values and the store, and nothing else touches the store again
        (``execute`` checks ``abandoned``).
        """
        params = target.type(store).params
        if len(params) != len(self._values):
            raise WasmArgumentError(f"{self._func.name} takes {len(params)} argument(s), got {len(self._values)}")
        raw = (ffi.wasmtime_component_val_t * len(params))()
        lowered = 0
        try:
            for (name, ty), value in zip(params, self._values, strict=True):
                try:
                    ty.convert_to_c(store, value, ctypes.pointer(raw[lowered]))
                except (TypeError, ValueError, OverflowError) as exc:  # wasmtime-py's lowering refused the value
                    raise WasmArgumentError(f"{self._func.name}: argument {name!r} cannot be passed: {exc}") from None
                lowered += 1
        except BaseException:
            _delete_vals(raw, lowered)
            raise
        if self._deadline is None or not self._large:  # a result without a list lifts in bounded time
            return self._invoke(store, target, raw, lowered, lifter)
        return self._invoke_bounded(store, target, raw, lowered, lifter, self._deadline)

    def _invoke_bounded(
        self,
        store: wasmtime.Store,
        target: Any,
        raw: Any,
        lowered: int,
        lifter: Callable[[Any, float | None], Any],
        deadline: float,
    ) -> Any:
        lock = threading.Lock()
        state = {"done": False, "abandoned": False}
        ticker = self._comp.engine.ticker
        ticker.acquire()  # the thread's own hold: the guest's deadline keeps coming after the caller left

        def job() -> Any:
            try:
                return self._invoke(store, target, raw, lowered, lifter)
            finally:
                ticker.release()
                with lock:
                    state["done"] = True
                    abandoned = state["abandoned"]
                if abandoned:
                    store.close()  # nobody else holds it any more

        try:
            future = guest_threads(self._comp.engine.max_wasm_stack).submit(job)
        except BaseException:
            ticker.release()
            _delete_vals(raw, lowered)
            raise

        def abandon() -> bool:
            with lock:
                if not state["done"]:
                    state["abandoned"] = self.abandoned = True
            return self.abandoned

        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()) + LIFT_GRACE_S)
        except TimeoutError:
            if not abandon():  # it finished just now
                return future.result()
            raise WasmTimeoutError(
                f"{self._comp.name}: the wall-clock limit passed while wasmtime was lifting the result of "
                f"{self._func.name!r} (a result too large to convert in time); the call was abandoned",
                trap_code="interrupt",
            ) from None
        except BaseException:  # e.g. KeyboardInterrupt while waiting: the thread still holds the store
            abandon()  # (an error of the job itself comes only once it is done: nothing is abandoned then)
            raise

    def _invoke(
        self, store: wasmtime.Store, target: Any, raw: Any, lowered: int, lifter: Callable[[Any, float | None], Any]
    ) -> Any:
        result = ffi.wasmtime_component_val_t()
        try:
            error = ffi.wasmtime_component_func_call(
                ctypes.byref(target._func), store._context(), raw, lowered, ctypes.byref(result), 1
            )
            if error:
                raise wasmtime.WasmtimeError._from_ptr(error)
            try:
                return lifter(result, self._deadline)
            except NonFiniteFloat as exc:
                raise WasmAbiError(
                    f"{self._comp.name}: {self._func.name!r} returned the float {exc}, which JSON cannot carry; "
                    "the guest's result is refused"
                ) from None
            except LiftTimeout:
                raise WasmTimeoutError(
                    f"{self._comp.name}: the wall-clock limit passed while the host was converting the result of "
                    f"{self._func.name!r} (a result too large to convert in time)",
                    trap_code="interrupt",
                ) from None
            finally:
                ffi.wasmtime_component_val_delete(ctypes.byref(result))
        finally:
            _delete_vals(raw, lowered)

    def memory_bytes(self, cctx: Any) -> int:
        return 0  # a component's memories are internal; the store limit still applies
