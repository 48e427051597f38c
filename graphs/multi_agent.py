"""Two agents, each owning its own sandboxed Python session, exchanging data only through graph state.

The analyst agent computes statistics in its interpreter and writes them to ``state["analysis"]``; the host
copies that value into the reporter's workspace (``analysis.json``), and the reporter agent builds a report in
its own interpreter. Neither interpreter can see the other: "each agent owns its instance; communication goes
through the host" (the design's multi-agent rule).

    graph = build_multi_agent(analyst_model, reporter_model, checkpointer=...)
    graph.invoke({"task": "Summarize these sales", "data_csv": "month,units\\n..."}, {"configurable": {...}})

Served (``langgraph.json``: ``wasm_team``), the graph is built once at import: both agents use
``$LANGCHAIN_WASM_MODEL`` (a ``provider:model`` or ``llamacpp:`` spec), or, when it is unset or ``recorded``,
the recordings in ``recordings/team_*.json`` (offline). Each agent's session is saved in the server's store
under its own name, so the team's interpreters survive restarts like the single agent's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
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
    analyst_tool = WasmPythonTool(sandbox=sandbox, name="python", session_name="analyst")
    reporter_tool = WasmPythonTool(sandbox=sandbox, name="python", session_name="reporter")
    analyst = create_wasm_agent(analyst_model, [analyst_tool], approve=None, name="analyst")
    reporter = create_wasm_agent(reporter_model, [reporter_tool], approve=None, name="reporter")

    def run_analyst(state: TeamState, config: RunnableConfig) -> dict[str, Any]:
        thread = str((config.get("configurable") or {}).get("thread_id", "team"))
        session, _ = analyst_tool.session_for(thread, _store(config))
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
        session, _ = reporter_tool.session_for(thread, _store(config))
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


def _store(config: RunnableConfig) -> Any:
    """The run's store (LangGraph Server's, or ``compile(store=...)``'s), where the sessions are saved."""
    conf = config.get("configurable") or {}
    return getattr(conf.get("__pregel_runtime"), "store", None) or conf.get("__pregel_store")


def _build_served() -> Any:
    from langchain_wasm.chat_models.specs import chat_model_from_spec, load_recording

    spec = os.environ.get("LANGCHAIN_WASM_MODEL", "").strip()
    if spec in ("", "recorded"):
        here = Path(__file__).parent / "recordings"
        analyst, reporter = load_recording(here / "team_analyst.json"), load_recording(here / "team_reporter.json")
    else:
        analyst, reporter = chat_model_from_spec(spec), chat_model_from_spec(spec)
    return build_multi_agent(analyst, reporter)


_SERVED = _build_served()  # at import: the server imports graphs on a worker thread, outside its event loop


def make_graph() -> Any:  # the LangGraph CLI entry point, called per run in the event loop: no work here
    return _SERVED
