"""The sandbox host: wasmtime engines, limits, capabilities, compile cache and isolated calls.

This layer imports nothing from LangChain or LangGraph; the tool and graph layers wrap it.
"""

from langchain_wasm.runtime.capabilities import Capabilities, HostFunction, Preopen
from langchain_wasm.runtime.engine import WasmEngine, default_engine
from langchain_wasm.runtime.hostcall import GuestMemory
from langchain_wasm.runtime.limits import Limits
from langchain_wasm.runtime.metrics import MetricsSink, PrometheusSink, set_metrics_sink
from langchain_wasm.runtime.module import WasmModule
from langchain_wasm.runtime.result import CallMetrics, CallResult
from langchain_wasm.runtime.signatures import ExportInfo, FuncSignature, ImportInfo

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
