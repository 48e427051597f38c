"""Deep Agents integration: ``WasmSandbox``, a local sandbox backend isolated in WebAssembly.

Install with ``pip install 'langchain-wasm[deepagents]'``.
"""

from __future__ import annotations

try:
    import deepagents  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "langchain_wasm.integrations.deepagents needs Deep Agents: pip install 'langchain-wasm[deepagents]'"
    ) from exc

from .backend import WasmSandbox
from .provider import WasmSandboxProvider

__all__ = ["WasmSandbox", "WasmSandboxProvider"]
