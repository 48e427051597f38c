"""The plan/execute agent's state."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

__all__ = ["WasmAgentState", "merge_results"]


def merge_results(
    old: dict[str, dict[str, Any]] | None, new: dict[str, dict[str, Any]] | None
) -> dict[str, dict[str, Any]]:
    """Step results of the current plan: updates merge by step id; ``None`` starts a new plan (clears)."""
    if new is None:
        return {}
    merged = dict(old or {})
    for step_id, record in new.items():
        merged[step_id] = {**merged.get(step_id, {}), **record}
    return merged


class WasmAgentState(TypedDict, total=False):
    """State of ``create_wasm_agent`` graphs.

    Attributes:
        messages: the conversation in LangChain's shape: the user's request, each plan as an ``AIMessage`` whose
            tool calls are its steps, each step's result as a ``ToolMessage``, validation feedback, the answer
            as a plain ``AIMessage`` (see ``langchain_wasm.graph.transcript``).
        plan: the current validated plan (``Plan.model_dump()``), or ``None`` while repairing.
        step_results: per step id of the current plan: status (awaiting_approval, pending, running, success,
            error, rejected, skipped), tool, resolved args, content (what the model reads), result
            (structured), metrics, timings.
        approvals: per step id, a human's decision (True approved, False rejected).
        iteration: completed plan/execute rounds.
        repairs: consecutive rejected plans (reset by a valid one).
        final_answer: the answer, once given.
    """

    messages: Annotated[list[AnyMessage], add_messages]
    plan: dict[str, Any] | None
    step_results: Annotated[dict[str, dict[str, Any]], merge_results]
    approvals: dict[str, bool]
    iteration: int
    repairs: int
    final_answer: str | None
