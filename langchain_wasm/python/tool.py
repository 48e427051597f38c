"""``WasmPythonTool``: the sandboxed Python interpreter as a LangChain tool (a code interpreter for agents)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from langchain_wasm.errors import WasmCallError
from langchain_wasm.tools.errors import to_tool_error

from .results import PythonResult
from .sandbox import WasmPythonSandbox
from .session import PythonSession
from .streaming import stream_run, stream_writer

__all__ = ["WasmPythonTool", "PythonToolInput", "describe_tool"]

#: The model reads at most this many characters of a run's report; the full result is in the artifact.
CONTENT_LIMIT = 6000
_PACKAGES = (
    "numpy, pandas, scipy, scikit-learn, statsmodels, matplotlib, seaborn, sympy, networkx, pillow, lxml, "
    "beautifulsoup4, openpyxl, pyyaml, regex, tabulate"
)


class PythonToolInput(BaseModel):
    """Arguments of the Python tool."""

    code: str = Field(
        description="Python source to run, like a notebook cell: the value of the last expression is shown."
    )


def describe_tool(sandbox: WasmPythonSandbox, stateful: bool) -> str:
    """The description the model reads: what is available, what is not, and how to return results."""
    lim = sandbox.limits
    timeout = f"{lim.timeout_s:g} s" if lim.timeout_s is not None else "no time limit"
    state = (
        "Variables, imports and files persist between calls in this conversation (a kernel); if a call hits a "
        "limit the kernel restarts and earlier variables are lost."
        if stateful
        else "Each call starts a fresh interpreter: nothing persists between calls."
    )
    return (
        "Run Python 3.15 code in a secure sandbox (CPython compiled to WebAssembly) and get its output. "
        f"Available: the standard library and {_PACKAGES}. There is no network access, no pip/package "
        "installation, no subprocesses and no access to host files or environment variables. "
        "The working directory is /workspace: read input files from there and write output files there. "
        f"{state} "
        "Return results by printing them or by ending the code with an expression, whose value is shown like in "
        "a notebook. Matplotlib figures left open are returned as PNG images (no plt.show() needed). "
        f"Limits per call: {timeout}, {lim.memory_bytes // 2**20} MB of memory, "
        f"{lim.stdout_bytes // 1024} KB of printed output. numpy's default integer type is int32."
    )


class WasmPythonTool(BaseTool):
    """Sandboxed Python for a model: CPython on WebAssembly with numpy/pandas/matplotlib, files and plots.

    Setup:
        ``pip install 'langchain-wasm[python]'``

    Instantiation:
        .. code-block:: python

            from langchain_wasm import WasmPythonTool
            tool = WasmPythonTool()                  # sessions per LangGraph thread id, else one-shot
            tool = WasmPythonTool(stateful=False)    # a fresh interpreter for every call

    Invocation:
        .. code-block:: python

            tool.invoke({"code": "print(6 * 7)"})    # '42'
            msg = tool.invoke({"type": "tool_call", "id": "1", "name": "python", "args": {"code": "1 + 1"}},
                              config={"configurable": {"thread_id": "t1"}})
            msg.content, msg.artifact["images"], msg.artifact["metrics"]

    Content is what the code printed, the final expression's value and any traceback (capped). The artifact
    holds the full ``PythonResult`` as a dict plus ``images`` (PNG bytes) and ``files``. A limit (time,
    memory, output) comes back as an error ``ToolMessage`` telling the model what to change; with a session it
    also says the state was lost. With ``stateful=True`` each LangGraph ``thread_id`` gets its own session
    (idle ones are reclaimed by the sandbox); without a thread id a call is one-shot.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "python"
    description: str = ""
    args_schema: type[BaseModel] = PythonToolInput
    response_format: str = "content_and_artifact"  # type: ignore[assignment]
    handle_tool_error: bool | str | Any = True
    sandbox: WasmPythonSandbox = Field(
        default_factory=lambda: WasmPythonSandbox(evict_idle=True, preload=("numpy", "pandas"))
    )
    """The sandbox that runs the code (its limits apply to every call). The default one reclaims idle sessions,
    evicts the least recently used when full, and starts interpreters with numpy and pandas already imported."""
    stateful: bool = True
    """Keep one session per LangGraph thread id (``config["configurable"]["thread_id"]``)."""
    _sessions: dict[str, PythonSession] = PrivateAttr(default_factory=dict)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not self.description:
            self.description = describe_tool(self.sandbox, self.stateful)

    # -- sessions ------------------------------------------------------------------------------------------
    def session_for(self, thread_id: str) -> tuple[PythonSession, bool]:
        """The live session of ``thread_id`` and whether it was just started (a previous one may have ended)."""
        with self._lock:
            session = self._sessions.get(thread_id)
            if session is not None and session.alive:
                return session, False
            restarted = session is not None
            self._sessions[thread_id] = session = self.sandbox.session()
            return session, restarted

    def close(self) -> None:
        """Close every session this tool opened."""
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()

    # -- running -------------------------------------------------------------------------------------------
    def _execute(self, code: str, config: RunnableConfig | None) -> tuple[str, dict[str, Any]]:
        thread_id = ((config or {}).get("configurable") or {}).get("thread_id")
        note = ""
        try:
            if self.stateful and thread_id is not None:
                session, restarted = self.session_for(str(thread_id))
                if restarted:
                    note = (
                        "[note: the previous Python session had ended; this is a new one, earlier variables are gone]\n"
                    )
                result = stream_run(session, code, stream_writer())
            else:
                session = None
                result = self.sandbox.run(code)
        except WasmCallError as exc:
            err = to_tool_error(self.name, exc)
            if self.stateful and thread_id is not None:
                err = type(err)(f"{err} The Python session was reset: earlier variables are gone.", cause=exc)
            raise err from exc
        return note + result.text(CONTENT_LIMIT), self.artifact(result, session)

    @staticmethod
    def artifact(result: PythonResult, session: PythonSession | None) -> dict[str, Any]:
        """The artifact: the result as a dict, with images as PNG bytes and files as bytes."""
        out = result.as_dict()
        out["images"] = list(result.images)
        out["files"] = dict(result.files)
        out["session"] = None if session is None else {"id": session.id, "alive": session.alive}
        return out

    def _run(
        self,
        code: str,
        run_manager: CallbackManagerForToolRun | None = None,
        config: RunnableConfig = None,  # type: ignore[assignment]
    ) -> tuple[str, dict[str, Any]]:
        return self._execute(code, config)

    async def _arun(
        self,
        code: str,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
        config: RunnableConfig = None,  # type: ignore[assignment]
    ) -> tuple[str, dict[str, Any]]:
        # The guest runs on a worker thread (wasmtime releases the GIL); the run's deadline bounds it even if
        # the awaiting task is cancelled.
        return await asyncio.to_thread(self._execute, code, config)
