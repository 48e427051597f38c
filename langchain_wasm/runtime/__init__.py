"""The sandbox host: wasmtime engines, limits, capabilities, compile cache and isolated calls.

This layer imports nothing from LangChain or LangGraph; the tool and graph layers wrap it.
"""

from .capabilities import Capabilities, HostFunction, Preopen
from .engine import WasmEngine, default_engine
from .hostcall import GuestMemory
from .http_grant import HttpGrant, HttpOrigin
from .limits import Limits
from .metrics import MetricsSink, PrometheusSink, set_metrics_sink
from .module import WasmModule
from .result import CallMetrics, CallResult, HttpMetrics
from .signatures import ExportInfo, FuncSignature, ImportInfo

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
    "HttpGrant",
    "HttpOrigin",
    "HttpMetrics",
]
