"""``WasmPythonTool``: the sandboxed Python interpreter as a LangChain tool (a code interpreter for agents)."""

from __future__ import annotations

import asyncio
import base64
from contextvars import ContextVar
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from langchain_wasm.errors import WasmCallError
from langchain_wasm.runtime.http_grant import HttpGrant
from langchain_wasm.tools.errors import to_tool_error

from .persist import SessionStore
from .results import PythonResult
from .sandbox import WasmPythonSandbox
from .session import PythonSession
from .streaming import stream_run, stream_writer
from .threads import ThreadSessions, as_session_store

__all__ = ["WasmPythonTool", "PythonToolInput", "describe_tool"]

#: The model reads at most this many characters of a run's report; the full result is in the artifact.
CONTENT_LIMIT = 6000
_PACKAGES = (
    "numpy, pandas, scipy, scikit-learn, statsmodels, matplotlib, seaborn, sympy, networkx, pillow, lxml, "
    "beautifulsoup4, openpyxl, pyyaml, regex, tabulate"
)


#: The id of the tool call being run (set by ``run``/``arun``), so a failed run can answer with an error message.
_TOOL_CALL_ID: ContextVar[str | None] = ContextVar("langchain_wasm_python_tool_call_id", default=None)


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
    grant = sandbox.http
    network = (
        "There is no network access. "
        if grant is None
        else f"Network: HTTP(S) only to {grant.describe()}, with urllib.request or requests (at most "
        f"{grant.max_requests} requests per call); any other address fails. "
    )
    return (
        "Run Python 3.15 code in a secure sandbox (CPython compiled to WebAssembly) and get its output. "
        f"Available: the standard library and {_PACKAGES}. {network}No pip/package "
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

    Content is what the code printed, the final expression's value and any traceback (capped), followed by
    the figures as LangChain image content blocks (``{"type": "image", "base64": ..., "mime_type":
    "image/png"}``; ``image_blocks=False`` for a model that takes no images). Code that raised (or exited
    non-zero) comes back as a ``ToolMessage`` with ``status="error"``. The artifact holds the full
    ``PythonResult`` as a dict plus ``images`` (PNG bytes) and ``files`` (those the run created or changed).
    A limit (time, memory, output) comes back as an error ``ToolMessage`` telling the model what to change;
    with a session it also says the state was lost. With ``stateful=True`` each LangGraph ``thread_id`` gets
    its own session (idle ones are reclaimed by the sandbox); without a thread id a call is one-shot.

    Sessions outlive the process when there is a store: ``session_store``, else the store of the LangGraph run
    (what LangGraph Server, ``graph.compile(store=...)`` or ``create_agent(store=...)`` provide). Each
    successful call saves a snapshot there (``SessionStore``), so a rebuilt graph, another worker or a
    restarted server continues the thread's session; if it cannot, the result starts with a note saying so.
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
    session_store: Any = None
    """Where sessions are saved: a ``SessionStore`` or a LangGraph ``BaseStore``. ``None``: the run's store.
    ``False``: nowhere (sessions live in this process only; saves the snapshot each call costs, ~0.15 s bare
    and ~1.7 s with a pandas DataFrame, see docs/deploy.md)."""
    session_name: str | None = None
    """Tells this tool's sessions apart from other tools' on the same thread in a shared store (default: name)."""
    image_blocks: bool = True
    """Send figures to the model as image content blocks after the text (``False``: the text only, for a model
    that does not accept images)."""
    _threads: ThreadSessions = PrivateAttr()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not self.description:
            self.description = describe_tool(self.sandbox, self.stateful)
        if self.session_store is not False:
            self.session_store = as_session_store(self.session_store)
        self._threads = ThreadSessions(self.sandbox)

    @property
    def http_grant(self) -> HttpGrant | None:
        """The sandbox's network grant (``None``: no network); the agent asks before steps using it."""
        return self.sandbox.http

    # -- sessions ------------------------------------------------------------------------------------------
    def _key(self, thread_id: str) -> str:
        return f"{thread_id}:{self.session_name or self.name}"

    def _store(self, config: RunnableConfig | None) -> SessionStore | None:
        if self.session_store is False:
            return None
        if self.session_store is not None:
            return self.session_store  # type: ignore[no-any-return]
        conf = (config or {}).get("configurable") or {}
        store = conf.get("__pregel_store") or getattr(conf.get("__pregel_runtime"), "store", None)
        if store is None:
            from langgraph.config import get_store

            try:
                store = get_store()
            except (RuntimeError, KeyError):  # not inside a LangGraph run, or the run has no store
                return None
        return as_session_store(store)

    def session_for(self, thread_id: str, store: Any = None) -> tuple[PythonSession, bool]:
        """The session of ``thread_id`` (restored from ``store`` if another process saved it later) and whether
        it was just started in place of one that was lost."""
        key = self._key(thread_id)
        with self._threads.lock(key):
            session, note = self._threads.acquire(key, as_session_store(store) or self._store(None))
        return session, bool(note)

    def close(self) -> None:
        """Close every session this tool opened (snapshots saved in a store stay there)."""
        self._threads.close()

    # -- running -------------------------------------------------------------------------------------------
    def _execute(self, code: str, config: RunnableConfig | None) -> tuple[Any, dict[str, Any] | None]:
        thread_id = ((config or {}).get("configurable") or {}).get("thread_id")
        if not self.stateful or thread_id is None:
            try:
                result = self.sandbox.run(code)
            except WasmCallError as exc:
                raise to_tool_error(self.name, exc) from exc
            return self._answer(result.text(CONTENT_LIMIT), result, self.artifact(result, None))
        key, store = self._key(str(thread_id)), self._store(config)
        with self._threads.lock(key):
            session, note = self._threads.acquire(key, store)
            try:
                result = stream_run(session, code, stream_writer())
            except WasmCallError as exc:
                self._threads.lost(key, session, store)
                err = to_tool_error(self.name, exc)
                err = type(err)(f"{err} The Python session was reset: earlier variables are gone.", cause=exc)
                raise err from exc
            digest, save_note = self._threads.commit(key, session, store)
        notes = "".join(f"[note: {n}]\n" for n in (note, save_note) if n)
        artifact = self.artifact(result, session)
        artifact["session"]["snapshot"] = digest
        return self._answer(notes + result.text(CONTENT_LIMIT), result, artifact)

    def _answer(self, text: str, result: PythonResult, artifact: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
        """(content, artifact): figures as image blocks after the text; code that failed as an error message."""
        content: str | list[str | dict[str, Any]] = text
        if self.image_blocks and result.images:
            content = [{"type": "text", "text": text}]
            content += [
                {"type": "image", "base64": base64.b64encode(png).decode(), "mime_type": "image/png"}
                for png in result.images
            ]
        call_id = _TOOL_CALL_ID.get()
        if not result.ok and call_id is not None:
            # An exception in the code is an error the model and UIs must see as one (status="error").
            failed = ToolMessage(content, artifact=artifact, tool_call_id=call_id, name=self.name, status="error")
            return failed, None  # BaseTool passes a ToolMessage content through as is
        return content, artifact

    @staticmethod
    def artifact(result: PythonResult, session: PythonSession | None) -> dict[str, Any]:
        """The artifact: the result as a dict, with images as PNG bytes and files as bytes."""
        out = result.as_dict()
        out["images"] = list(result.images)
        out["files"] = dict(result.files)
        out["session"] = None if session is None else {"id": session.id, "alive": session.alive}
        return out

    def run(self, tool_input: Any, *args: Any, **kwargs: Any) -> Any:
        token = _TOOL_CALL_ID.set(kwargs.get("tool_call_id"))
        try:
            return super().run(tool_input, *args, **kwargs)
        finally:
            _TOOL_CALL_ID.reset(token)

    async def arun(self, tool_input: Any, *args: Any, **kwargs: Any) -> Any:
        token = _TOOL_CALL_ID.set(kwargs.get("tool_call_id"))
        try:
            return await super().arun(tool_input, *args, **kwargs)
        finally:
            _TOOL_CALL_ID.reset(token)

    def _run(
        self,
        code: str,
        run_manager: CallbackManagerForToolRun | None = None,
        config: RunnableConfig = None,  # type: ignore[assignment]
    ) -> tuple[Any, dict[str, Any] | None]:
        return self._execute(code, config)

    async def _arun(
        self,
        code: str,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
        config: RunnableConfig = None,  # type: ignore[assignment]
    ) -> tuple[Any, dict[str, Any] | None]:
        # The guest runs on a worker thread (wasmtime releases the GIL); the run's deadline bounds it even if
        # the awaiting task is cancelled.
        return await asyncio.to_thread(self._execute, code, config)
