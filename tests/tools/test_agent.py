"""Guest tools inside real agents: langchain's create_agent and LangGraph's ToolNode, driven by a scripted
tool-calling model (the code paths a real model drives)."""

from __future__ import annotations

import hashlib
import json

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from langchain_wasm import WasmTool
from langchain_wasm.tools import WasmToolArgumentError, WasmToolGuestError
from tests.guests.conftest import GUESTS
from tests.guests.test_weather import reference
from tests.tools.scripted import ScriptedChatModel, call


@pytest.fixture(scope="module")
def tools():
    return {name: WasmTool.from_manifest(GUESTS / name) for name in ("weather", "sha256", "matmul")}


def test_agent_calls_two_guest_tools_and_answers(tools):
    model = ScriptedChatModel(
        script=[
            AIMessage(
                "",
                tool_calls=[
                    call("weather", {"city": "Tokyo", "units": "imperial"}, "c1"),
                    call("sha256", {"text": "langchain-wasm"}, "c2"),
                ],
            ),
            AIMessage("It is warm in Tokyo and I have your hash."),
        ]
    )
    agent = create_agent(model, [tools["weather"], tools["sha256"]])
    state = agent.invoke({"messages": [("user", "Weather in Tokyo in F, and sha256 of langchain-wasm?")]})
    results = {m.tool_call_id: m for m in state["messages"] if isinstance(m, ToolMessage)}
    assert json.loads(results["c1"].content) == reference("Tokyo", "imperial")
    assert results["c2"].content == hashlib.sha256(b"langchain-wasm").hexdigest()
    assert results["c1"].artifact["metrics"]["fuel_used"] > 0
    assert state["messages"][-1].content == "It is warm in Tokyo and I have your hash."
    names = {t["function"]["name"] for t in model.bound_tools}
    assert names == {"weather", "sha256"}
    weather_params = next(t for t in model.bound_tools if t["function"]["name"] == "weather")["function"]["parameters"]
    assert weather_params["properties"]["units"]["enum"] == ["metric", "imperial"]


def test_agent_recovers_from_bad_arguments_and_guest_errors(tools):
    model = ScriptedChatModel(
        script=[
            AIMessage("", tool_calls=[call("weather", {"city": 42}, "bad-args")]),
            AIMessage("", tool_calls=[call("weather", {"city": "Atlantis"}, "unknown-city")]),
            AIMessage("", tool_calls=[call("matmul", {"a": [[1, 2, 3]], "b": [[1, 2]]}, "bad-dims")]),
            AIMessage("", tool_calls=[call("weather", {"city": "Paris"}, "good")]),
            AIMessage("Paris it is."),
        ]
    )
    agent = create_agent(model, [tools["weather"], tools["matmul"]])
    state = agent.invoke({"messages": [("user", "weather?")]})
    results = {m.tool_call_id: m for m in state["messages"] if isinstance(m, ToolMessage)}
    assert results["bad-args"].status == "error"
    assert "Invalid arguments for weather" in results["bad-args"].content
    assert "city" in results["bad-args"].content
    assert results["unknown-city"].status == "error"
    assert "Atlantis" in results["unknown-city"].content
    assert "Paris" in results["unknown-city"].content  # the known cities, so the model can retry
    assert "columns of a must equal the number of rows of b" in results["bad-dims"].content
    assert json.loads(results["good"].content) == reference("Paris")
    # the model saw each error before its next move
    assert any(isinstance(m, ToolMessage) and "Atlantis" in m.content for m in model.seen[2])


def test_tool_node_handles_raised_tool_exceptions():
    strict = WasmTool.from_manifest(GUESTS / "weather", handle_tool_error=False)
    with pytest.raises(WasmToolGuestError, match="Atlantis"):
        strict.invoke({"city": "Atlantis"})
    with pytest.raises(WasmToolArgumentError, match="city"):
        strict.invoke({"city": 7})
    graph = StateGraph(MessagesState)
    graph.add_node("tools", ToolNode([strict], handle_tool_errors=True))
    graph.add_edge(START, "tools")
    out = graph.compile().invoke({"messages": [AIMessage("", tool_calls=[call("weather", {"city": "Atlantis"}, "x")])]})
    msg = out["messages"][-1]
    assert msg.status == "error"
    assert "Atlantis" in msg.content


def test_tool_call_schema_is_provider_ready(tools):
    from langchain_core.utils.function_calling import convert_to_openai_tool

    for tool in tools.values():
        spec = convert_to_openai_tool(tool)["function"]
        assert spec["description"]
        params = spec["parameters"]
        assert params["type"] == "object"
        assert set(params["required"]) <= set(params["properties"])
        assert all(p.get("description") for p in params["properties"].values()), spec["name"]
