"""Executing a plan: a dispatcher (approvals, readiness), one task per step (run in parallel by LangGraph's
``Send``), and an observer that reports the results back to the planner.

Each step is its own LangGraph task, so its result is checkpointed the moment it finishes: after a crash or a
restart the thread resumes with the finished steps kept and only unfinished ones run (nothing repeated or lost).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.config import get_stream_writer
from langgraph.types import Send, interrupt

from langchain_wasm.graph.plan import Plan, PlanStep, StepReferenceError, resolve_references
from langchain_wasm.graph.state import WasmAgentState
from langchain_wasm.graph.validate import dependencies

__all__ = ["ApprovalPolicy", "Executor", "needs_approval_by_default"]

#: Decides whether a step must be approved by a human before it runs.
ApprovalPolicy = Callable[[PlanStep, BaseTool], bool]
_DONE = ("success", "error", "rejected", "skipped")
_OBSERVATION_LIMIT = 2000


def needs_approval_by_default(step: PlanStep, tool: BaseTool) -> bool:
    """Steps whose tool is granted more than the sandbox default: a writable directory or host functions."""
    caps = getattr(tool, "capabilities", None)
    if caps is None:
        return False
    return any(p.writable for p in caps.preopens) or bool(caps.host_functions)


def _safe(stream_event: dict[str, Any]) -> None:
    with contextlib.suppress(RuntimeError, KeyError):  # outside a graph run, or no custom stream requested
        get_stream_writer()(stream_event)


class Executor:
    """The dispatch, step and observe nodes of the agent graph."""

    def __init__(
        self,
        tools: Mapping[str, BaseTool],
        *,
        approve: ApprovalPolicy | Collection[str] | None,
        parallel: bool,
    ) -> None:
        self.tools = tools
        self.parallel = parallel
        if approve is None:
            self.policy: ApprovalPolicy = lambda step, tool: False
        elif callable(approve):
            self.policy = approve
        else:
            names = set(approve)
            self.policy = lambda step, tool: step.tool in names

    # -- dispatch ----------------------------------------------------------------------------------------------
    def dispatch(self, state: WasmAgentState) -> dict[str, Any]:
        """Mark the next ready steps running; skip steps whose dependencies failed; ask for approvals."""
        plan = Plan.model_validate(state["plan"])
        results = state.get("step_results") or {}
        deps = dependencies(plan)
        update: dict[str, dict[str, Any]] = {}
        ready: list[PlanStep] = []
        for step in plan.steps:
            if results.get(step.id, {}).get("status") in (*_DONE, "running"):
                continue
            failed = [d for d in deps[step.id] if results.get(d, {}).get("status") in ("error", "rejected", "skipped")]
            if failed:
                update[step.id] = self._record(
                    step, "skipped", f"skipped: it depends on {failed}, which did not succeed"
                )
            elif all(results.get(d, {}).get("status") == "success" for d in deps[step.id]):
                ready.append(step)
        if not self.parallel:
            ready = ready[:1]
        approvals = dict(state.get("approvals") or {})
        asking = [s for s in ready if s.id not in approvals and self.policy(s, self.tools[s.tool])]
        if asking:
            decision = interrupt(
                {
                    "type": "approval",
                    "question": "These steps need a human's approval before they run.",
                    "steps": [s.model_dump() for s in asking],
                }
            )
            approvals.update(_decisions(decision, [s.id for s in asking]))
        for step in ready:
            if approvals.get(step.id, True):
                update[step.id] = {"status": "running", "tool": step.tool, "started": time.time()}
            else:
                update[step.id] = self._record(step, "rejected", "rejected by a human reviewer; not run")
        return {"step_results": update, "approvals": approvals}

    @staticmethod
    def _record(step: PlanStep, status: str, content: str) -> dict[str, Any]:
        return {"status": status, "tool": step.tool, "args": step.args, "content": content, "result": None}

    def route(self, state: WasmAgentState) -> list[Send] | str:
        """After dispatch: one task per running step, or the observer when the plan is finished."""
        plan = Plan.model_validate(state["plan"])
        results = state.get("step_results") or {}
        running = [s for s in plan.steps if results.get(s.id, {}).get("status") == "running"]
        if running:
            values = {k: v.get("result") for k, v in results.items() if v.get("status") == "success"}
            return [Send("step", {"step": s.model_dump(), "results": values}) for s in running]
        if all(results.get(s.id, {}).get("status") in _DONE for s in plan.steps):
            return "observe"
        return "dispatch"  # pragma: no cover - dispatch always makes progress; kept as a safe default

    # -- one step ----------------------------------------------------------------------------------------------
    def _prepare(self, task: Mapping[str, Any]) -> tuple[PlanStep, dict[str, Any] | None, dict[str, Any] | None]:
        step = PlanStep.model_validate(task["step"])
        _safe({"event": "step_start", "step": step.id, "tool": step.tool})
        try:
            args = resolve_references(step.args, task.get("results", {}))
        except StepReferenceError as exc:
            return step, None, self._record(step, "error", f"error: {exc}")
        return step, args, None

    def _finish(self, step: PlanStep, args: dict[str, Any], msg: Any, started: float) -> dict[str, Any]:
        status = getattr(msg, "status", "success") if isinstance(msg, ToolMessage) else "success"
        content = msg.content if isinstance(msg, ToolMessage) else msg
        artifact = getattr(msg, "artifact", None) or {}
        record = {
            "status": status,
            "tool": step.tool,
            "args": args,
            "content": content if isinstance(content, str) else json.dumps(content, default=str),
            "result": artifact.get("result", content) if status == "success" else None,
            "metrics": artifact.get("metrics"),
            "started": started,
            "ended": time.time(),
        }
        _safe({"event": "step_end", "step": step.id, "tool": step.tool, "status": status})
        return record

    def step(self, task: Mapping[str, Any], config: RunnableConfig | None = None) -> dict[str, Any]:
        step, args, failed = self._prepare(task)
        if failed is not None:
            return {"step_results": {step.id: failed}}
        assert args is not None
        started = time.time()
        msg = self._invoke(step, args, config)
        return {"step_results": {step.id: self._finish(step, args, msg, started)}}

    async def astep(self, task: Mapping[str, Any], config: RunnableConfig | None = None) -> dict[str, Any]:
        step, args, failed = self._prepare(task)
        if failed is not None:
            return {"step_results": {step.id: failed}}
        assert args is not None
        started = time.time()
        tool = self.tools[step.tool]
        try:
            msg = await tool.ainvoke(
                {"type": "tool_call", "id": step.id, "name": step.tool, "args": args}, _tool_config(config)
            )
        except Exception as exc:  # an ordinary tool raising: an observation, never a crashed graph
            msg = ToolMessage(f"error: {type(exc).__name__}: {exc}", tool_call_id=step.id, status="error")
        return {"step_results": {step.id: self._finish(step, args, msg, started)}}

    def _invoke(self, step: PlanStep, args: dict[str, Any], config: RunnableConfig | None) -> Any:
        tool = self.tools[step.tool]
        try:
            return tool.invoke(
                {"type": "tool_call", "id": step.id, "name": step.tool, "args": args}, _tool_config(config)
            )
        except Exception as exc:  # an ordinary tool raising: an observation, never a crashed graph
            return ToolMessage(f"error: {type(exc).__name__}: {exc}", tool_call_id=step.id, status="error")

    # -- observe -----------------------------------------------------------------------------------------------
    def observe(self, state: WasmAgentState) -> dict[str, Any]:
        """Report every step's outcome to the planner and count the round."""
        plan = Plan.model_validate(state["plan"])
        results = state.get("step_results") or {}
        lines = ["Results of your plan:"]
        for step in plan.steps:
            rec = results.get(step.id, {})
            text = str(rec.get("content", ""))
            if len(text) > _OBSERVATION_LIMIT:
                text = text[:_OBSERVATION_LIMIT] + " ...[truncated]"
            lines.append(f"- {step.id} ({step.tool}) {rec.get('status', 'missing')}: {text}")
        return {
            "messages": [HumanMessage("\n".join(lines), name="executor")],
            "iteration": state.get("iteration", 0) + 1,
        }


def _tool_config(config: RunnableConfig | None) -> RunnableConfig | None:
    """The step's config for the tool: its thread id (stateful tools key sessions by it), the run's store and
    callbacks."""
    if config is None:
        return None
    user = {
        k: v
        for k, v in (config.get("configurable") or {}).items()
        if not k.startswith("__") and not k.startswith("checkpoint_")
    }
    conf = config.get("configurable") or {}
    store = getattr(conf.get("__pregel_runtime"), "store", None) or conf.get("__pregel_store")
    if store is not None:  # the run's store: stateful tools keep what must outlive the process there
        user["__pregel_store"] = store
    return {"configurable": user, "callbacks": config.get("callbacks")}


def _decisions(decision: Any, asked: list[str]) -> dict[str, bool]:
    """Read a resume value: True/False for all, {"approve": [...], "reject": [...]}, or {step_id: bool}."""
    if isinstance(decision, bool):
        return dict.fromkeys(asked, decision)
    if isinstance(decision, Mapping):
        if "approve" in decision or "reject" in decision:
            approved = set(decision.get("approve", []))
            return {s: s in approved for s in asked}
        return {s: bool(decision.get(s, False)) for s in asked}
    if isinstance(decision, str):
        return dict.fromkeys(asked, decision.strip().lower() in ("y", "yes", "approve", "approved", "ok"))
    return dict.fromkeys(asked, False)
