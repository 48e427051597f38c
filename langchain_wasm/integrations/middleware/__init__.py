"""LangChain agent middleware: ``WasmCodeInterpreterMiddleware`` (sandboxed CPython with programmatic tool
calling) for ``create_agent`` and ``create_deep_agent``. Needs ``pip install 'langchain-wasm[python]'``."""

from __future__ import annotations

from .code_interpreter import Mode, WasmCodeInterpreterMiddleware

__all__ = ["Mode", "WasmCodeInterpreterMiddleware"]
