"""Approvals a human can trust: a recorded decision holds whatever graph or process resumes; LangChain v1's
human-in-the-loop request and decisions (approve / edit / reject); the older resume forms still work."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from langchain_wasm import WasmTool
from langchain_wasm.graph import create_wasm_agent
from tests.guests.conftest import GUESTS
from tests.tools.scripted import ScriptedChatModel

ROOT = Path(__file__).resolve().parents[2]
PLAN = {
    "reasoning": "r",
    "steps": [
        {"id": "w", "tool": "weather", "args": {"city": "Lagos"}},
        {"id": "h", "tool": "sha256", "args": {"text": "${w.city}"}},
        {"id": "x", "tool": "sha256", "args": {"text": "free"}},
    ],
}
FINAL = {"reasoning": "done", "steps": [], "final_answer": "finished"}


@pytest.fixture(scope="module")
def tools():
    return [WasmTool.from_manifest(GUESTS / n) for n in ("weather", "sha256")]


def _model():
    return ScriptedChatModel(script=[AIMessage(json.dumps(PLAN)), AIMessage(json.dumps(FINAL))])


def _paused(tools, saver, **kwargs):
    app = create_wasm_agent(_model(), tools, checkpointer=saver, approve={"weather"}, **kwargs)
    config = {"configurable": {"thread_id": "a"}}
    app.invoke({"messages": [HumanMessage("go")]}, config)
    return app, config


def test_the_request_speaks_langchains_hitl_format(tools):
    app, config = _paused(tools, InMemorySaver())
    (intr,) = app.get_state(config).interrupts
    value = intr.value
    assert value["action_requests"] == [
        {"name": "weather", "args": {"city": "Lagos"}, "description": value["action_requests"][0]["description"]}
    ]
    assert value["review_configs"] == [{"action_name": "weather", "allowed_decisions": ["approve", "edit", "reject"]}]
    assert [s["id"] for s in value["steps"]] == ["w"]
    assert app.get_state(config).values["step_results"]["w"]["status"] == "awaiting_approval"


@pytest.mark.parametrize("policy", ["auto", None, {"sha256"}])
def test_a_rejection_holds_when_a_graph_with_another_policy_resumes(tools, policy):
    saver = InMemorySaver()
    _paused(tools, saver)
    # The bug: a graph built with the default policy never asked, so the rejected step ran.
    other = create_wasm_agent(_model(), tools, checkpointer=saver, approve=policy)
    config = {"configurable": {"thread_id": "a"}}
    final = other.invoke(Command(resume=False), config)
    res = final["step_results"]
    assert res["w"]["status"] == "rejected"
    assert res["w"]["result"] is None
    assert res["h"]["status"] == "skipped"
    assert final["approvals"]["w"] is False


def test_hitl_reject_with_a_message_reaches_the_model(tools):
    app, config = _paused(tools, InMemorySaver())
    final = app.invoke(Command(resume={"decisions": [{"type": "reject", "message": "not Lagos"}]}), config)
    msg = next(m for m in final["messages"] if isinstance(m, ToolMessage) and m.tool_call_id == "w")
    assert msg.status == "error"
    assert "not Lagos" in msg.content
    assert final["step_results"]["w"]["status"] == "rejected"


def test_hitl_edit_changes_the_arguments_before_the_step_runs(tools):
    app, config = _paused(tools, InMemorySaver())
    edit = {"type": "edit", "edited_action": {"name": "weather", "args": {"city": "Tokyo"}}}
    final = app.invoke(Command(resume={"decisions": [edit]}), config)
    res = final["step_results"]
    assert res["w"]["status"] == "success"
    assert res["w"]["result"]["city"] == "Tokyo"
    assert res["h"]["args"] == {"text": "Tokyo"}  # the dependent step read the edited step's result
    assert res["w"]["args"] == {"city": "Tokyo"}


def test_an_edit_that_changes_the_tool_is_a_rejection(tools):
    app, config = _paused(tools, InMemorySaver())
    edit = {"type": "edit", "edited_action": {"name": "sha256", "args": {"text": "x"}}}
    final = app.invoke(Command(resume={"decisions": [edit]}), config)
    assert final["step_results"]["w"]["status"] == "rejected"


@pytest.mark.parametrize("answer", ["maybe", 42, {"decisions": []}, {"w": "nope"}])
def test_anything_but_a_yes_rejects(tools, answer):
    app, config = _paused(tools, InMemorySaver())
    final = app.invoke(Command(resume=answer), config)
    assert final["step_results"]["w"]["status"] == "rejected"


@pytest.mark.parametrize(
    "answer", [True, "approve", {"approve": ["w"]}, {"w": True}, {"decisions": [{"type": "approve"}]}]
)
def test_approvals_in_every_accepted_form(tools, answer):
    app, config = _paused(tools, InMemorySaver())
    final = app.invoke(Command(resume=answer), config)
    assert {k: v["status"] for k, v in final["step_results"].items()} == {
        "w": "success",
        "h": "success",
        "x": "success",
    }
    assert final["approvals"] == {"w": True}


def test_a_rejection_holds_across_processes_through_the_cli(tmp_path):
    """`--approve ask` pauses; `--resume reject` in a new process (default policy) must not run the steps."""
    db = tmp_path / "t.sqlite"
    cli = "import sys; from langchain_wasm.cli import main; sys.exit(main(sys.argv[1:]))"
    base = [sys.executable, "-c", cli, "agent", "--db", str(db), "--thread", "t"]
    first = subprocess.run(
        [*base, "--approve", "ask"], cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    assert first.returncode == 5, first.stdout + first.stderr[-2000:]
    second = subprocess.run(
        [*base, "--resume", "reject"], cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    assert second.returncode in (0, 1), second.stderr[-2000:]
    saver = SqliteSaver(sqlite3.connect(db, check_same_thread=False))
    state = saver.get_tuple({"configurable": {"thread_id": "t"}})
    assert state is not None
    results = state.checkpoint["channel_values"].get("step_results") or {}
    statuses = {k: v["status"] for k, v in results.items()}
    assert statuses, second.stdout
    assert set(statuses.values()) <= {"rejected", "skipped"}, statuses
