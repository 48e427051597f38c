"""The transcript in LangChain's own shape, and the planner's view of it.

In the state (what chat UIs, LangGraph Studio and traces read): each plan is an ``AIMessage`` whose
``tool_calls`` are its steps (ids = step ids; the reasoning is the content, reasoning and ``depends_on`` are
also in ``response_metadata["wasm_plan"]``), each step's outcome a ``ToolMessage`` (``status``, ``artifact``
with the structured result), the answer a plain ``AIMessage``. Validation feedback is a ``HumanMessage`` named
``validator``; an invalid answer is kept as an ``AIMessage`` named ``planner`` (a short excerpt).

The planner model sees the same history rendered as text (its plans as JSON, each round's results as one user
message), which every provider and every structured-output mode accepts; old results are shortened first when
the history outgrows the context budget.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from langchain_wasm.graph.plan import Plan, PlanStep

__all__ = ["answer_message", "excerpt", "for_planner", "plan_from_message", "plan_message", "step_message"]

_OBSERVATION_LIMIT = 2000
_OLD_OBSERVATION_LIMIT = 200
_EXCERPT = 300


def plan_message(plan: Plan) -> AIMessage:
    """A plan as an AI turn whose tool calls are its steps."""
    return AIMessage(
        plan.reasoning,
        name="planner",
        tool_calls=[{"name": s.tool, "args": s.args, "id": s.id, "type": "tool_call"} for s in plan.steps],
        response_metadata={
            "wasm_plan": {"reasoning": plan.reasoning, "depends_on": {s.id: s.depends_on for s in plan.steps}}
        },
    )


def plan_from_message(msg: BaseMessage) -> Plan | None:
    """The plan an AI turn made by ``plan_message`` carries (None for any other message)."""
    if not isinstance(msg, AIMessage) or not msg.tool_calls or msg.name != "planner":
        return None
    meta = msg.response_metadata.get("wasm_plan") or {}
    deps = meta.get("depends_on") or {}
    steps = [
        PlanStep(id=c["id"] or f"s{n}", tool=c["name"], args=c["args"], depends_on=deps.get(c["id"], []))
        for n, c in enumerate(msg.tool_calls, 1)
    ]
    return Plan(reasoning=meta.get("reasoning", ""), steps=steps)


def step_message(step_id: str, record: Mapping[str, Any]) -> ToolMessage:
    """A step's outcome: success or error (rejected and skipped steps are errors the model reads as such)."""
    status = record.get("status", "error")
    text = str(record.get("content", ""))
    if len(text) > _OBSERVATION_LIMIT:
        text = text[:_OBSERVATION_LIMIT] + " ...[truncated]"
    return ToolMessage(
        text,
        tool_call_id=step_id,
        name=record.get("tool"),
        status="success" if status == "success" else "error",
        artifact={"status": status, "result": record.get("result"), "metrics": record.get("metrics")},
    )


def answer_message(text: str) -> AIMessage:
    """The final answer: a plain AI message."""
    return AIMessage(text)


def excerpt(text: str, limit: int = _EXCERPT) -> str:
    """At most ``limit`` characters of an invalid answer (echoing a long one back wastes the context)."""
    return text if len(text) <= limit else text[:limit] + f" ...[{len(text) - limit} more characters]"


def for_planner(messages: Sequence[BaseMessage], *, budget_chars: int | None = None) -> list[BaseMessage]:
    """The conversation as the planner model reads it: plans as JSON text, each round's results as one message."""
    out: list[BaseMessage] = []
    results: list[ToolMessage] = []
    tools_of: dict[str, str] = {}

    def flush() -> None:
        if results:
            lines = ["Results of your plan:"]
            for r in results:
                status = (r.artifact or {}).get("status", r.status) if isinstance(r.artifact, Mapping) else r.status
                lines.append(
                    f"- {r.tool_call_id} ({r.name or tools_of.get(r.tool_call_id, '?')}) {status}: {r.content}"
                )
            out.append(HumanMessage("\n".join(lines), name="executor"))
            results.clear()

    for msg in messages:
        if isinstance(msg, ToolMessage):
            results.append(msg)
            continue
        flush()
        plan = plan_from_message(msg)
        if plan is not None:
            tools_of.update({s.id: s.tool for s in plan.steps})
            out.append(AIMessage(plan.model_dump_json(exclude_none=True), name="planner"))
        else:
            out.append(msg)
    flush()
    return _trim(out, budget_chars) if budget_chars else out


def _trim(messages: list[BaseMessage], budget: int) -> list[BaseMessage]:
    """Shorten old results (all but the latest round) until the history fits ``budget`` characters."""
    size = sum(len(str(m.content)) for m in messages)
    if size <= budget:
        return messages
    rounds = [i for i, m in enumerate(messages) if m.name == "executor"]
    out = list(messages)
    for i in rounds[:-1]:
        text = str(out[i].content)
        if len(text) > _OLD_OBSERVATION_LIMIT:
            short = "\n".join(line[:_OLD_OBSERVATION_LIMIT] for line in text.splitlines()[:12])
            out[i] = HumanMessage(short + "\n(older results shortened to fit the context)", name="executor")
            size -= len(text) - len(str(out[i].content))
        if size <= budget:
            break
    return out


def last_round_needs_no_tools(messages: Sequence[BaseMessage]) -> bool:
    """True when no tool has run since the user's last message (the first turn of a question)."""
    for msg in reversed(messages):
        if isinstance(msg, ToolMessage):
            return False
        if isinstance(msg, HumanMessage) and msg.name not in ("validator", "executor"):
            return True
    return True


def dumps(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
