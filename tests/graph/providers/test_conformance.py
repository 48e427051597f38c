"""The real provider client libraries build their real requests for the agent's plan schema; a recording server
on 127.0.0.1 keeps each body and answers in the provider's wire format. Each body is checked against that
provider's documented structured-output rules (cited per test), and the real agent graph runs end to end.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from langchain_wasm import WasmTool
from langchain_wasm.graph import create_wasm_agent
from tests.graph.providers.recorder import (
    anthropic_tool_use,
    gemini_text,
    ollama_text,
    openai_text,
    recording_server,
)
from tests.guests.conftest import GUESTS

pytest.importorskip("langchain_openai")
TOOLS = ("weather", "sha256", "matmul", "text_stats", "quadratic_component", "typed_component")
PLAN = {
    "reasoning": "look it up",
    "steps": [{"id": "s1", "tool": "weather", "args": {"city": "Paris", "units": None}, "depends_on": []}],
    "final_answer": None,
}
FINAL = {"reasoning": "done", "steps": [], "final_answer": "It is ${s1.temperature} C in Paris."}


@pytest.fixture(scope="module")
def tools():
    return [WasmTool.from_manifest(GUESTS / n) for n in TOOLS]


def schemas(node: Any) -> Iterator[dict[str, Any]]:
    """Every (sub)schema in a JSON Schema."""
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
                for sub in value.values():
                    yield from schemas(sub)
            elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
                yield from schemas(value)
            elif key in ("anyOf", "oneOf", "allOf", "prefixItems") and isinstance(value, list):
                for sub in value:
                    yield from schemas(sub)


def step_tools(schema: dict[str, Any]) -> set[str]:
    """The tool names the steps' variants allow (each variant's ``tool`` is a one-value enum)."""
    items = schema["properties"]["steps"]["items"]
    variants = items.get("anyOf", [items])
    return {v["properties"]["tool"]["enum"][0] for v in variants}


def run_agent(model, tools) -> dict[str, Any]:
    app = create_wasm_agent(model, tools)
    return app.invoke({"messages": [HumanMessage("How warm is it in Paris?")]})


# -- OpenAI ----------------------------------------------------------------------------------------------------
# https://platform.openai.com/docs/guides/structured-outputs#supported-schemas : "all fields must be required",
# "additionalProperties: false must always be set in objects", the root must be an object (not anyOf), and only
# the listed keywords are supported (string: pattern, format; number: multipleOf, maximum, exclusiveMaximum,
# minimum, exclusiveMinimum; array: minItems, maxItems; plus anyOf, enum, const, $defs/$ref, description).
# Optional fields are emulated with a union with "null". Strict function calling (tools[].function.strict)
# follows the same rules: https://platform.openai.com/docs/guides/function-calling#strict-mode
OPENAI_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items", "anyOf", "enum", "const", "description",
    "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems",
    "maxItems", "$defs", "$ref", "title",
}  # fmt: skip


def assert_openai_strict(schema: dict[str, Any]) -> None:
    assert schema["type"] == "object"
    assert "anyOf" not in schema
    for sub in schemas(schema):
        assert set(sub) <= OPENAI_KEYWORDS, set(sub) - OPENAI_KEYWORDS
        if sub.get("type") == "object":
            assert sub.get("additionalProperties") is False, sub
            assert sorted(sub.get("required", [])) == sorted(sub.get("properties", {})), sub
        if sub.get("type") == "array":
            assert isinstance(sub.get("items"), dict), sub
        assert "type" in sub or "anyOf" in sub or "$ref" in sub or "enum" in sub, sub


def test_openai_json_schema_is_strict_and_runs(tools):
    from langchain_openai import ChatOpenAI

    with recording_server([openai_text(json.dumps(PLAN)), openai_text(json.dumps(FINAL))]) as rec:
        model = ChatOpenAI(model="gpt-4.1-mini", base_url=rec.url + "/v1", api_key="sk-test", max_retries=0)
        state = run_agent(model, tools)
    first = rec.bodies("/chat/completions")[0]
    fmt = first["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["strict"] is True
    assert_openai_strict(fmt["json_schema"]["schema"])
    assert step_tools(fmt["json_schema"]["schema"]) == set(TOOLS)
    # The plan schema is enforced, so the prompt does not print it (prompt budget).
    assert "JSON Schema" not in first["messages"][0]["content"]
    assert state["step_results"]["s1"]["status"] == "success"  # the null for `units` was dropped
    assert state["final_answer"] == "It is 18.5 C in Paris."


def test_openai_strict_function_calling_accepts_the_schema(tools):
    from langchain_openai import ChatOpenAI

    from langchain_wasm.graph.plan_schema import plan_schema

    schema = plan_schema(tools, max_steps=8, dialect="openai")
    call = {"id": "c1", "type": "function", "function": {"name": "Plan", "arguments": json.dumps(PLAN)}}
    reply = openai_text("")
    reply[1]["choices"][0]["message"] = {"role": "assistant", "content": None, "tool_calls": [call]}
    with recording_server([reply]) as rec:
        model = ChatOpenAI(model="gpt-4.1-mini", base_url=rec.url + "/v1", api_key="sk-test", max_retries=0)
        spec = {"name": "Plan", "description": "a plan", "parameters": schema}
        out = model.with_structured_output(spec, method="function_calling", strict=True).invoke("plan")
    (body,) = rec.bodies()
    function = body["tools"][0]["function"]
    assert function["strict"] is True
    assert_openai_strict(function["parameters"])
    assert out["steps"][0]["tool"] == "weather"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        # llama.cpp's OpenAI-compatible server (llama-cpp-python) on a json_schema response_format
        (
            500,
            {"error": {"message": "1 validation error: response_format.type Input should be 'text' or 'json_object'"}},
        ),
        (
            400,
            {"error": {"message": "Invalid schema for response_format 'Plan': ...", "type": "invalid_request_error"}},
        ),
    ],
)
def test_openai_refusing_the_schema_falls_back_with_one_warning(tools, status, error):
    from langchain_openai import ChatOpenAI

    replies = [(status, error), openai_text(json.dumps(PLAN)), openai_text(json.dumps(FINAL))]
    with recording_server(replies) as rec, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ChatOpenAI(model="local", base_url=rec.url + "/v1", api_key="sk-test", max_retries=0)
        state = run_agent(model, tools)
    ours = [w for w in caught if "refused the plan schema" in str(w.message)]
    assert len(ours) == 1, [str(w.message) for w in caught]
    assert "json_object_schema" in str(ours[0].message)
    bodies = rec.bodies("/chat/completions")
    assert bodies[0]["response_format"]["type"] == "json_schema"
    # next mode: json_object with the schema (llama.cpp / vLLM turn it into a grammar), kept for the next turn
    assert [b["response_format"]["type"] for b in bodies[1:]] == ["json_object", "json_object"]
    assert step_tools(bodies[1]["response_format"]["schema"]) == set(TOOLS)
    assert state["final_answer"] == "It is 18.5 C in Paris."


def test_openai_context_overflow_is_a_final_message(tools):
    from langchain_openai import ChatOpenAI

    overflow = (
        400,
        {"error": {"message": "This model's maximum context length is 8192 tokens", "code": "context_length_exceeded"}},
    )
    with recording_server([overflow]) as rec:
        model = ChatOpenAI(model="gpt-4.1-mini", base_url=rec.url + "/v1", api_key="sk-test", max_retries=0)
        state = run_agent(model, tools)
    assert "no longer fits the model's context window" in state["final_answer"]


# -- Anthropic -------------------------------------------------------------------------------------------------
# https://docs.anthropic.com/en/docs/build-with-claude/tool-use : a tool is {name, description, input_schema};
# name matches ^[a-zA-Z0-9_-]{1,64}$; input_schema is a JSON Schema object (type "object"). Forcing the tool:
# tool_choice {"type": "tool", "name": ...}.
def test_anthropic_forced_tool_use(tools):
    pytest.importorskip("langchain_anthropic")
    from langchain_anthropic import ChatAnthropic

    replies = [anthropic_tool_use("Plan", PLAN), anthropic_tool_use("Plan", FINAL)]
    with recording_server(replies) as rec:
        model = ChatAnthropic(model="claude-sonnet-4-5", base_url=rec.url, api_key="sk-ant-test", max_retries=0)
        state = run_agent(model, tools)
    body = rec.bodies("/v1/messages")[0]
    (tool,) = body["tools"]
    assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", tool["name"])
    assert tool["input_schema"]["type"] == "object"
    assert step_tools(tool["input_schema"]) == set(TOOLS)
    assert body["tool_choice"]["type"] in ("tool", "any")
    assert state["final_answer"] == "It is 18.5 C in Paris."


# -- Google Gemini ---------------------------------------------------------------------------------------------
# https://ai.google.dev/gemini-api/docs/structured-output : generationConfig.responseMimeType
# "application/json" with responseJsonSchema, a subset of JSON Schema: type, properties, required,
# additionalProperties, items, prefixItems, minItems, maxItems, enum, format, minimum, maximum, anyOf, $ref,
# $defs, title, description (others, e.g. pattern or oneOf, are not supported).
GEMINI_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items", "prefixItems", "minItems", "maxItems",
    "enum", "format", "minimum", "maximum", "anyOf", "$ref", "$defs", "title", "description", "nullable",
    "minLength", "maxLength",
}  # fmt: skip


def test_gemini_response_json_schema(tools):
    pytest.importorskip("langchain_google_genai")
    from langchain_google_genai import ChatGoogleGenerativeAI

    with recording_server([gemini_text(json.dumps(PLAN)), gemini_text(json.dumps(FINAL))]) as rec:
        model = ChatGoogleGenerativeAI(model="gemini-2.5-flash", api_key="test-key", base_url=rec.url, max_retries=0)
        state = run_agent(model, tools)
    body = rec.bodies("generateContent")[0]
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    schema = config.get("responseJsonSchema") or config.get("responseSchema")
    for sub in schemas(schema):
        assert set(sub) <= GEMINI_KEYWORDS, set(sub) - GEMINI_KEYWORDS
    assert step_tools(schema) == set(TOOLS)
    assert state["final_answer"] == "It is 18.5 C in Paris."


# -- Ollama (and llama.cpp's grammar) ----------------------------------------------------------------------------
# https://docs.ollama.com/capabilities/structured-outputs : "format" carries the JSON Schema; Ollama turns it
# into a llama.cpp grammar. llama.cpp's json-schema-to-grammar (grammars/README.md, "JSON Schemas -> GBNF")
# supports patterns only when anchored "^...$" (an unanchored one drops the constraints).
def test_ollama_format_schema_has_only_anchored_patterns(tools):
    pytest.importorskip("langchain_ollama")
    from langchain_ollama import ChatOllama

    with recording_server([ollama_text(json.dumps(PLAN)), ollama_text(json.dumps(FINAL))]) as rec:
        model = ChatOllama(model="llama3.2", base_url=rec.url)
        state = run_agent(model, tools)
    body = rec.bodies("/api/chat")[0]
    schema = body["format"]
    assert isinstance(schema, dict)
    for sub in schemas(schema):
        if "pattern" in sub:
            assert re.fullmatch(r"\^.*\$", sub["pattern"]), sub["pattern"]
    assert step_tools(schema) == set(TOOLS)
    assert state["final_answer"] == "It is 18.5 C in Paris."


def test_guest_schema_patterns_are_anchored():
    for path in GUESTS.glob("*/*.schema.json"):
        for sub in schemas(json.loads(path.read_text())):
            if "pattern" in sub:
                assert re.fullmatch(r"\^.*\$", sub["pattern"]), (path, sub["pattern"])
