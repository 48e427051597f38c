"""Two agents, each owning its own sandboxed Python session, exchanging data only through graph state.

The analyst agent computes statistics in its interpreter and writes them to ``state["analysis"]``; the host
copies that value into the reporter's workspace (``analysis.json``), and the reporter agent builds a report in
its own interpreter. Neither interpreter can see the other: "each agent owns its instance; communication goes
through the host" (the design's multi-agent rule).

    graph = build_multi_agent(analyst_model, reporter_model, checkpointer=...)
    graph.invoke({"task": "Summarize these sales", "data_csv": "month,units\\n..."}, {"configurable": {...}})
"""

from __future__ import annotations

import json
import os
from typing import Any, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph

from langchain_wasm.graph import create_wasm_agent
from langchain_wasm.python import WasmPythonSandbox
from langchain_wasm.python.tool import WasmPythonTool


class TeamState(TypedDict, total=False):
    task: str
    data_csv: str
    analysis: Any
    report: str


def build_multi_agent(
    analyst_model: BaseChatModel,
    reporter_model: BaseChatModel,
    *,
    checkpointer: Any = None,
    sandbox: WasmPythonSandbox | None = None,
) -> Any:
    """A two-agent graph: ``analyst`` then ``reporter``, each with its own Python tool (own sessions)."""
    sandbox = sandbox or WasmPythonSandbox()
    analyst_tool = WasmPythonTool(sandbox=sandbox, name="python")
    reporter_tool = WasmPythonTool(sandbox=sandbox, name="python")
    analyst = create_wasm_agent(analyst_model, [analyst_tool], approve=None, name="analyst")
    reporter = create_wasm_agent(reporter_model, [reporter_tool], approve=None, name="reporter")

    def run_analyst(state: TeamState, config: RunnableConfig) -> dict[str, Any]:
        thread = str((config.get("configurable") or {}).get("thread_id", "team"))
        session, _ = analyst_tool.session_for(thread)
        session.put_file("data.csv", state["data_csv"])  # the host hands the input over
        out = analyst.invoke(
            {
                "messages": [
                    HumanMessage(f"{state['task']}\nThe data is in data.csv. Answer with the statistics as JSON.")
                ]
            },
            config,
        )
        answer = out.get("final_answer") or ""
        try:
            analysis: Any = json.loads(answer)
        except json.JSONDecodeError:
            analysis = answer
        return {"analysis": analysis}

    def run_reporter(state: TeamState, config: RunnableConfig) -> dict[str, Any]:
        thread = str((config.get("configurable") or {}).get("thread_id", "team"))
        session, _ = reporter_tool.session_for(thread)
        session.put_file("analysis.json", json.dumps(state["analysis"]))  # state -> the reporter's workspace
        out = reporter.invoke(
            {"messages": [HumanMessage("Write a short report of the statistics in analysis.json.")]}, config
        )
        return {"report": out.get("final_answer") or ""}

    graph = StateGraph(TeamState)
    graph.add_node("analyst", run_analyst)
    graph.add_node("reporter", run_reporter)
    graph.add_edge(START, "analyst")
    graph.add_edge("analyst", "reporter")
    graph.add_edge("reporter", END)
    return graph.compile(checkpointer=checkpointer, name="wasm_team")


def make_graph() -> Any:  # the LangGraph CLI entry point
    from langchain.chat_models import init_chat_model

    spec = os.environ.get("LANGCHAIN_WASM_MODEL")
    if not spec:
        raise RuntimeError("set LANGCHAIN_WASM_MODEL=provider:model to serve the multi-agent graph")
    return build_multi_agent(init_chat_model(spec), init_chat_model(spec))
