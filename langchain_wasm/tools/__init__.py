"""LangChain tools backed by Wasm guests."""

from langchain_wasm.tools.errors import (
    WasmToolArgumentError,
    WasmToolError,
    WasmToolGuestError,
    WasmToolLimitError,
)
from langchain_wasm.tools.toolkit import ENTRY_POINT_GROUP, WasmToolkit
from langchain_wasm.tools.wasm_tool import WasmTool

__all__ = [
    "WasmTool",
    "WasmToolkit",
    "ENTRY_POINT_GROUP",
    "WasmToolError",
    "WasmToolArgumentError",
    "WasmToolGuestError",
    "WasmToolLimitError",
]
