"""``PyodideSandboxTool``: langchain-sandbox's tool (same name, fields, inputs and ``Command`` update)."""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, InjectedToolCallId
from langgraph.prebuilt import InjectedState
from langgraph.types import Command
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from .sandbox import CodeExecutionResult, PyodideSandbox, SyncPyodideSandbox

__all__ = ["PyodideSandboxTool"]

_STATE_KEYS = {"session_bytes", "session_metadata", "messages"}


class _Input(BaseModel):
    """Python code to execute in the sandbox."""

    code: str = Field(description="Code to execute.")


class _StatefulInput(BaseModel):
    """Python code to execute in the sandbox."""

    code: str = Field(description="Code to execute.")
    # injected by LangGraph's ToolNode, never shown to the model
    state: Annotated[dict[str, Any] | BaseModel, InjectedState]
    tool_call_id: Annotated[str, InjectedToolCallId]


class PyodideSandboxTool(BaseTool):
    """Runs Python for a model, as langchain-sandbox's tool does, in langchain-wasm's sandbox.

    With ``stateful=True`` the graph state needs ``session_bytes`` and ``session_metadata`` keys (and a
    checkpointer to keep them between turns); the tool reads them from the injected state and returns a
    ``Command`` updating them plus the ``ToolMessage``. Works in ``langchain.agents.create_agent`` and
    LangGraph's ``ToolNode``.

    The model reads the printed output, or ``"Error during execution: <stderr>"``. One difference: a cell that
    prints nothing but ends with an expression returns that value's text instead of an empty message.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "python_code_sandbox"
    description: str = (
        "A secure Python code sandbox. Use this to execute python commands.\n"
        "- Input should be a valid python command.\n"
        "- To return output, you should print it out with `print(...)`.\n"
        "- Don't use f-strings when printing outputs.\n"
        "- If you need to make web requests, use `httpx.AsyncClient`."
    )
    stateful: bool = False
    allow_env: list[str] | bool = False
    allow_read: list[str] | bool = False
    allow_write: list[str] | bool = False
    allow_net: list[str] | bool = False
    allow_run: list[str] | bool = False
    allow_ffi: list[str] | bool = False
    timeout_seconds: float | None = 60
    """Timeout for code execution in seconds. By default set to 60 seconds."""
    node_modules_dir: str = "auto"
    _sandbox: PyodideSandbox = PrivateAttr()
    _sync_sandbox: SyncPyodideSandbox = PrivateAttr()

    def __init__(
        self,
        *,
        stateful: bool = False,
        timeout_seconds: float | None = 60,
        allow_net: list[str] | bool = False,
        **kwargs: Any,
    ) -> None:
        sandbox = kwargs.pop("sandbox", None)
        super().__init__(stateful=stateful, timeout_seconds=timeout_seconds, allow_net=allow_net, **kwargs)
        self.description = self.description.replace(
            "- If you need to make web requests, use `httpx.AsyncClient`.", "- There is no network access."
        )
        self.args_schema = _StatefulInput if self.stateful else _Input
        options: dict[str, Any] = {
            "stateful": self.stateful,
            "allow_env": self.allow_env,
            "allow_read": self.allow_read,
            "allow_write": self.allow_write,
            "allow_net": self.allow_net,
            "allow_run": self.allow_run,
            "allow_ffi": self.allow_ffi,
            "node_modules_dir": self.node_modules_dir,
        }
        self._sandbox = PyodideSandbox(**options, sandbox=sandbox)
        self._sync_sandbox = SyncPyodideSandbox(**options, skip_deno_check=True, sandbox=self._sandbox.sandbox)

    def _session(self, state: dict[str, Any] | BaseModel | None) -> tuple[bytes | None, dict[str, Any] | None]:
        actual = set(state) if isinstance(state, dict) else set(getattr(state, "__dict__", {}))
        if missing := _STATE_KEYS - actual:
            raise ValueError(f"Input state is missing the following required keys: {missing}")
        if isinstance(state, dict):
            return state["session_bytes"], state["session_metadata"]
        return state.session_bytes, state.session_metadata  # type: ignore[union-attr]

    def _output(self, result: CodeExecutionResult, tool_call_id: str | None) -> Any:
        if result.stderr:
            text = f"Error during execution: {result.stderr}"
        elif result.stdout is not None:
            text = result.stdout
        else:
            text = "" if result.result is None else str(result.result)
        if not self.stateful:
            return text
        return Command(
            update={
                "session_bytes": result.session_bytes,
                "session_metadata": result.session_metadata,
                "messages": [ToolMessage(content=text, tool_call_id=tool_call_id or "", name=self.name)],
            }
        )

    def _run(
        self,
        code: str,
        state: dict[str, Any] | BaseModel | None = None,
        tool_call_id: str | None = None,
        config: RunnableConfig | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> Any:
        if self.stateful:
            session_bytes, session_metadata = self._session(state)
            result = self._sync_sandbox.execute(
                code,
                session_bytes=session_bytes,
                session_metadata=session_metadata,
                timeout_seconds=self.timeout_seconds,
            )
        else:
            result = self._sync_sandbox.execute(code, timeout_seconds=self.timeout_seconds)
        return self._output(result, tool_call_id)

    async def _arun(
        self,
        code: str,
        state: dict[str, Any] | BaseModel | None = None,
        tool_call_id: str | None = None,
        config: RunnableConfig | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> Any:
        if self.stateful:
            session_bytes, session_metadata = self._session(state)
            result = await self._sandbox.execute(
                code,
                session_bytes=session_bytes,
                session_metadata=session_metadata,
                timeout_seconds=self.timeout_seconds,
            )
        else:
            result = await self._sandbox.execute(code, timeout_seconds=self.timeout_seconds)
        return self._output(result, tool_call_id)
