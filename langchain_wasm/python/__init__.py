"""Sandboxed Python for agents: CPython 3.15 on WASI (numpy, pandas, matplotlib, ...) in our wasmtime host.

``WasmPythonSandbox`` runs code one-shot or in sessions (``PythonSession``) with files, figures, limits and
snapshots; ``WasmPythonTool`` (in ``langchain_wasm.python.tool``, loaded lazily because it needs LangChain)
puts it in front of a model.
"""

from typing import TYPE_CHECKING, Any

from .results import PythonError, PythonResult, ResultCaps
from .runtime_files import load_runtime, python_engine
from .sandbox import PYTHON_LIMITS, WasmPythonSandbox

__all__ = [
    "WasmPythonSandbox",
    "PythonSession",
    "PythonResult",
    "PythonError",
    "ResultCaps",
    "PYTHON_LIMITS",
    "SessionEndedError",
    "SnapshotError",
    "WasmPythonTool",
    "load_runtime",
    "python_engine",
    "make_codeact_eval",
]


def __getattr__(name: str) -> Any:
    if name in ("PythonSession", "SessionEndedError"):  # sessions and snapshots load on first use
        from . import session

        return getattr(session, name)
    if name == "SnapshotError":
        from .snapshot import SnapshotError

        return SnapshotError
    if name == "WasmPythonTool":
        from .tool import WasmPythonTool

        return WasmPythonTool
    if name == "make_codeact_eval":
        from .codeact import make_codeact_eval

        return make_codeact_eval
    raise AttributeError(f"module 'langchain_wasm.python' has no attribute {name!r}")


if TYPE_CHECKING:
    from .codeact import make_codeact_eval
    from .session import PythonSession, SessionEndedError
    from .snapshot import SnapshotError
    from .tool import WasmPythonTool
