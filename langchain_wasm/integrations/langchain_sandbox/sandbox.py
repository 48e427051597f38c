"""``PyodideSandbox`` and ``SyncPyodideSandbox`` with langchain-sandbox's arguments and results, run by our CPython.

``session_bytes`` is a snapshot of the interpreter (``PythonSession.snapshot()``: its memory diff and workspace,
compressed), not a pickle; ``session_metadata`` has the same keys (``created``, ``lastModified``, ``packages``).
Deno permissions have no meaning here: the code never gets network, host files, environment or subprocesses,
so asking for any of them is refused (``UnsupportedOptionError``) rather than silently ignored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import UTC, datetime
from typing import Any, Literal

from langchain_wasm.errors import WasmCallError, WasmTimeoutError
from langchain_wasm.python.sandbox import WasmPythonSandbox
from langchain_wasm.python.session import PythonSession
from langchain_wasm.python.snapshot import SnapshotError
from langchain_wasm.runtime.limits import MIB, Limits

__all__ = [
    "BasePyodideSandbox",
    "CodeExecutionResult",
    "PyodideSandbox",
    "Status",
    "SyncPyodideSandbox",
    "UnsupportedOptionError",
]

Status = Literal["success", "error"]

# import name -> package name, for session_metadata["packages"] (what Pyodide would have loaded)
_PACKAGES = {
    "numpy": "numpy", "pandas": "pandas", "scipy": "scipy", "sklearn": "scikit-learn", "statsmodels": "statsmodels",
    "matplotlib": "matplotlib", "seaborn": "seaborn", "sympy": "sympy", "networkx": "networkx", "PIL": "pillow",
    "lxml": "lxml", "bs4": "beautifulsoup4", "openpyxl": "openpyxl", "yaml": "pyyaml", "regex": "regex",
    "tabulate": "tabulate",
}  # fmt: skip
_PACKAGES_QUERY = f"sorted(set(__import__('sys').modules) & {set(_PACKAGES)!r})"
_ADVICE = {
    "allow_net": "the sandbox has no network, and needs none to import packages: numpy, pandas, scipy, "
    "scikit-learn, matplotlib and more are built in",
    "allow_env": "the code sees no host environment variables; put values in the code instead",
    "allow_read": "the code cannot read host files; pass data in the code, or use "
    "langchain_wasm.WasmPythonSandbox sessions (put_file) to give it files",
    "allow_write": "the code cannot write host files; it writes its own /workspace (see "
    "langchain_wasm.WasmPythonSandbox sessions, get_file)",
    "allow_run": "the code cannot start subprocesses",
    "allow_ffi": "the code cannot load native libraries",
}


class UnsupportedOptionError(ValueError):
    """An option of langchain-sandbox that this sandbox cannot honour (a permission it never grants)."""


@dataclasses.dataclass(kw_only=True)
class CodeExecutionResult:
    """Container for code execution results (the same fields as langchain-sandbox's)."""

    result: Any = None
    stdout: str | None = None
    stderr: str | None = None
    status: Status
    execution_time: float
    session_metadata: dict[str, Any] | None = None
    session_bytes: bytes | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BasePyodideSandbox:
    """The arguments of langchain-sandbox's sandboxes, checked; runs go to a ``WasmPythonSandbox``.

    Args:
        stateful: return ``session_bytes``/``session_metadata`` that a later ``execute`` can continue from.
        allow_env, allow_read, allow_write, allow_net, allow_run, allow_ffi: must be ``False`` (or empty): this
            sandbox never grants them, and says so instead of running with less than was asked.
        node_modules_dir, skip_deno_check: accepted for compatibility; there is no Deno.
        sandbox: the ``WasmPythonSandbox`` that runs the code (default: one with its default limits, 30 s and
            1 GiB per run; numpy and pandas preloaded unless ``stateful``).
    """

    def __init__(
        self,
        *,
        stateful: bool = False,
        allow_env: list[str] | bool = False,
        allow_read: list[str] | bool = False,
        allow_write: list[str] | bool = False,
        allow_net: list[str] | bool = False,
        allow_run: list[str] | bool = False,
        allow_ffi: list[str] | bool = False,
        node_modules_dir: str = "auto",
        skip_deno_check: bool = False,
        sandbox: WasmPythonSandbox | None = None,
    ) -> None:
        options = {
            "allow_env": allow_env,
            "allow_read": allow_read,
            "allow_write": allow_write,
            "allow_net": allow_net,
            "allow_run": allow_run,
            "allow_ffi": allow_ffi,
        }
        for name, value in options.items():
            if value is True or (isinstance(value, list) and value):
                raise UnsupportedOptionError(
                    f"{name}={value!r} cannot be honoured by langchain-wasm's sandbox: {_ADVICE[name]}. "
                    f"Remove {name} (it defaults to False)."
                )
            if value is not False and not isinstance(value, list):
                raise TypeError(f"{name} must be a bool or a list of strings, got {type(value).__name__}")
        self.stateful = stateful
        self.node_modules_dir = node_modules_dir
        self.permissions: list[str] = []  # no Deno flags: nothing is granted
        # Preloading numpy/pandas makes one-shot runs start fast but would put them in every snapshot (~14 MB
        # instead of ~0.5 MB for a small state), so stateful sandboxes start from a bare interpreter.
        self.sandbox = sandbox or WasmPythonSandbox(preload=() if stateful else ("numpy", "pandas"), quiet=True)

    def _limits(self, timeout_seconds: float | None, memory_limit_mb: int | None) -> Limits:
        lim = self.sandbox.limits
        if timeout_seconds is not None:
            if not timeout_seconds > 0:
                raise ValueError(f"timeout_seconds must be > 0, got {timeout_seconds!r}")
            lim = dataclasses.replace(lim, timeout_s=float(timeout_seconds))
        if memory_limit_mb is not None and memory_limit_mb > 0:
            lim = dataclasses.replace(lim, memory_bytes=int(memory_limit_mb) * MIB)
        return lim

    def _open(self, session_bytes: bytes | None, lim: Limits) -> PythonSession:
        if session_bytes:
            return self.sandbox.restore(bytes(session_bytes), limits=lim)
        return self.sandbox.session(limits=lim)

    def _execute(
        self,
        code: str,
        session_bytes: bytes | None,
        session_metadata: dict[str, Any] | None,
        timeout_seconds: float | None,
        memory_limit_mb: int | None,
    ) -> CodeExecutionResult:
        start = time.time()
        lim = self._limits(timeout_seconds, memory_limit_mb)
        metadata = dict(session_metadata or {})
        metadata.setdefault("created", _now())

        def failed(message: str) -> CodeExecutionResult:
            # The state is the one passed in: a run stopped by a limit changes nothing.
            return CodeExecutionResult(
                status="error",
                stderr=message,
                execution_time=time.time() - start,
                session_metadata=dict(session_metadata) if session_metadata else None,
                session_bytes=session_bytes if self.stateful else None,
            )

        try:
            session = self._open(session_bytes, lim)
        except SnapshotError as exc:
            return failed(f"session_bytes could not be restored ({exc}); start without them to get a new session")
        except WasmCallError as exc:
            return failed(f"the sandbox could not start an interpreter: {exc}")
        try:
            try:
                run = session.run(code)
            except WasmTimeoutError:
                return failed(f"Execution timed out after {lim.timeout_s} seconds")
            except WasmCallError as exc:
                return failed(f"Execution stopped: {exc}")
            metadata["lastModified"] = _now()
            blob = None
            if session.alive:  # not after exit(): that ends the interpreter, and the state with it
                packages = session.run(_PACKAGES_QUERY).result
                metadata["packages"] = [_PACKAGES[p] for p in packages] if isinstance(packages, list) else []
                blob = session.snapshot() if self.stateful else None
        finally:
            session.close()
        stderr = str(run.error).rstrip("\n") if run.error is not None else run.stderr
        if run.error is None and run.exit_code:
            stderr = (stderr + "\n" if stderr else "") + f"exit status {run.exit_code}"
        return CodeExecutionResult(
            status="success" if run.ok else "error",
            execution_time=time.time() - start,
            stdout=run.stdout.removesuffix("\n") or None,
            stderr=stderr or None,
            result=run.result,
            session_metadata=metadata,
            session_bytes=blob,
        )


class PyodideSandbox(BasePyodideSandbox):
    """Asynchronous sandbox: ``await sandbox.execute(code)``, as in langchain-sandbox."""

    async def execute(
        self,
        code: str,
        *,
        session_bytes: bytes | None = None,
        session_metadata: dict[str, Any] | None = None,
        timeout_seconds: float | None = None,
        memory_limit_mb: int | None = None,
    ) -> CodeExecutionResult:
        """Run ``code`` (continuing from ``session_bytes`` if given) on a worker thread.

        ``timeout_seconds=None`` keeps the sandbox's own limit (30 s by default) rather than none at all.
        """
        return await asyncio.to_thread(
            self._execute, code, session_bytes, session_metadata, timeout_seconds, memory_limit_mb
        )


class SyncPyodideSandbox(BasePyodideSandbox):
    """Synchronous sandbox: ``sandbox.execute(code)``, as in langchain-sandbox."""

    def execute(
        self,
        code: str,
        *,
        session_bytes: bytes | None = None,
        session_metadata: dict[str, Any] | None = None,
        timeout_seconds: float | None = None,
        memory_limit_mb: int | None = None,
    ) -> CodeExecutionResult:
        """Run ``code`` (continuing from ``session_bytes`` if given); see ``PyodideSandbox.execute``."""
        return self._execute(code, session_bytes, session_metadata, timeout_seconds, memory_limit_mb)
