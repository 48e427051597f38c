"""Tool-level errors: what the model can act on is a ``ToolException`` (so ``ToolNode`` turns it into a
``ToolMessage``), with a message that says what went wrong and what to change. Host misconfiguration (a broken
manifest, an ungranted capability) is not the model's to fix and raises the runtime's errors unchanged."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import ToolException

from langchain_wasm.errors import (
    LangChainWasmError,
    WasmAbiError,
    WasmArgumentError,
    WasmCallError,
    WasmExitError,
    WasmFuelExhaustedError,
    WasmGuestError,
    WasmLimitError,
    WasmMemoryLimitError,
    WasmOutputLimitError,
    WasmTimeoutError,
)

__all__ = [
    "WasmToolError",
    "WasmToolArgumentError",
    "WasmToolGuestError",
    "WasmToolLimitError",
    "to_tool_error",
]


class WasmToolError(ToolException):
    """A call the model can retry differently. ``cause`` is the runtime error; ``artifact`` its metrics."""

    def __init__(self, message: str, *, cause: LangChainWasmError | None = None) -> None:
        super().__init__(message)
        self.cause = cause

    @property
    def artifact(self) -> dict[str, Any]:
        metrics = getattr(self.cause, "metrics", None)
        return {
            "error": type(self.cause).__name__ if self.cause else None,
            "metrics": metrics.as_dict() if metrics else None,
        }


class WasmToolArgumentError(WasmToolError):
    """The arguments do not fit the tool's schema."""


class WasmToolGuestError(WasmToolError):
    """The tool ran and refused the input, trapped, or broke its contract."""


class WasmToolLimitError(WasmToolError):
    """The tool hit a sandbox limit (time, instructions, memory, output)."""


_LIMIT_ADVICE: dict[type[WasmLimitError], str] = {
    WasmTimeoutError: "it ran out of time; try a smaller input or a simpler request",
    WasmFuelExhaustedError: "it used up its instruction budget; try a smaller input",
    WasmMemoryLimitError: "it needed more memory than allowed; try a smaller input",
    WasmOutputLimitError: "it produced more output than allowed; ask for less output",
}


def to_tool_error(tool: str, exc: WasmCallError) -> WasmToolError:
    """The ``ToolException`` the model sees for a failed call of ``tool``."""
    if isinstance(exc, WasmArgumentError):
        return WasmToolArgumentError(
            f"Invalid arguments for {tool}: {exc}. Fix the arguments and call again.", cause=exc
        )
    if isinstance(exc, WasmLimitError):
        advice = next((a for cls, a in _LIMIT_ADVICE.items() if isinstance(exc, cls)), "it hit a sandbox limit")
        return WasmToolLimitError(f"{tool} was stopped: {advice}. ({exc})", cause=exc)
    if isinstance(exc, WasmGuestError | WasmExitError):
        return WasmToolGuestError(f"{tool} could not do it: {exc}", cause=exc)
    if isinstance(exc, WasmAbiError):
        return WasmToolGuestError(
            f"{tool} failed and returned invalid output; its result was discarded. ({exc})", cause=exc
        )
    return WasmToolGuestError(f"{tool} failed: {exc}", cause=exc)
