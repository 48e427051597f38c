"""langchain-wasm: WebAssembly sandboxes for LangChain tools and LangGraph agents."""

from langchain_wasm.runtime import (
    CallMetrics,
    CallResult,
    Capabilities,
    ExportInfo,
    FuncSignature,
    GuestMemory,
    HostFunction,
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

__all__ = [
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
]
