"""LangGraph integration: Wasm guests as graph nodes."""

from langchain_wasm.graph.node import WasmNode

__all__ = ["WasmNode"]
