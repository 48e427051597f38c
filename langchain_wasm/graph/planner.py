"""The planner node: ask the model for a plan in its best structured mode, validate it, send precise errors back
for repair, and stop cleanly (a final message, never an exception) when the model cannot get further.

A provider that refuses the schema at request time (HTTP 4xx/5xx about the schema or the response format)
switches this planner to its next mode (``providers.modes_for``) with one warning, and the turn is retried.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool

from langchain_wasm.graph.plan import Plan, StepReferenceError, resolve_references
from langchain_wasm.graph.plan_schema import drop_null_optionals, is_strict_compatible, plan_schema
from langchain_wasm.graph.prompt import planner_prompt
from langchain_wasm.graph.providers import Mode, bind_mode, is_context_overflow, is_schema_refusal, modes_for
from langchain_wasm.graph.state import WasmAgentState
from langchain_wasm.graph.transcript import (
    answer_message,
    excerpt,
    for_planner,
    last_round_needs_no_tools,
    plan_message,
)
from langchain_wasm.graph.validate import parse_plan, plan_from_data, tool_parameters, validate_plan

__all__ = ["Planner"]

log = logging.getLogger("langchain_wasm.graph")
_DEFAULT_BUDGET_CHARS = 400_000  # ~100k tokens: trim old results past this when the model's window is unknown


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
        require_tools: bool = False,
    ) -> None:
        self.model = model
        self.tools = tools
        self.max_steps = max_steps
        self.max_iterations = max_iterations
        self.max_repairs = max_repairs
        self.require_tools = require_tools
        tool_list = list(tools.values())
        strict_ok = is_strict_compatible(plan_schema(tool_list, max_steps=max_steps))
        modes = modes_for(model, structured=structured, strict_ok=strict_ok)
        if structured is True and modes == [Mode("text")]:
            modes = [Mode("function_calling"), Mode("text")]
        self.modes = modes
        self.schemas = {m.dialect: plan_schema(tool_list, max_steps=max_steps, dialect=m.dialect) for m in modes}
        self._mode = 0
        self._bound: dict[int, Runnable[Any, Any] | None] = {}
        self._prompts = {
            enforced: SystemMessage(
                planner_prompt(tool_list, max_steps=max_steps, schema=None if enforced else Plan.model_json_schema())
            )
            for enforced in (True, False)
        }
        window = getattr(model, "n_ctx", None) or getattr(model, "num_ctx", None)
        self.budget_chars = int(window) * 3 - len(self._prompts[False].content) if window else _DEFAULT_BUDGET_CHARS

    @property
    def mode(self) -> Mode:
        """The structured-output mode this planner uses now."""
        return self.modes[self._mode]

    @property
    def system(self) -> SystemMessage:
        """The system prompt of the current mode."""
        return self._prompts[self.mode.enforced]

    def _runnable(self) -> Runnable[Any, Any] | None:
        while self._mode not in self._bound:
            try:
                self._bound[self._mode] = bind_mode(self.model, self.mode, self.schemas[self.mode.dialect])
            except (NotImplementedError, AttributeError, ValueError, TypeError) as exc:
                log.debug("mode %s unavailable for %s: %s", self.mode, type(self.model).__name__, exc)
                self._mode += 1
        return self._bound[self._mode]

    def _messages(self, state: WasmAgentState) -> list[BaseMessage]:
        return [self.system, *for_planner(state.get("messages", []), budget_chars=self.budget_chars)]

    def _failed(self, exc: Exception) -> dict[str, Any] | None:
        """After a model error: None to retry in the next mode, a final update, or re-raise."""
        if is_context_overflow(exc):
            text = (
                "I had to stop: the conversation no longer fits the model's context window "
                f"({type(exc).__name__}: {excerpt(str(exc), 200)}). Start a new thread, ask a shorter question, "
                "or use a model with a longer context."
            )
            return {"messages": [answer_message(text)], "final_answer": text, "plan": None}
        if is_schema_refusal(exc) and self._mode + 1 < len(self.modes):
            old = self.mode
            self._mode += 1
            message = (
                f"langchain-wasm: {type(self.model).__name__} refused the plan schema in {old} mode "
                f"({type(exc).__name__}: {excerpt(str(exc), 200)}); this agent now asks it in {self.mode} mode."
            )
            warnings.warn(message, RuntimeWarning, stacklevel=3)
            log.warning(message)
            return None
        raise exc

    # -- the node --------------------------------------------------------------------------------------------
    def __call__(self, state: WasmAgentState) -> dict[str, Any]:
        done = self._out_of_rounds(state)
        if done is not None:
            return done
        while True:
            runnable = self._runnable()
            try:
                out = (runnable or self.model).invoke(self._messages(state))
            except Exception as exc:
                final = self._failed(exc)
                if final is not None:
                    return final
                continue
            return _turn(state, self._decide(state, *self._read(out)))

    async def acall(self, state: WasmAgentState) -> dict[str, Any]:
        done = self._out_of_rounds(state)
        if done is not None:
            return done
        while True:
            runnable = self._runnable()
            try:
                out = await (runnable or self.model).ainvoke(self._messages(state))
            except Exception as exc:
                final = self._failed(exc)
                if final is not None:
                    return final
                continue
            return _turn(state, self._decide(state, *self._read(out)))

    # -- reading the answer ------------------------------------------------------------------------------------
    def _out_of_rounds(self, state: WasmAgentState) -> dict[str, Any] | None:
        rounds = 0 if state.get("final_answer") is not None else state.get("iteration", 0)
        if rounds < self.max_iterations:
            return None
        text = (
            f"I stopped after {rounds} rounds of tool use without reaching a final answer (max_iterations="
            f"{self.max_iterations}). The last results are in the conversation above."
        )
        return {"messages": [answer_message(text)], "final_answer": text, "plan": None}

    def _read(self, out: Any) -> tuple[Plan | None, str | None, str]:
        """(plan, error, the raw answer as text)."""
        if isinstance(out, Mapping):
            raw = out.get("raw")
            parsed = out.get("parsed")
            if isinstance(parsed, Plan):
                return parsed, None, parsed.model_dump_json()
            if isinstance(parsed, Mapping):
                plan, error = plan_from_data(self._normalize(parsed))
                return plan, error, json.dumps(parsed, ensure_ascii=False, default=str)
            if isinstance(raw, AIMessage) and raw.tool_calls:
                data = raw.tool_calls[0]["args"]
                plan, error = plan_from_data(self._normalize(data))
                return plan, error, json.dumps(data, ensure_ascii=False, default=str)
            if isinstance(raw, BaseMessage):
                return self._read_text(raw)
            return None, f"the structured answer could not be read: {out.get('parsing_error')}", ""
        if isinstance(out, Plan):
            return out, None, out.model_dump_json()
        if isinstance(out, BaseMessage):
            if isinstance(out, AIMessage) and out.tool_calls and not out.content:
                data = out.tool_calls[0]["args"]
                plan, error = plan_from_data(self._normalize(data))
                return plan, error, json.dumps(data, ensure_ascii=False, default=str)
            return self._read_text(out)
        return None, f"unexpected structured answer {type(out).__name__}", ""

    def _read_text(self, msg: BaseMessage) -> tuple[Plan | None, str | None, str]:
        content = msg.content if isinstance(msg.content, str) else json.dumps(msg.content)
        plan, error = parse_plan(content, normalize=self._normalize)
        return plan, error, content

    def _normalize(self, data: Any) -> Any:
        """Drop the nulls a strict schema makes a model send for optional arguments it leaves out."""
        if not isinstance(data, Mapping) or not isinstance(data.get("steps"), list):
            return data
        steps = []
        for step in data["steps"]:
            tool = self.tools.get(str(step.get("tool"))) if isinstance(step, Mapping) else None
            if tool is not None and isinstance(step.get("args"), dict):
                step = {**step, "args": drop_null_optionals(step["args"], tool_parameters(tool))}
            steps.append(step)
        return {**data, "steps": steps}

    # -- deciding ----------------------------------------------------------------------------------------------
    def _decide(self, state: WasmAgentState, plan: Plan | None, error: str | None, raw: str) -> dict[str, Any]:
        errors = [error] if error else validate_plan(plan, self.tools, max_steps=self.max_steps)  # type: ignore[arg-type]
        first_turn = last_round_needs_no_tools(state.get("messages", []))
        if not errors and plan is not None and not plan.steps and self.require_tools and first_turn:
            errors = [
                "this question needs a tool: plan tool steps first and answer from their results "
                "(a first answer without any tool is not accepted)"
            ]
        if errors:
            return self._repair(state, errors, raw)
        assert plan is not None
        if plan.final_answer is not None and not plan.steps:
            # The answer may quote the last plan's results by reference ("${s1.temperature}").
            results = {k: v.get("result") for k, v in (state.get("step_results") or {}).items()}
            try:
                resolved = resolve_references(plan.final_answer, results)
            except StepReferenceError as exc:
                return self._repair(state, [f"final_answer: {exc}"], raw)
            # "${s1}" alone resolves to the structured result; an answer is text, so JSON it.
            text = resolved if isinstance(resolved, str) else json.dumps(resolved, ensure_ascii=False)
            return {"messages": [answer_message(text)], "final_answer": text, "plan": plan.model_dump(), "repairs": 0}
        if _same_steps(plan, state.get("plan")) and state.get("step_results"):
            text = (
                "I stopped: the model planned exactly the same steps again instead of answering. The results "
                "of those steps are above:\n" + _results_text(state)
            )
            return {"messages": [answer_message(text)], "final_answer": text, "plan": None}
        return {
            "messages": [plan_message(plan)],
            "plan": plan.model_dump(),
            "step_results": None,
            "approvals": {},
            "repairs": 0,
        }

    def _repair(self, state: WasmAgentState, errors: Sequence[str], raw: str) -> dict[str, Any]:
        repairs = state.get("repairs", 0) + 1
        shown = AIMessage(excerpt(raw) or "(empty answer)", name="planner")
        feedback = "Your plan was rejected:\n- " + "\n- ".join(errors)
        if repairs > self.max_repairs:
            text = f"I could not produce a valid plan after {repairs} attempts. Last problems: {'; '.join(errors)}"
        elif repairs > 1 and _previous_invalid(state) == shown.content:
            text = (
                "I stopped: the model gave the same invalid answer again, so asking once more would not help. "
                f"Last problems: {'; '.join(errors)}"
            )
        else:
            feedback += "\nReply with a corrected plan as one JSON object."
            return {"messages": [shown, HumanMessage(feedback, name="validator")], "plan": None, "repairs": repairs}
        return {
            "messages": [shown, HumanMessage(feedback, name="validator"), answer_message(text)],
            "final_answer": text,
            "plan": None,
            "repairs": repairs,
        }


def _previous_invalid(state: WasmAgentState) -> str | None:
    for msg in reversed(state.get("messages", [])):
        if isinstance(msg, AIMessage) and msg.name == "planner" and not msg.tool_calls:
            return str(msg.content)
        if isinstance(msg, HumanMessage) and msg.name != "validator":
            return None
    return None


def _same_steps(plan: Plan, previous: Mapping[str, Any] | None) -> bool:
    if not previous or not previous.get("steps"):
        return False

    def key(steps: Sequence[Any]) -> list[tuple[str, str]]:
        return sorted(
            (s["tool"], json.dumps(s.get("args", {}), sort_keys=True))
            for s in (x if isinstance(x, Mapping) else x.model_dump() for x in steps)
        )

    return key(plan.steps) == key(previous["steps"])


def _results_text(state: WasmAgentState) -> str:
    return "\n".join(
        f"- {sid} ({rec.get('tool')}) {rec.get('status')}: {excerpt(str(rec.get('content', '')), 300)}"
        for sid, rec in (state.get("step_results") or {}).items()
    )


def _turn(state: WasmAgentState, update: dict[str, Any]) -> dict[str, Any]:
    """A planner entered after a final answer starts a new turn: the old answer and round count are cleared."""
    if state.get("final_answer") is None:
        return update
    return {"final_answer": None, "iteration": 0, **update}
