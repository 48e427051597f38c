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

from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.config import get_stream_writer
from langgraph.types import Send, interrupt

from langchain_wasm.graph.approvals import approval_request, read_decisions
from langchain_wasm.graph.plan import Plan, PlanStep, StepReferenceError
from langchain_wasm.graph.references import resolve_for_schema
from langchain_wasm.graph.state import WasmAgentState
from langchain_wasm.graph.transcript import step_message
from langchain_wasm.graph.validate import dependencies, tool_parameters

__all__ = ["ApprovalPolicy", "Executor", "needs_approval_by_default"]

#: Decides whether a step must be approved by a human before it runs.
ApprovalPolicy = Callable[[PlanStep, BaseTool], bool]
_DONE = ("success", "error", "rejected", "skipped")


def needs_approval_by_default(step: PlanStep, tool: BaseTool) -> bool:
    """Steps whose tool is granted more than the sandbox default: a writable directory, host functions, or
    network (an HTTP grant on the tool's capabilities, or a Python tool's ``http_grant``)."""
    caps = getattr(tool, "capabilities", None)
    if getattr(tool, "http_grant", None) is not None or getattr(caps, "http", None) is not None:
        return True
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
        """Mark the next ready steps running; skip steps whose dependencies failed; ask for approvals.

        A step the policy wants approved is first recorded as ``awaiting_approval`` in the state (a superstep of
        its own), and the request is made from that record: whatever graph or process resumes the thread, with
        whatever policy, asks about exactly those steps and honours the answer. A recorded rejection always wins.
        """
        plan = Plan.model_validate(state["plan"])
        results = state.get("step_results") or {}
        approvals = dict(state.get("approvals") or {})
        awaiting = [s for s in plan.steps if results.get(s.id, {}).get("status") == "awaiting_approval"]
        if awaiting:
            return self._ask(plan, awaiting, approvals)
        deps = dependencies(plan)
        update: dict[str, dict[str, Any]] = {}
        messages: list[ToolMessage] = []
        ready: list[PlanStep] = []
        for step in plan.steps:
            if results.get(step.id, {}).get("status") in (*_DONE, "running"):
                continue
            failed = [d for d in deps[step.id] if results.get(d, {}).get("status") in ("error", "rejected", "skipped")]
            if failed:
                update[step.id] = self._record(
                    step, "skipped", f"skipped: it depends on {failed}, which did not succeed"
                )
                messages.append(step_message(step.id, update[step.id]))
            elif all(results.get(d, {}).get("status") == "success" for d in deps[step.id]):
                ready.append(step)
        if not self.parallel:
            ready = ready[:1]
        asking = [s for s in ready if s.id not in approvals and self.policy(s, self.tools[s.tool])]
        if asking:
            for s in asking:
                update[s.id] = {"status": "awaiting_approval", "tool": s.tool, "args": s.args}
            return {"step_results": update, "messages": messages}
        for step in ready:
            if approvals.get(step.id, True) is False:
                update[step.id] = self._record(step, "rejected", "rejected by a human reviewer; not run")
                messages.append(step_message(step.id, update[step.id]))
            else:
                update[step.id] = {"status": "running", "tool": step.tool, "started": time.time()}
        return {"step_results": update, "approvals": approvals, "messages": messages}

    def _ask(self, plan: Plan, awaiting: list[PlanStep], approvals: dict[str, bool]) -> dict[str, Any]:
        """Interrupt for the recorded ``awaiting`` steps and apply the decisions (edits change the plan)."""
        decisions = read_decisions(interrupt(approval_request(awaiting)), awaiting)
        update: dict[str, dict[str, Any]] = {}
        messages: list[ToolMessage] = []
        steps = {s.id: s for s in plan.steps}
        for step in awaiting:
            decision = decisions[step.id]
            if decision["type"] == "reject":
                approvals[step.id] = False
                reason = decision.get("message")
                note = f"rejected by a human reviewer{f': {reason}' if reason else ''}; not run"
                update[step.id] = self._record(step, "rejected", note)
                messages.append(step_message(step.id, update[step.id]))
                continue
            approvals[step.id] = True
            if decision["type"] == "edit":
                steps[step.id] = step.model_copy(update={"args": decision["args"]})
            update[step.id] = {"status": "pending", "tool": step.tool, "args": steps[step.id].args}
        new_plan = plan.model_copy(update={"steps": [steps[s.id] for s in plan.steps]})
        return {"step_results": update, "approvals": approvals, "messages": messages, "plan": new_plan.model_dump()}

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
        if any(results.get(s.id, {}).get("status") == "awaiting_approval" for s in plan.steps):
            return "dispatch"  # the approval request is its own superstep, made from the recorded state
        return "dispatch"  # pragma: no cover - dispatch always makes progress; kept as a safe default

    # -- one step ----------------------------------------------------------------------------------------------
    def _prepare(self, task: Mapping[str, Any]) -> tuple[PlanStep, dict[str, Any] | None, dict[str, Any] | None]:
        step = PlanStep.model_validate(task["step"])
        _safe({"event": "step_start", "step": step.id, "tool": step.tool})
        try:
            args = resolve_for_schema(step.args, task.get("results", {}), tool_parameters(self.tools[step.tool]))
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
            return {"step_results": {step.id: failed}, "messages": [step_message(step.id, failed)]}
        assert args is not None
        started = time.time()
        record = self._finish(step, args, self._invoke(step, args, config), started)
        return {"step_results": {step.id: record}, "messages": [step_message(step.id, record)]}

    async def astep(self, task: Mapping[str, Any], config: RunnableConfig | None = None) -> dict[str, Any]:
        step, args, failed = self._prepare(task)
        if failed is not None:
            return {"step_results": {step.id: failed}, "messages": [step_message(step.id, failed)]}
        assert args is not None
        started = time.time()
        tool = self.tools[step.tool]
        try:
            msg = await tool.ainvoke(
                {"type": "tool_call", "id": step.id, "name": step.tool, "args": args}, _tool_config(config)
            )
        except Exception as exc:  # an ordinary tool raising: an observation, never a crashed graph
            msg = ToolMessage(f"error: {type(exc).__name__}: {exc}", tool_call_id=step.id, status="error")
        record = self._finish(step, args, msg, started)
        return {"step_results": {step.id: record}, "messages": [step_message(step.id, record)]}

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
        """The plan is finished (every result is already a ``ToolMessage``): count the round."""
        return {"iteration": state.get("iteration", 0) + 1}


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
