"""The public surface is pinned: changing it must be a deliberate edit of this list."""

from __future__ import annotations

import langchain_wasm
import langchain_wasm.errors

EXPECTED = [
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

EXPECTED_ERRORS = [
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


def test_all_is_pinned():
    assert langchain_wasm.__all__ == EXPECTED
    assert all(hasattr(langchain_wasm, name) for name in EXPECTED)


def test_errors_are_pinned_and_share_one_base():
    assert langchain_wasm.errors.__all__ == EXPECTED_ERRORS
    for name in EXPECTED_ERRORS:
        assert issubclass(getattr(langchain_wasm.errors, name), langchain_wasm.errors.LangChainWasmError)
