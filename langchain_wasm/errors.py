"""Typed errors raised by the sandbox host.

Two families, kept apart as wasmtime does: problems with the module or its grant (``WasmLoadError``,
``WasmCapabilityError``), raised before any guest code runs, and problems of one call (traps, limit breaches,
non-zero exits), raised after the guest ran. Every limit breach carries the metrics of the call that hit it.

The LangChain layer re-raises call errors as ``ToolException`` subclasses; this module imports nothing from
LangChain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_wasm.runtime.result import CallMetrics, CallResult

__all__ = [
    "LangChainWasmError",
    "WasmLoadError",
    "ManifestError",
    "WasmCapabilityError",
    "WasmCallError",
    "WasmArgumentError",
    "WasmTrapError",
    "WasmLimitError",
    "WasmTimeoutError",
    "WasmFuelExhaustedError",
    "WasmMemoryLimitError",
    "WasmOutputLimitError",
    "WasmExitError",
    "WasmHostFunctionError",
    "WasmGuestError",
    "WasmAbiError",
]


class LangChainWasmError(Exception):
    """Base class of every error this package raises on purpose."""


class WasmLoadError(LangChainWasmError):
    """The bytes are not a module wasmtime accepts (malformed, type-invalid, or an incompatible cache entry)."""


class ManifestError(WasmLoadError):
    """A guest manifest is malformed or disagrees with its module (missing export, wrong signature, an import
    its declared capabilities do not grant). The message names the manifest and the problem."""


class WasmCapabilityError(LangChainWasmError):
    """The module imports something the granted capabilities do not provide.

    Attributes:
        module: import module name of the first refused import (e.g. ``wasi_snapshot_preview1``).
        name: its field name (e.g. ``random_get``).
        needs: the capability grants that would satisfy the refused WASI imports (``("clocks", "random")``).
    """

    def __init__(self, message: str, *, module: str = "", name: str = "", needs: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.module = module
        self.name = name
        self.needs = needs


class WasmCallError(LangChainWasmError):
    """A call started and did not produce a result.

    Attributes:
        metrics: what the call consumed before it stopped (fuel, wall time, memory, output sizes).
        stdout: what the guest wrote to stdout before it stopped (capped).
        stderr: what the guest wrote to stderr before it stopped (capped).
    """

    def __init__(
        self,
        message: str,
        *,
        metrics: CallMetrics | None = None,
        stdout: bytes = b"",
        stderr: bytes = b"",
    ) -> None:
        super().__init__(message)
        self.metrics = metrics
        self.stdout = stdout
        self.stderr = stderr


class WasmArgumentError(WasmCallError, ValueError):
    """Arguments do not fit the export (wrong count, type, or out of the parameter's integer range)."""


class WasmTrapError(WasmCallError):
    """The guest trapped (``unreachable``, out-of-bounds access, division by zero, stack overflow, ...).

    Attributes:
        trap_code: the wasmtime trap code name in lower case (``"unreachable"``, ``"stack_overflow"``, ...),
            or ``None`` when wasmtime gave no code.
    """

    def __init__(self, message: str, *, trap_code: str | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.trap_code = trap_code


class WasmLimitError(WasmTrapError):
    """Base of the limit breaches: the host stopped the guest because it used too much of something."""


class WasmTimeoutError(WasmLimitError):
    """The wall-clock deadline passed (epoch interruption, or a guest sleep cut short)."""


class WasmFuelExhaustedError(WasmLimitError):
    """The instruction budget (fuel) ran out."""


class WasmMemoryLimitError(WasmLimitError):
    """The guest needed more linear memory (or tables/instances) than the store limits allow."""


class WasmOutputLimitError(WasmLimitError):
    """The guest wrote more to stdout or stderr than the cap allows. ``stream`` names which one."""

    def __init__(self, message: str, *, stream: str = "", **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.stream = stream


class WasmExitError(WasmCallError):
    """A WASI program exited with a non-zero status. ``exit_code`` holds it."""

    def __init__(self, message: str, *, exit_code: int, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.exit_code = exit_code

    @classmethod
    def from_result(cls, message: str, result: CallResult) -> WasmExitError:
        """The error for a finished call whose exit status is non-zero."""
        return cls(
            message, exit_code=result.exit_code, metrics=result.metrics, stdout=result.stdout, stderr=result.stderr
        )


class WasmHostFunctionError(WasmTrapError):
    """A granted host function raised; the guest was stopped. ``__cause__`` is the original exception."""


class WasmGuestError(WasmCallError):
    """The guest ran to completion and reported that it could not do the job (its input was refused).

    Attributes:
        code: the guest's error code, when its calling convention carries one.
    """

    def __init__(self, message: str, *, code: int | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.code = code


class WasmAbiError(WasmCallError):
    """The guest broke its calling convention: a pointer or length outside its memory, output that is not
    what its manifest declares (bad encoding, invalid JSON, schema violation). Such output is never passed on."""
