"""The sandbox host: wasmtime engines, limits, capabilities, compile cache and isolated calls.

This layer imports nothing from LangChain or LangGraph; the tool and graph layers wrap it. Its names load on
first use, so a caller importing one submodule (the Python sandbox imports ``runtime.result``) does not pay for
the others.
"""

from __future__ import annotations

TYPE_CHECKING = False

_LAZY = {
    "WasmModule": "module",
    "WasmEngine": "engine",
    "default_engine": "engine",
    "Limits": "limits",
    "Capabilities": "capabilities",
    "Preopen": "capabilities",
    "HostFunction": "capabilities",
    "GuestMemory": "hostcall",
    "CallResult": "result",
    "CallMetrics": "result",
    "ExportInfo": "signatures",
    "FuncSignature": "signatures",
    "ImportInfo": "signatures",
    "MetricsSink": "metrics",
    "PrometheusSink": "metrics",
    "set_metrics_sink": "metrics",
    "HttpGrant": "http_grant",
    "HttpOrigin": "http_grant",
    "HttpMetrics": "result",
}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'langchain_wasm.runtime' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:
    from typing import Any

    from .capabilities import Capabilities, HostFunction, Preopen
    from .engine import WasmEngine, default_engine
    from .hostcall import GuestMemory
    from .http_grant import HttpGrant, HttpOrigin
    from .limits import Limits
    from .metrics import MetricsSink, PrometheusSink, set_metrics_sink
    from .module import WasmModule
    from .result import CallMetrics, CallResult, HttpMetrics
    from .signatures import ExportInfo, FuncSignature, ImportInfo
