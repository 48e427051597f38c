"""A real local model drives the agent end to end (SmolLM2-135M-Instruct through llama.cpp, in process and through
its OpenAI-compatible server). The model is far too small to plan well, so this checks the plumbing: under the
constrained plan schema every answer parses as a plan of real tools (no repair is ever caused by an unknown tool
or malformed JSON), its steps run in the sandboxes, and the parameters come from the GGUF file.

Run with ``make test-llm`` (it builds llama-cpp-python first, ~12-20 minutes).
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from langchain_wasm import WasmTool
from langchain_wasm.graph import create_wasm_agent
from tests.guests.conftest import GUESTS
from tests.llm.local import gguf_path, llama_server, require_llm

QUESTIONS = [
    "What is the weather in Paris?",
    "Compute the SHA-256 hash of the text 'hello'.",
    "How warm is it in Tokyo in Fahrenheit?",
]
# Under the grammar these cannot happen. "invalid JSON" still can: an answer cut off at max_tokens (a string
# argument the model never closes); it is counted and printed, not hidden.
FORMAT_PROBLEMS = ("unknown tool", "contains no JSON object", "does not follow the plan schema")


@pytest.fixture(scope="module")
def gguf():
    require_llm()
    return gguf_path()


@pytest.fixture(scope="module")
def tools():
    return [WasmTool.from_manifest(GUESTS / n) for n in ("weather", "sha256", "text_stats")]


def ask(model: Any, tools: list[WasmTool], question: str) -> tuple[dict[str, Any], Any]:
    app = create_wasm_agent(model, tools, max_iterations=2, max_repairs=2, require_tools=True)
    return app.invoke({"messages": [HumanMessage(question)]}), app


def check_plumbing(state: dict[str, Any]) -> int:
    """Every repair is about content (never format); every step of every accepted plan ran. Returns steps run."""
    feedback = [m.content for m in state["messages"] if getattr(m, "name", None) == "validator"]
    for text in feedback:
        assert not any(p in text for p in FORMAT_PROBLEMS), text
    cut = sum("invalid JSON" in text for text in feedback)
    print(f"repairs: {len(feedback)}, of them answers cut off at max_tokens: {cut}")
    assert state.get("final_answer"), "the graph always ends with an answer"
    plans = [m for m in state["messages"] if isinstance(m, AIMessage) and m.tool_calls]
    results = [m for m in state["messages"] if m.type == "tool"]
    for plan in plans:  # every accepted plan's steps ran (or were skipped for a failed dependency)
        assert {c["id"] for c in plan.tool_calls} <= {r.tool_call_id for r in results}
    return len(results)


def test_parameters_come_from_the_gguf(gguf):
    from langchain_wasm.chat_models.llamacpp import ChatLlamaCpp, gguf_parameters

    params = gguf_parameters(str(gguf))
    assert params["rope_freq_base"] == 100000.0  # langchain-community's ChatLlamaCpp hard-codes 10000
    assert params["context_length"] == 8192
    model = ChatLlamaCpp(model_path=str(gguf))
    assert model.n_ctx == 8192
    assert model.n_batch == 512
    assert model._model().context_params.rope_freq_base == 100000.0


def test_in_process_model_plans_only_real_tools(gguf, tools):
    from langchain_wasm.chat_models.llamacpp import ChatLlamaCpp

    model = ChatLlamaCpp(model_path=str(gguf), max_tokens=768)
    ran = 0
    for question in QUESTIONS:
        state, _ = ask(model, tools, question)
        ran += check_plumbing(state)
    print(f"in process: {ran} step results over {len(QUESTIONS)} questions")  # the 135M model often plans none


def test_openai_compatible_server_falls_back_to_a_grammar(gguf, tools):
    from langchain_openai import ChatOpenAI

    with llama_server(gguf, n_ctx=8192) as base_url:
        model = ChatOpenAI(
            model="smollm2", base_url=base_url, api_key="none", temperature=0, max_tokens=768, max_retries=0
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ran = 0
            for question in QUESTIONS[:2]:
                state, _ = ask(model, tools, question)
                ran += check_plumbing(state)
    ours = [str(w.message) for w in caught if "refused the plan schema" in str(w.message)]
    # llama.cpp's server answers json_schema with HTTP 500; the planner switches once (one warning per graph).
    assert ours
    assert all("json_object_schema" in w for w in ours)
    print(f"server: {ran} step results")


def test_every_plan_schema_converts_to_a_llama_cpp_grammar(gguf):
    """llama-cpp-python silently falls back to unconstrained JSON when its converter refuses a schema (e.g. an
    unanchored pattern): convert the agent's schema for all shipped guests with the real converter."""
    from llama_cpp.llama_grammar import LlamaGrammar

    from langchain_wasm import WasmToolkit
    from langchain_wasm.graph.plan_schema import plan_schema

    tools = WasmToolkit.from_directory().get_tools()
    grammar = LlamaGrammar.from_json_schema(json.dumps(plan_schema(tools, max_steps=8, dialect="grammar")))
    assert grammar is not None
    weather = next(t for t in tools if t.name == "weather")
    city = weather.guest.input_schema["properties"]["city"]
    LlamaGrammar.from_json_schema(json.dumps({"type": "string", "pattern": city["pattern"]}))
    with pytest.raises((ValueError, AssertionError, RuntimeError)):
        LlamaGrammar.from_json_schema(json.dumps({"type": "string", "pattern": "\\S"}))  # why guests anchor
