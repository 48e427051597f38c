"""The planner node: ask the model for a plan, validate it, and send precise errors back for repair."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool

from langchain_wasm.graph.plan import Plan, StepReferenceError, resolve_references
from langchain_wasm.graph.prompt import planner_prompt
from langchain_wasm.graph.state import WasmAgentState
from langchain_wasm.graph.validate import parse_plan, plan_from_data, validate_plan

__all__ = ["Planner"]


class Planner:
    """Produces the planner node's state update (sync and async share everything but the model call)."""

    def __init__(
        self,
        model: BaseChatModel,
        tools: Mapping[str, BaseTool],
        *,
        max_steps: int,
        max_iterations: int,
        max_repairs: int,
        structured: bool | None,
    ) -> None:
        self.model = model
        self.tools = tools
        self.max_steps = max_steps
        self.max_iterations = max_iterations
        self.max_repairs = max_repairs
        self.system = SystemMessage(planner_prompt(list(tools.values()), max_steps=max_steps))
        self.structured = self._structured_model() if structured is not False else None

    def _structured_model(self) -> Runnable[Any, Any] | None:
        """Schema-constrained output where the model offers it; ``None`` means plain JSON text."""
        try:
            return self.model.with_structured_output(Plan, include_raw=True)
        except (NotImplementedError, AttributeError, ValueError):
            return None

    # -- the node --------------------------------------------------------------------------------------------
    def __call__(self, state: WasmAgentState) -> dict[str, Any]:
        done = self._out_of_rounds(state)
        if done is not None:
            return done
        messages = [self.system, *state.get("messages", [])]
        if self.structured is not None:
            return _turn(state, self._decide(state, *self._read(self.structured.invoke(messages))))
        return _turn(state, self._decide(state, *self._read_text(self.model.invoke(messages))))

    async def acall(self, state: WasmAgentState) -> dict[str, Any]:
        done = self._out_of_rounds(state)
        if done is not None:
            return done
        messages = [self.system, *state.get("messages", [])]
        if self.structured is not None:
            return _turn(state, self._decide(state, *self._read(await self.structured.ainvoke(messages))))
        return _turn(state, self._decide(state, *self._read_text(await self.model.ainvoke(messages))))

    # -- helpers -----------------------------------------------------------------------------------------------
    def _out_of_rounds(self, state: WasmAgentState) -> dict[str, Any] | None:
        rounds = 0 if state.get("final_answer") is not None else state.get("iteration", 0)
        if rounds < self.max_iterations:
            return None
        text = (
            f"I stopped after {rounds} rounds of tool use without reaching a final answer (max_iterations="
            f"{self.max_iterations}). The last results are in the conversation above."
        )
        return {"messages": [AIMessage(text, name="planner")], "final_answer": text, "plan": None}

    def _read(self, out: Any) -> tuple[Plan | None, str | None, BaseMessage | None]:
        if isinstance(out, Mapping):
            raw = out.get("raw")
            if isinstance(out.get("parsed"), Plan):
                return out["parsed"], None, raw
            if isinstance(raw, BaseMessage):
                if isinstance(raw, AIMessage) and raw.tool_calls:
                    plan, error = plan_from_data(raw.tool_calls[0]["args"])
                    return plan, error, raw
                return self._read_text(raw)
            return None, f"the structured answer could not be read: {out.get('parsing_error')}", None
        if isinstance(out, Plan):
            return out, None, None
        return None, f"unexpected structured answer {type(out).__name__}", None

    @staticmethod
    def _read_text(msg: BaseMessage) -> tuple[Plan | None, str | None, BaseMessage | None]:
        content = msg.content if isinstance(msg.content, str) else json.dumps(msg.content)
        plan, error = parse_plan(content)
        return plan, error, msg

    def _decide(
        self, state: WasmAgentState, plan: Plan | None, error: str | None, raw: BaseMessage | None
    ) -> dict[str, Any]:
        errors = [error] if error else validate_plan(plan, self.tools, max_steps=self.max_steps)  # type: ignore[arg-type]
        if errors:
            return self._repair(state, errors, raw)
        assert plan is not None
        said = AIMessage(plan.model_dump_json(exclude_none=True), name="planner")
        if plan.final_answer is not None and not plan.steps:
            # The answer may quote the last plan's results by reference ("${s1.temperature}").
            results = {k: v.get("result") for k, v in (state.get("step_results") or {}).items()}
            try:
                resolved = resolve_references(plan.final_answer, results)
            except StepReferenceError as exc:
                return self._repair(state, [f"final_answer: {exc}"], said)
            # "${s1}" alone resolves to the structured result; an answer is text, so JSON it.
            text = resolved if isinstance(resolved, str) else json.dumps(resolved, ensure_ascii=False)
            return {
                "messages": [said, AIMessage(text)],
                "final_answer": text,
                "plan": plan.model_dump(),
                "repairs": 0,
            }
        return {"messages": [said], "plan": plan.model_dump(), "step_results": None, "approvals": {}, "repairs": 0}

    def _repair(self, state: WasmAgentState, errors: Sequence[str], raw: BaseMessage | None) -> dict[str, Any]:
        repairs = state.get("repairs", 0) + 1
        shown: list[BaseMessage] = []
        if raw is not None:
            text = raw.content if isinstance(raw.content, str) else json.dumps(raw.content)
            if isinstance(raw, AIMessage) and raw.tool_calls:
                text = json.dumps(raw.tool_calls[0]["args"])
            shown.append(AIMessage(text or "(empty answer)", name="planner"))
        feedback = "Your plan was rejected:\n- " + "\n- ".join(errors)
        if repairs > self.max_repairs:
            text = f"I could not produce a valid plan after {repairs} attempts. Last problems: {'; '.join(errors)}"
            return {
                "messages": [*shown, HumanMessage(feedback, name="validator"), AIMessage(text)],
                "final_answer": text,
                "plan": None,
                "repairs": repairs,
            }
        feedback += "\nReply with a corrected plan as one JSON object."
        return {"messages": [*shown, HumanMessage(feedback, name="validator")], "plan": None, "repairs": repairs}


def _turn(state: WasmAgentState, update: dict[str, Any]) -> dict[str, Any]:
    """A planner entered after a final answer starts a new turn: the old answer and round count are cleared."""
    if state.get("final_answer") is None:
        return update
    return {"final_answer": None, "iteration": 0, **update}
