"""The planner loop with real models' failure modes: typed references, early stops, short repairs, context
overflow as a final message, require_tools, the per-tool plan schema and its dialects, the prompt budget."""

from __future__ import annotations

import json

import jsonschema
import pytest
from langchain_core.exceptions import ContextOverflowError
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from langchain_wasm import WasmTool, WasmToolkit
from langchain_wasm.graph import create_wasm_agent
from langchain_wasm.graph.plan_schema import REFERENCE_PATTERN, drop_null_optionals, plan_schema
from langchain_wasm.graph.prompt import planner_prompt
from langchain_wasm.graph.providers import is_context_overflow, is_schema_refusal
from tests.guests.conftest import GUESTS
from tests.tools.scripted import ScriptedChatModel


def plan(*steps, final=None):
    return AIMessage(json.dumps({"reasoning": "r", "steps": list(steps), "final_answer": final}))


def step(sid, tool, args, deps=()):
    return {"id": sid, "tool": tool, "args": args, "depends_on": list(deps)}


@pytest.fixture(scope="module")
def tools():
    return {n: WasmTool.from_manifest(GUESTS / n) for n in ("weather", "sha256", "matmul", "text_stats")}


def run(model, tools, **kwargs):
    app = create_wasm_agent(model, list(tools.values()), checkpointer=InMemorySaver(), **kwargs)
    return app.invoke({"messages": [HumanMessage("go")]}, {"configurable": {"thread_id": "t"}})


def feedback(state):
    return [m.content for m in state["messages"] if getattr(m, "name", None) == "validator"]


def test_a_whole_number_reference_into_a_string_argument_becomes_text(tools):
    model = ScriptedChatModel(
        script=[
            plan(step("w", "weather", {"city": "Paris"}), step("h", "sha256", {"text": "${w.temperature}"})),
            plan(final="ok"),
        ]
    )
    state = run(model, tools)
    assert state["step_results"]["h"]["status"] == "success"
    assert state["step_results"]["h"]["args"] == {"text": "18.5"}


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (step("m", "matmul", {"a": "${w.city}", "b": [[1]]}), "${w.city} is string (from w), but matmul takes array"),
        (step("h", "sha256", {"text": "${w.temp}"}), "has no field 'temp'; its fields are ['city', 'condition'"),
        (step("h", "sha256", {"text": "It is ${w.temperature.x}"}), "temperature is a number, it has no field 'x'"),
    ],
)
def test_references_are_type_checked_against_the_source_output_schema(tools, bad, expected):
    model = ScriptedChatModel(script=[plan(step("w", "weather", {"city": "Paris"}), bad), plan(final="gave up")])
    state = run(model, tools)
    assert expected in feedback(state)[0]
    assert state.get("step_results") in (None, {})  # nothing ran


def test_an_identical_invalid_answer_stops_early(tools):
    model = ScriptedChatModel(script=[AIMessage("no json")] * 5)
    state = run(model, tools, max_repairs=4)
    assert state["final_answer"].startswith("I stopped: the model gave the same invalid answer again")
    assert len(model.script) == 3  # two calls, not five


def test_an_identical_plan_coming_back_stops_early(tools):
    same = plan(step("s1", "sha256", {"text": "x"}))
    model = ScriptedChatModel(script=[same, same, same])
    state = run(model, tools, max_iterations=5)
    assert state["final_answer"].startswith("I stopped: the model planned exactly the same steps again")
    assert "s1 (sha256) success" in state["final_answer"]
    assert len(model.script) == 1


def test_invalid_output_is_echoed_as_a_short_excerpt(tools):
    model = ScriptedChatModel(script=[AIMessage("x" * 5000), plan(final="ok")])
    state = run(model, tools)
    echoed = next(m for m in state["messages"] if isinstance(m, AIMessage) and m.name == "planner")
    assert len(echoed.content) < 400
    assert "more characters" in echoed.content


def test_require_tools_refuses_a_first_answer_without_tools(tools):
    model = ScriptedChatModel(
        script=[plan(final="It is 30 C (made up)"), plan(step("w", "weather", {"city": "Rome"})), plan(final="ok")]
    )
    state = run(model, tools, require_tools=True)
    assert "this question needs a tool" in feedback(state)[0]
    assert state["step_results"]["w"]["status"] == "success"
    assert state["final_answer"] == "ok"


class _Failing(ScriptedChatModel):
    error: Exception | None = None

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        if self.error is not None:
            err, self.error = self.error, None
            self.seen.append(list(messages))
            raise err
        return super()._generate(messages, stop, run_manager, **kwargs)


def test_a_context_overflow_is_a_final_message_not_an_exception(tools):
    model = _Failing(script=[], error=ContextOverflowError("prompt is too long: 9000 tokens > 8192"))
    state = run(model, tools)
    assert "no longer fits the model's context window" in state["final_answer"]


class _HTTPError(Exception):
    def __init__(self, message, status_code):
        super().__init__(message)
        self.status_code = status_code


def test_a_schema_refusal_switches_mode_and_retries_once(tools):
    model = _Failing(
        script=[plan(step("a", "sha256", {"text": "q"})), plan(final="done")],
        error=_HTTPError("tool_choice / schema not supported by this server", 400),
    )
    with pytest.warns(RuntimeWarning, match="refused the plan schema in function_calling mode"):
        state = run(model, tools)
    assert state["final_answer"] == "done"
    assert len(model.seen) == 3  # the refused call, the retry, the next turn


def test_errors_are_classified():
    assert is_schema_refusal(_HTTPError("response_format json_schema: Input should be 'text' or 'json_object'", 500))
    assert not is_schema_refusal(_HTTPError("invalid api key", 401))
    assert not is_schema_refusal(ValueError("schema"))  # no HTTP status: not a provider's answer
    assert is_context_overflow(ValueError("Requested tokens (3000) exceed context window of 512"))


# -- the plan schema ---------------------------------------------------------------------------------------------
def test_the_plan_schema_admits_only_real_tools_with_their_arguments(tools):
    schema = plan_schema(list(tools.values()), max_steps=8)
    ok = {"reasoning": "", "final_answer": None, "steps": [step("s1", "weather", {"city": "Paris"})]}
    jsonschema.validate(ok, schema)
    ref = {**ok, "steps": [step("s2", "matmul", {"a": "${s1}", "b": [[1.0]]})]}
    jsonschema.validate(ref, schema)  # a reference wherever a value goes
    for bad in (
        {**ok, "steps": [step("s1", "multiply", {"a": 1})]},  # an invented tool
        {**ok, "steps": [step("s1", "weather", {})]},  # `{}` no longer passes
        {**ok, "steps": [step("s1", "weather", {"city": "Paris", "units": "kelvin"})]},
        {**ok, "steps": [step("s1", "matmul", {"a": "[[1]]", "b": [[1.0]]})]},  # a string that is not a reference
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_strict_schema_nulls_for_optionals_are_dropped(tools):
    params = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "units": {"type": "string"}},
        "required": ["city"],
    }
    assert drop_null_optionals({"city": "Rome", "units": None}, params) == {"city": "Rome"}
    strict = plan_schema([tools["weather"]], max_steps=2, dialect="openai")
    args = strict["properties"]["steps"]["items"]["properties"]["args"]
    assert args["required"] == ["city", "units"]
    assert {"type": "null"} in args["properties"]["units"]["anyOf"]


def test_reference_pattern_is_anchored():
    assert REFERENCE_PATTERN.startswith("^")
    assert REFERENCE_PATTERN.endswith("$")


def test_the_prompt_is_on_a_budget():
    tools = WasmToolkit.from_directory().get_tools()
    enforced = planner_prompt(tools, max_steps=8)
    assert "JSON Schema" not in enforced
    assert 'weather(city: string, units?: "metric"|"imperial") -> {city: string' in enforced  # output fields
    assert len(enforced) < 4600  # 4,256 characters for all seven guests (was 9,901 with the full schemas)
