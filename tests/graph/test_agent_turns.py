"""A thread with several turns: each new user message after a final answer gets a fresh plan, executed, with
its own round budget (the previous turn's answer and rounds do not end the new turn early)."""

from __future__ import annotations

import json

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from langchain_wasm import WasmTool
from langchain_wasm.graph import create_wasm_agent
from tests.guests.conftest import GUESTS
from tests.tools.scripted import ScriptedChatModel


def _plan(steps=(), final=None):
    return AIMessage(json.dumps({"reasoning": "r", "steps": list(steps), "final_answer": final}))


def test_second_turn_runs_its_plan_with_a_fresh_round_budget():
    weather = WasmTool.from_manifest(GUESTS / "weather")
    script = []
    for city in ("Paris", "Stockholm", "Cairo"):
        script += [_plan([{"id": "w", "tool": "weather", "args": {"city": city}}]), _plan(final=f"{city} ${{w.city}}")]
    app = create_wasm_agent(ScriptedChatModel(script=script), [weather], checkpointer=InMemorySaver(), max_iterations=2)
    config = {"configurable": {"thread_id": "turns"}}
    for city in ("Paris", "Stockholm", "Cairo"):
        out = app.invoke({"messages": [HumanMessage(f"weather in {city}")]}, config)
        assert out["step_results"]["w"]["status"] == "success"
        assert out["step_results"]["w"]["args"] == {"city": city}
        assert out["final_answer"] == f"{city} {city}"
        assert out["iteration"] == 1
