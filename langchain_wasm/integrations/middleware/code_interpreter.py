"""``WasmCodeInterpreterMiddleware``: real CPython (numpy, pandas, matplotlib) as an agent's code interpreter,
isolated in WebAssembly, with programmatic tool calling.

For ``langchain.agents.create_agent`` and ``deepagents.create_deep_agent``. It adds one tool (``python``),
tells the model how to use it, and keeps interpreters per thread, per turn or per call. Code calls the
agent's other tools as ``tools.<name>(**kwargs)`` through a host function bridge: each call is validated,
counted against the agent's ``ToolCallLimitMiddleware`` and gated by its ``HumanInTheLoopMiddleware``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain.tools import ToolRuntime
from langchain_core.messages import SystemMessage, ToolMessage
from langchain_core.tools import BaseTool, StructuredTool
from langgraph.types import Command
from pydantic import BaseModel, Field

from langchain_wasm.errors import WasmCallError
from langchain_wasm.python.results import PythonResult
from langchain_wasm.python.sandbox import WasmPythonSandbox
from langchain_wasm.python.session import PythonSession
from langchain_wasm.python.tool import CONTENT_LIMIT, describe_tool

from ._bridge import GUEST_TOOLS, ToolBridge
from ._prompt import render_prompt

if TYPE_CHECKING:
    from langchain_wasm.python.persist import SessionStore

    from ..deepagents import WasmSandbox

__all__ = ["Mode", "WasmCodeInterpreterMiddleware"]

Mode = Literal["thread", "turn", "call"]


class CodeInput(BaseModel):
    """Run Python code in the sandbox."""

    code: str = Field(description="Python source, like a notebook cell: the value of the last expression is shown.")


class WasmCodeInterpreterMiddleware(AgentMiddleware):
    """A Python code interpreter for agents: CPython 3.15 on WebAssembly, hard limits, no network or host files.

    Setup:
        ``pip install 'langchain-wasm[deepagents]'`` (or ``[python]`` for ``create_agent`` alone)

    Instantiation:
        .. code-block:: python

            from langchain.agents import create_agent
            from langchain.agents.middleware import HumanInTheLoopMiddleware, ToolCallLimitMiddleware
            from langchain_wasm.integrations.middleware import WasmCodeInterpreterMiddleware

            limit = ToolCallLimitMiddleware(tool_name="search", run_limit=5)
            code = WasmCodeInterpreterMiddleware(ptc=["search"], guards=[limit])
            agent = create_agent(model, tools=[search], middleware=[limit, code])

    Invocation:
        The model calls ``python`` with code such as
        ``hits = [tools.search(query=q) for q in ("a", "b")]; len(hits)``; results come back as Python values.

    Args:
        mode: ``"thread"`` keeps one interpreter per LangGraph thread (variables persist across turns);
            ``"turn"`` one per agent run (closed when the run ends); ``"call"`` a fresh one per tool call.
        ptc: tools code may call (names of the agent's tools, or tools), or ``None`` for none.
        guards: the agent's ``ToolCallLimitMiddleware`` / ``HumanInTheLoopMiddleware`` instances that code's
            tool calls must obey too (pass the same instances you give ``create_agent``).
        sandbox: the Python sandbox (limits, preloaded modules). Default: numpy and pandas preloaded.
        backend: a ``WasmSandbox`` Deep Agents backend to share files (and interpreter) with: code then
            runs in that thread's sandbox, seeing the files the agent's file tools and ``execute`` see.
        store: a ``SessionStore`` keeping ``"thread"`` sessions across processes (saved after each call).
        tool_name: the name of the added tool.
    """

    def __init__(
        self,
        *,
        mode: Mode = "thread",
        ptc: Sequence[str | BaseTool] | None = None,
        guards: Sequence[AgentMiddleware] = (),
        sandbox: WasmPythonSandbox | None = None,
        backend: WasmSandbox | None = None,
        store: SessionStore | None = None,
        tool_name: str = "python",
    ) -> None:
        super().__init__()
        if mode not in ("thread", "turn", "call"):
            raise ValueError(f"mode must be 'thread', 'turn' or 'call', got {mode!r}")
        self.mode: Mode = mode
        self.sandbox = (
            sandbox
            or (backend.python if backend is not None else None)
            or WasmPythonSandbox(preload=("numpy", "pandas"), evict_idle=True, quiet=True)
        )
        self.backend = backend
        self.store = store
        self.guards = tuple(guards)
        self.tool_name = tool_name
        self._ptc_names = [p for p in (ptc or ()) if isinstance(p, str)]
        self._ptc_tools: dict[str, BaseTool] = {t.name: t for t in (ptc or ()) if isinstance(t, BaseTool)}
        if tool_name in self._ptc_names or tool_name in self._ptc_tools:
            raise ValueError(f"the interpreter's own tool {tool_name!r} cannot be exposed to code")
        self._sessions: dict[str, PythonSession] = {}
        self._lock = threading.Lock()
        self.tools = [self._build_tool()]

    # -- the tool ------------------------------------------------------------------------------------------
    def _build_tool(self) -> BaseTool:
        def run(code: str, runtime: ToolRuntime) -> Command[Any] | str:
            return self._run(code, runtime, None)

        async def arun(code: str, runtime: ToolRuntime) -> Command[Any] | str:
            loop = asyncio.get_running_loop()
            return await asyncio.to_thread(self._run, code, runtime, loop)

        return StructuredTool.from_function(
            func=run,
            coroutine=arun,
            name=self.tool_name,
            description=describe_tool(self.sandbox, self.mode != "call"),
            args_schema=CodeInput,
            infer_schema=False,
        )

    def exposed_tools(self) -> dict[str, BaseTool]:
        """The tools code may call (names resolved against the agent's tools seen on the last model call)."""
        return dict(self._ptc_tools)

    def _key(self, runtime: ToolRuntime) -> str:
        configurable = (runtime.config or {}).get("configurable") or {}
        thread = str(configurable.get("thread_id", "default"))
        return f"{thread}:turn:{self._turn_id(runtime)}" if self.mode == "turn" else thread

    @staticmethod
    def _turn_id(runtime: ToolRuntime) -> str:
        # A turn is one agent run over the thread: the messages before the latest human message are its past.
        from langchain_core.messages import HumanMessage

        messages = (runtime.state or {}).get("messages", [])
        humans = [m for m in messages if isinstance(m, HumanMessage)]
        return str(humans[-1].id if humans else "")

    def _session(self, key: str) -> tuple[PythonSession, bool]:
        with self._lock:
            found = self._sessions.get(key)
            if found is not None and found.alive:
                return found, False
        session = None
        if self.store is not None and self.mode == "thread":
            session = self.store.load(f"interpreter:{key}", self.sandbox)
        session = session or self.sandbox.session()
        session.run(GUEST_TOOLS)
        with self._lock:
            self._sessions[key] = session
        return session, found is not None

    def _run(self, code: str, runtime: ToolRuntime, loop: asyncio.AbstractEventLoop | None) -> Command[Any] | str:
        bridge = ToolBridge(
            self.exposed_tools(), config=runtime.config, state=runtime.state, guards=self.guards, loop=loop
        )
        names = sorted(bridge.tools)
        prelude = f"tools = _Tools({names!r})\n"
        key = self._key(runtime)
        note = ""
        try:
            if self.backend is not None:
                result = self._run_in_backend(key, prelude + code, bridge)
            else:
                session, restarted = self._session(key)
                if restarted:
                    note = "[note: the previous Python session had ended; this is a new one]\n"
                try:
                    session.run(prelude, bridge=bridge)
                    result = session.run(code, bridge=bridge)
                    self._stream(runtime, result)
                finally:
                    if self.mode == "call":
                        self._close(key)
                    elif self.store is not None and self.mode == "thread" and session.alive:
                        self.store.save(f"interpreter:{key}", session)
        except WasmCallError as exc:
            text = f"Error: {exc}. The Python session was reset: earlier variables are gone."
            return self._reply(runtime, text, bridge, status="error")
        if bridge.pending is not None:
            raise bridge.pending
        return self._reply(runtime, note + result.text(CONTENT_LIMIT), bridge, status="success", result=result)

    def _run_in_backend(self, key: str, code: str, bridge: ToolBridge) -> PythonResult:
        assert self.backend is not None
        sandbox_session = self.backend.session(key)
        with sandbox_session.lock:
            interp = sandbox_session.interpreter()
            if not getattr(interp, "_lcw_tools", False):
                interp.run(GUEST_TOOLS, self.sandbox.limits, self.sandbox.result_caps)
                interp._lcw_tools = True  # type: ignore[attr-defined]
            return interp.run(code, self.sandbox.limits, self.sandbox.result_caps, bridge=bridge)

    @staticmethod
    def _stream(runtime: ToolRuntime, result: PythonResult) -> None:
        writer = getattr(runtime, "stream_writer", None)
        if writer is not None and result.stdout:
            writer({"type": "python_stdout", "text": result.stdout})

    def _reply(
        self,
        runtime: ToolRuntime,
        text: str,
        bridge: ToolBridge,
        *,
        status: Literal["success", "error"],
        result: PythonResult | None = None,
    ) -> Command[Any] | str:
        update = bridge.state_update()
        artifact = {"tool_calls": bridge.calls, "result": None if result is None else result.as_dict()}
        message = ToolMessage(
            content=text, tool_call_id=runtime.tool_call_id or "", name=self.tool_name, status=status, artifact=artifact
        )
        return Command(update={"messages": [message], **update})

    def _close(self, key: str) -> None:
        with self._lock:
            session = self._sessions.pop(key, None)
        if session is not None:
            session.close()

    def close(self) -> None:
        """Close every interpreter this middleware opened."""
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()

    # -- hooks ---------------------------------------------------------------------------------------------
    def _prepare(self, request: ModelRequest) -> ModelRequest:
        for tool in request.tools or []:
            if isinstance(tool, BaseTool) and tool.name in self._ptc_names:
                self._ptc_tools.setdefault(tool.name, tool)
        prompt = render_prompt(self.tool_name, self.mode, list(self.exposed_tools().values()))
        system = request.system_message
        text = f"{system.text}\n\n{prompt}" if system is not None and system.text else prompt
        return request.override(system_message=SystemMessage(content=text))

    def wrap_model_call(
        self,
        request: ModelRequest,
        handler: Callable[[ModelRequest], ModelResponse],
    ) -> ModelResponse:
        return handler(self._prepare(request))

    async def awrap_model_call(
        self,
        request: ModelRequest,
        handler: Callable[[ModelRequest], Awaitable[ModelResponse]],
    ) -> ModelResponse:
        return await handler(self._prepare(request))

    def after_agent(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        if self.mode == "turn":
            from langgraph.config import get_config

            try:
                thread = str((get_config().get("configurable") or {}).get("thread_id", "default"))
            except RuntimeError:
                thread = "default"
            with self._lock:
                keys = [k for k in self._sessions if k.startswith(f"{thread}:turn:")]
            for key in keys:
                self._close(key)
        return None

    async def aafter_agent(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        return self.after_agent(state, runtime)
