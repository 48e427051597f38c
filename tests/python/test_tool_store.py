"""WasmPythonTool sessions kept in a LangGraph store: continued by another tool instance, a rebuilt graph or a
new process, and a session that is really lost is reported to the model."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import textwrap

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.memory import InMemoryStore

from langchain_wasm import Limits, WasmPythonSandbox, WasmPythonTool
from langchain_wasm.python.persist import SessionStore
from tests.tools.scripted import ScriptedChatModel, call

MIB = 1024 * 1024


def _call(tool, code, thread="t", store=None):
    configurable = {"thread_id": thread}
    if store is not None:
        configurable["__pregel_store"] = store
    return tool.invoke(
        {"type": "tool_call", "id": "c1", "name": tool.name, "args": {"code": code}},
        config={"configurable": configurable},
    )


@pytest.fixture
def tools(sandbox):
    made = []

    def make(**kwargs):
        tool = WasmPythonTool(sandbox=sandbox, **kwargs)
        made.append(tool)
        return tool

    yield make
    for tool in made:
        tool.close()


def test_another_instance_continues_the_session(tools):
    store = InMemoryStore()
    a, b = tools(session_store=store), tools(session_store=store)
    assert _call(a, "x = 41").content == "[no output]"
    assert _call(b, "x + 1").content == "42"  # b never saw x: restored from the store
    assert _call(b, "x = 100").status == "success"
    assert _call(a, "x").content == "100"  # a's live session was stale: the store's newer state wins
    msg = _call(a, "x")
    assert msg.artifact["session"]["snapshot"].startswith("sha256:")
    assert SessionStore(store).record("t:python").digest == msg.artifact["session"]["snapshot"]


def test_the_runs_store_is_used_and_tools_are_kept_apart(tools):
    store = InMemoryStore()
    first, second = tools(), tools(session_name="other")
    _call(first, "who = 'first'", store=store)
    _call(second, "who = 'second'", store=store)
    assert _call(tools(), "who", store=store).content == "'first'"
    assert _call(tools(session_name="other"), "who", store=store).content == "'second'"
    assert _call(tools(), "who").content.endswith("NameError: name 'who' is not defined")  # no store: fresh


def test_a_tampered_snapshot_is_reported_to_the_model(tools):
    store = InMemoryStore()
    _call(tools(session_store=store), "data = [1, 2, 3]")
    for item in store.search(("langchain_wasm", "python_sessions", "chunks"), limit=100):
        raw = bytearray(base64.b64decode(item.value["data"]))
        raw[100] ^= 1
        store.put(item.namespace, item.key, {"data": base64.b64encode(bytes(raw)).decode()})
    msg = _call(tools(session_store=store), "data")
    assert msg.content.startswith("[note: the previous Python session could not be restored (")
    assert "does not match its digest" in msg.content
    assert "earlier variables are gone" in msg.content
    assert "NameError" in msg.content


def test_a_session_ended_by_a_limit_is_reported_in_another_process(runtime):
    store = InMemoryStore()
    # 2 s: room for the legitimate cells (and a restore) on a loaded machine; the endless one ends there
    sb = WasmPythonSandbox(limits=Limits(timeout_s=2, fuel=None, memory_bytes=256 * MIB), quiet=True)
    a, b = WasmPythonTool(sandbox=sb, session_store=store), WasmPythonTool(sandbox=sb, session_store=store)
    try:
        _call(a, "kept = 1")
        assert _call(a, "while True:\n    pass").status == "error"
        msg = _call(b, "kept")
        assert msg.content.startswith("[note: the previous Python session had ended (")
        assert "NameError" in msg.content
        assert _call(b, "kept = 2").status == "success"
        assert _call(a, "kept").content == "2"  # the new session is the thread's again, for everyone
    finally:
        a.close()
        b.close()
        sb.close()


def test_a_session_too_large_to_save_keeps_running_here_and_says_so(tools):
    store = InMemoryStore()
    tool = tools(session_store=SessionStore(store, max_bytes=1000))
    msg = _call(tool, "v = 5")
    assert "too large to keep" in msg.content
    assert _call(tool, "v").content.endswith("5")  # still alive in this process
    ended = SessionStore(store).record("t:python")
    assert ended.digest is None
    assert "could not be saved" in ended.ended


def test_a_rebuilt_agent_graph_continues_the_session_through_its_store(tools):
    store, saver = InMemoryStore(), InMemorySaver()
    config = {"configurable": {"thread_id": "agent"}}

    def agent(script):
        model = ScriptedChatModel(script=script)
        return create_agent(model, [tools()], checkpointer=saver, store=store)

    first = agent(
        [
            AIMessage(
                "", tool_calls=[call("python", {"code": "import pandas as pd\ndf = pd.DataFrame({'v': [1, 2]})"}, "a")]
            ),
            AIMessage("Loaded."),
        ]
    )
    first.invoke({"messages": [("user", "load it")]}, config)
    second = agent([AIMessage("", tool_calls=[call("python", {"code": "int(df.v.sum())"}, "b")]), AIMessage("3")])
    state = second.invoke({"messages": [("user", "sum it")]}, config)
    tool_msgs = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert tool_msgs[-1].content == "3"
    # The snapshot lives in the store, never in the conversation.
    assert all("LCWPYSNAP" not in str(m.content) for m in state["messages"])
    assert all(len(str(m.content)) < 1000 for m in state["messages"])


def test_a_new_process_continues_the_session_from_a_sqlite_store(tmp_path, runtime):
    script = textwrap.dedent(
        """
        import sys
        from langgraph.store.sqlite import SqliteStore
        from langchain_wasm import WasmPythonSandbox, WasmPythonTool

        with SqliteStore.from_conn_string(sys.argv[1]) as store:
            store.setup()
            tool = WasmPythonTool(sandbox=WasmPythonSandbox(quiet=True), session_store=store)
            msg = tool.invoke({"type": "tool_call", "id": "1", "name": "python", "args": {"code": sys.argv[2]}},
                              config={"configurable": {"thread_id": "restart"}})
            print(msg.content)
            tool.close()
        """
    )
    db = str(tmp_path / "sessions.db")
    env = {**os.environ, "PYTHONPATH": os.getcwd()}

    def run(code):
        out = subprocess.run(
            [sys.executable, "-c", script, db, code], capture_output=True, text=True, env=env, timeout=240
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    assert run("import numpy as np\nx = np.arange(5)\nx.sum()") == "10"
    assert run("int((x * 2).sum())") == "20"


def test_a_rebuilt_wasm_agent_continues_the_session_through_its_store(tools):
    import json

    from langchain_wasm.chat_models.recorded import RecordedPlanner
    from langchain_wasm.graph import create_wasm_agent

    plans = [
        {"reasoning": "r", "steps": [{"id": "a", "tool": "python", "args": {"code": "total = 40"}}]},
        {"reasoning": "r", "steps": [], "final_answer": "stored"},
        {"reasoning": "r", "steps": [{"id": "b", "tool": "python", "args": {"code": "total + 2"}}]},
        {"reasoning": "r", "steps": [], "final_answer": "${b}"},
    ]
    store, saver = InMemoryStore(), InMemorySaver()
    config = {"configurable": {"thread_id": "plan"}}

    def agent():
        model = RecordedPlanner(responses=[json.dumps(p) for p in plans])
        return create_wasm_agent(model, [tools()], checkpointer=saver, store=store, approve=None)

    assert agent().invoke({"messages": [("user", "one")]}, config)["final_answer"] == "stored"
    out = agent().invoke({"messages": [("user", "two")]}, config)  # a new graph and a new tool instance
    assert out["step_results"]["b"]["content"] == "42"
    assert out["final_answer"] == "42"
    assert SessionStore(store).record("plan:python").digest is not None


def test_session_store_false_keeps_sessions_in_process_only(tools):
    store = InMemoryStore()
    tool = tools(session_store=False)
    assert _call(tool, "q = 7", store=store).status == "success"
    assert _call(tool, "q", store=store).content == "7"
    assert list(store.search(("langchain_wasm",), limit=10)) == []
