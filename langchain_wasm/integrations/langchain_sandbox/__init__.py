"""A drop-in for langchain-sandbox users: change ``from langchain_sandbox import ...`` to
``from langchain_wasm.integrations.langchain_sandbox import ...``.

``PyodideSandbox``, ``SyncPyodideSandbox``, ``PyodideSandboxTool`` and ``CodeExecutionResult`` take the same
arguments and return the same fields, but run in langchain-wasm's CPython-on-WebAssembly sandbox: no Deno, works
offline and with LangChain v1 (langchain-sandbox pins ``langchain-core<0.4``), real time and memory limits.
Permissions it never grants (``allow_net=True``, ...) raise ``UnsupportedOptionError``. Needs the ``python`` extra.
"""

from .sandbox import (
    BasePyodideSandbox,
    CodeExecutionResult,
    PyodideSandbox,
    SyncPyodideSandbox,
    UnsupportedOptionError,
)
from .tool import PyodideSandboxTool

__all__ = [
    "BasePyodideSandbox",
    "CodeExecutionResult",
    "PyodideSandbox",
    "PyodideSandboxTool",
    "SyncPyodideSandbox",
    "UnsupportedOptionError",
]
