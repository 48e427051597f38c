"""Approvals a human can trust: the request in LangChain v1's human-in-the-loop format, and the decisions read
from it (or from the older forms), recorded in the thread's state so any graph or process that resumes honours them.

The request (``interrupt`` value) is an ``HITLRequest`` as ``HumanInTheLoopMiddleware`` sends it, one action per
step, plus this agent's own keys::

    {"action_requests": [{"name": "weather", "args": {...}, "description": "..."}],
     "review_configs": [{"action_name": "weather", "allowed_decisions": ["approve", "edit", "reject"]}],
     "type": "approval", "question": "...", "steps": [{"id": "w", "tool": "weather", ...}]}

Answers: ``{"decisions": [{"type": "approve"} | {"type": "edit", "edited_action": {"name", "args"}} |
{"type": "reject", "message": "..."}]}`` in the order of the action requests (an ``HITLResponse``); also
``True``/``False`` for all, ``{"approve": [ids], "reject": [ids]}``, ``{step_id: bool}`` or ``"approve"``/``"reject"``.
Anything else rejects: a step never runs on an answer that does not say yes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_wasm.graph.plan import PlanStep

__all__ = ["Decision", "approval_request", "read_decisions"]

#: One step's decision: {"type": "approve" | "reject" | "edit", "args"?: {...}, "message"?: "..."}.
Decision = dict[str, Any]
_ALLOWED = ["approve", "edit", "reject"]
_YES = ("y", "yes", "approve", "approved", "ok", "true")


def approval_request(steps: Sequence[PlanStep]) -> dict[str, Any]:
    """The ``interrupt`` payload asking a human about ``steps``."""
    return {
        "action_requests": [
            {
                "name": s.tool,
                "args": s.args,
                "description": f"Step {s.id} of the plan calls {s.tool} with these arguments; it runs only if "
                "you approve (or edit) it.",
            }
            for s in steps
        ],
        "review_configs": [{"action_name": s.tool, "allowed_decisions": list(_ALLOWED)} for s in steps],
        "type": "approval",
        "question": "These steps need a human's approval before they run.",
        "steps": [s.model_dump() for s in steps],
    }


def read_decisions(answer: Any, asked: Sequence[PlanStep]) -> dict[str, Decision]:
    """Each asked step's decision from a resume value (see the module docstring)."""
    ids = [s.id for s in asked]
    if isinstance(answer, bool):
        return {i: _simple(answer) for i in ids}
    if isinstance(answer, str):
        return {i: _simple(answer.strip().lower() in _YES) for i in ids}
    if isinstance(answer, Mapping):
        if isinstance(answer.get("decisions"), list):
            return _hitl(answer["decisions"], asked)
        if "approve" in answer or "reject" in answer:
            approved = set(answer.get("approve") or [])
            return {i: _simple(i in approved) for i in ids}
        return {i: _one(answer.get(i), asked[n]) for n, i in enumerate(ids)}
    return {i: _simple(False) for i in ids}


def _simple(yes: bool) -> Decision:
    return {"type": "approve"} if yes else {"type": "reject"}


def _hitl(decisions: list[Any], asked: Sequence[PlanStep]) -> dict[str, Decision]:
    """HITLResponse decisions, in the order of the action requests; a missing one rejects."""
    out: dict[str, Decision] = {}
    for n, step in enumerate(asked):
        out[step.id] = _one(decisions[n] if n < len(decisions) else None, step)
    return out


def _one(value: Any, step: PlanStep) -> Decision:
    if isinstance(value, bool):
        return _simple(value)
    if isinstance(value, str):
        return _simple(value.strip().lower() in _YES)
    if not isinstance(value, Mapping):
        return {"type": "reject", "message": "no decision was given for this step"}
    kind = value.get("type")
    if kind == "approve":
        return {"type": "approve"}
    if kind == "edit":
        action = value.get("edited_action") or {}
        args = action.get("args") if isinstance(action, Mapping) else None
        name = action.get("name", step.tool) if isinstance(action, Mapping) else step.tool
        if not isinstance(args, Mapping):
            return {"type": "reject", "message": "the edit carried no arguments; the step was not run"}
        if name != step.tool:
            return {"type": "reject", "message": f"an edit may change {step.tool}'s arguments, not the tool"}
        return {"type": "edit", "args": dict(args)}
    message = value.get("message") if kind == "reject" else f"unknown decision type {kind!r}"
    out: Decision = {"type": "reject"}
    if isinstance(message, str) and message:
        out["message"] = message
    return out
