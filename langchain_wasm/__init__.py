"""langchain-wasm: WebAssembly sandboxes for LangChain tools and LangGraph agents."""

from typing import TYPE_CHECKING, Any

from langchain_wasm.abi.component import WasmComponent
from langchain_wasm.guest.guest import Guest
from langchain_wasm.runtime import (
    CallMetrics,
    CallResult,
    Capabilities,
    ExportInfo,
    FuncSignature,
    GuestMemory,
    HostFunction,
    HttpGrant,
    HttpMetrics,
    HttpOrigin,
    ImportInfo,
    Limits,
    MetricsSink,
    Preopen,
    PrometheusSink,
    WasmEngine,
    WasmModule,
    default_engine,
    set_metrics_sink,
)

__version__ = "0.1.0"

# The LangChain/LangGraph layers load on first use, so `import langchain_wasm.runtime` stays free of them.
_LAZY = {
    "WasmTool": "langchain_wasm.tools",
    "WasmToolkit": "langchain_wasm.tools",
    "WasmNode": "langchain_wasm.graph",
    "create_wasm_agent": "langchain_wasm.graph",
    "Plan": "langchain_wasm.graph",
    "PlanStep": "langchain_wasm.graph",
    "WasmAgentState": "langchain_wasm.graph",
    "WasmPythonSandbox": "langchain_wasm.python",
    "PythonSession": "langchain_wasm.python",
    "PythonResult": "langchain_wasm.python",
    "WasmPythonTool": "langchain_wasm.python.tool",
    "WasmCompiler": "langchain_wasm.compiler",
    "WasmCompilerTool": "langchain_wasm.compiler.tool",
    "ScriptedChatModel": "langchain_wasm.chat_models",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'langchain_wasm' has no attribute {name!r}")


if TYPE_CHECKING:
    from langchain_wasm.chat_models import ScriptedChatModel
    from langchain_wasm.compiler import WasmCompiler
    from langchain_wasm.compiler.tool import WasmCompilerTool
    from langchain_wasm.graph import Plan, PlanStep, WasmAgentState, WasmNode, create_wasm_agent
    from langchain_wasm.python import PythonResult, PythonSession, WasmPythonSandbox
    from langchain_wasm.python.tool import WasmPythonTool
    from langchain_wasm.tools import WasmTool, WasmToolkit

__all__ = [
    "create_wasm_agent",
    "Plan",
    "PlanStep",
    "WasmAgentState",
    "WasmTool",
    "WasmToolkit",
    "WasmNode",
    "WasmPythonSandbox",
    "WasmPythonTool",
    "PythonSession",
    "PythonResult",
    "Guest",
    "WasmComponent",
    "WasmModule",
    "WasmEngine",
    "default_engine",
    "Limits",
    "Capabilities",
    "Preopen",
    "HostFunction",
    "GuestMemory",
    "CallResult",
    "CallMetrics",
    "ExportInfo",
    "FuncSignature",
    "ImportInfo",
    "MetricsSink",
    "PrometheusSink",
    "set_metrics_sink",
    "WasmCompiler",
    "WasmCompilerTool",
    "HttpGrant",
    "HttpOrigin",
    "HttpMetrics",
    "ScriptedChatModel",
]
