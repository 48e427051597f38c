"""Programmatic tool calling: the host half of ``tools.<name>(**args)`` inside the sandboxed Python.

The guest sends ``LCWCALL`` + JSON ``{"name", "args"}`` through ``_host.call``; ``ToolBridge`` answers with
JSON ``{"ok", "value"}`` or ``{"ok": false, "error", "message"}``. Each call is counted, checked against the
agent's ``ToolCallLimitMiddleware`` instances (the same state counters they keep) and, for tools gated by a
``HumanInTheLoopMiddleware``, paused for a human decision with LangGraph's ``interrupt`` in the
``HITLRequest`` shape that middleware uses. The answer is plain JSON data (results become Python values);
nothing the guest sends is trusted: names must be exposed tools, arguments are validated by the tool's
schema, requests and answers are capped.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from langchain.agents.middleware import HumanInTheLoopMiddleware, ToolCallLimitMiddleware
from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.errors import GraphBubbleUp

__all__ = ["GUEST_TOOLS", "ToolBridge"]

#: Installed in the interpreter before code that may call tools: ``tools.<name>(**kwargs)`` and the errors.
GUEST_TOOLS = r"""
import json as _json, _host


class ToolCallError(Exception):
    '''A tool call from code failed: the tool raised, the arguments did not fit, or a limit/approval refused it.'''


class ToolCallRefused(ToolCallError):
    '''A ToolCallLimitMiddleware limit or a human reviewer refused the call.'''


class _ToolRunInterrupted(BaseException):
    '''The run is paused for a human decision; it re-runs from the start when resumed.'''


def _lcw_tool_call(name, args):
    raw = _host.call(b"LCWCALL" + _json.dumps({"name": name, "args": args}, default=str).encode())
    if not raw:
        raise ToolCallError("tool calls are not available here")
    answer = _json.loads(raw)
    if answer.get("ok"):
        return answer.get("value")
    if answer.get("error") == "interrupted":
        raise _ToolRunInterrupted(answer.get("message", ""))
    kind = ToolCallRefused if answer.get("error") == "refused" else ToolCallError
    raise kind(answer.get("message", "the tool call failed"))


class _Tools:
    def __init__(self, names):
        self._names = tuple(names)

    def __dir__(self):
        return list(self._names)

    def __getattr__(self, name):
        if name.startswith("_") or name not in self._names:
            raise AttributeError(f"no tool named {name!r}; available: {', '.join(self._names) or 'none'}")

        def call(*args, **kwargs):
            if args:
                if len(args) != 1 or not isinstance(args[0], dict) or kwargs:
                    raise TypeError(f"tools.{name} takes keyword arguments (or one dict of them)")
                kwargs = args[0]
            return _lcw_tool_call(name, kwargs)

        call.__name__ = name
        return call
"""


def _jsonable(value: Any) -> Any:
    if isinstance(value, ToolMessage):
        value = value.content
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        if hasattr(value, "model_dump"):
            return _jsonable(value.model_dump())
        return str(value)


class ToolBridge:
    """Answers one tool run's calls from code. Not reusable across runs (it holds the run's counts).

    Args:
        tools: the tools the code may call, by name.
        config: the running tool's config (callbacks, thread, interrupt scratchpad).
        state: the agent state the run started from (limit counters).
        guards: the agent's ``ToolCallLimitMiddleware`` / ``HumanInTheLoopMiddleware`` instances to obey.
        loop: the event loop of an async run (async tools are awaited there).
        max_calls: most tool calls one run may make, whatever the middlewares say.
    """

    max_request = 1024 * 1024
    max_response = 8 * 1024 * 1024

    def __init__(
        self,
        tools: dict[str, BaseTool],
        *,
        config: RunnableConfig | None,
        state: dict[str, Any] | None,
        guards: Sequence[Any] = (),
        loop: asyncio.AbstractEventLoop | None = None,
        max_calls: int = 1000,
    ) -> None:
        self.tools = tools
        self.config = config
        self.state = state or {}
        self.limits = [g for g in guards if isinstance(g, ToolCallLimitMiddleware)]
        self.approvals = [g for g in guards if isinstance(g, HumanInTheLoopMiddleware)]
        self.loop = loop
        self.max_calls = max_calls
        self.context = contextvars.copy_context()
        self.calls: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()
        self.pending: BaseException | None = None

    def __call__(self, request: bytes) -> bytes:
        try:
            answer = self.context.run(self._answer, request)
        except BaseException as exc:  # never unwind into the guest's host function
            answer = {"ok": False, "error": "failed", "message": f"{type(exc).__name__}: {exc}"}
        data = json.dumps(answer, default=str).encode()
        if len(data) > self.max_response:
            data = json.dumps(
                {"ok": False, "error": "failed", "message": f"the tool's result is over {self.max_response} bytes"}
            ).encode()
        return data

    def _answer(self, request: bytes) -> dict[str, Any]:
        if self.pending is not None:
            return {"ok": False, "error": "interrupted", "message": "waiting for a human decision"}
        try:
            req = json.loads(request)
            name, args = req["name"], req["args"]
        except (ValueError, KeyError, TypeError):
            return {"ok": False, "error": "failed", "message": "malformed tool request"}
        tool = self.tools.get(name) if isinstance(name, str) else None
        if tool is None or not isinstance(args, dict):
            return {"ok": False, "error": "failed", "message": f"no tool named {name!r} is available to code"}
        if len(self.calls) >= self.max_calls:
            return {"ok": False, "error": "refused", "message": f"more than {self.max_calls} tool calls in one run"}
        refused = self._check_limits(name)
        if refused is not None:
            return refused
        approved = self._approve(name, args)
        if isinstance(approved, dict) and "ok" in approved:
            return approved
        args = approved if isinstance(approved, dict) else args
        self._count(name)
        self.calls.append({"name": name, "args": args})
        try:
            value = self._invoke(tool, args)
        except GraphBubbleUp as exc:
            self.pending = exc
            return {"ok": False, "error": "interrupted", "message": "waiting for a human decision"}
        except Exception as exc:
            return {"ok": False, "error": "failed", "message": f"{type(exc).__name__}: {exc}"[:4000]}
        return {"ok": True, "value": _jsonable(value)}

    def _invoke(self, tool: BaseTool, args: dict[str, Any]) -> Any:
        if self.loop is not None:
            future = asyncio.run_coroutine_threadsafe(tool.ainvoke(args, self.config), self.loop)
            return future.result()
        return tool.invoke(args, self.config)

    # -- the middlewares' rules ----------------------------------------------------------------------------
    def _count(self, name: str) -> None:
        for mw in self.limits:
            if mw.tool_name is None or mw.tool_name == name:
                self.counts[mw.tool_name or "__all__"] += 1

    def _check_limits(self, name: str) -> dict[str, Any] | None:
        for mw in self.limits:
            if mw.tool_name is not None and mw.tool_name != name:
                continue
            key = mw.tool_name or "__all__"
            thread = self.state.get("thread_tool_call_count", {}).get(key, 0) + self.counts[key]
            run = self.state.get("run_tool_call_count", {}).get(key, 0) + self.counts[key]
            if mw._would_exceed_limit(thread, run):
                if mw.exit_behavior == "error":
                    from langchain.agents.middleware.tool_call_limit import ToolCallLimitExceededError

                    self.pending = ToolCallLimitExceededError(
                        thread_count=thread + 1,
                        run_count=run + 1,
                        thread_limit=mw.thread_limit,
                        run_limit=mw.run_limit,
                        tool_name=mw.tool_name,
                    )
                    return {"ok": False, "error": "interrupted", "message": "tool call limit exceeded"}
                which = f"'{mw.tool_name}' " if mw.tool_name else ""
                return {
                    "ok": False,
                    "error": "refused",
                    "message": f"Tool call limit exceeded. Do not call {which}tools again.",
                }
        return None

    def _approve(self, name: str, args: dict[str, Any]) -> dict[str, Any] | None:
        """``None`` to run as asked, new arguments after an edit, or the answer to give instead of running."""
        for mw in self.approvals:
            cfg = mw.interrupt_on.get(name)
            if cfg is None:
                continue
            from langgraph.types import interrupt

            request = {
                "action_requests": [
                    {
                        "name": name,
                        "args": args,
                        "description": f"{mw.description_prefix}\n\nTool (called from code): {name}\nArgs: {args}",
                    }
                ],
                "review_configs": [{"action_name": name, "allowed_decisions": cfg["allowed_decisions"]}],
            }
            try:
                decision = interrupt(request)["decisions"][0]
            except GraphBubbleUp as exc:
                self.pending = exc
                return {"ok": False, "error": "interrupted", "message": "waiting for a human decision"}
            kind = decision.get("type")
            if kind not in cfg["allowed_decisions"]:
                return {"ok": False, "error": "refused", "message": f"decision {kind!r} is not allowed for {name}"}
            if kind == "edit":
                return dict(decision["edited_action"]["args"])
            if kind == "reject":
                reason = decision.get("message") or f"The user rejected the call to {name}; do not retry it."
                return {"ok": False, "error": "refused", "message": reason}
            if kind == "respond":
                return {"ok": True, "value": decision.get("message", "")}
        return None

    def state_update(self) -> dict[str, Any]:
        """The limit counters after this run, for the agent state (empty if nothing was counted)."""
        if not self.counts:
            return {}
        thread = dict(self.state.get("thread_tool_call_count", {}))
        run = dict(self.state.get("run_tool_call_count", {}))
        for key, n in self.counts.items():
            thread[key] = thread.get(key, 0) + n
            run[key] = run.get(key, 0) + n
        return {"thread_tool_call_count": thread, "run_tool_call_count": run}
