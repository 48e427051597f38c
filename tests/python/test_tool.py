"""``WasmPythonTool`` as a model sees it: description, content and artifact, sessions per LangGraph thread,
limits as error messages, sync and async, inside a real agent."""

from __future__ import annotations

import asyncio

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from langchain_wasm import Limits, WasmPythonSandbox, WasmPythonTool
from tests.tools.scripted import ScriptedChatModel, call

MIB = 1024 * 1024


@pytest.fixture
def tool(sandbox):
    t = WasmPythonTool(sandbox=sandbox)
    yield t
    t.close()


def _call(tool, code, thread=None, call_id="c1"):
    config = {"configurable": {"thread_id": thread}} if thread else None
    return tool.invoke({"type": "tool_call", "id": call_id, "name": tool.name, "args": {"code": code}}, config=config)


def test_description_tells_the_model_what_it_has(tool):
    d = tool.description
    for needle in ("numpy", "pandas", "matplotlib", "no network", "/workspace", "last expression", "persist", "int32"):
        assert needle in d.replace("ending the code with an expression", "last expression"), needle
    assert tool.name == "python"
    assert set(tool.tool_call_schema.model_json_schema()["properties"]) == {"code"}


def test_content_and_artifact(tool):
    msg = _call(tool, "import matplotlib.pyplot as plt\nprint('plotting')\nplt.plot([1, 2])\n21 * 2")
    assert isinstance(msg, ToolMessage)
    assert msg.status == "success"
    text, image = msg.content  # the text, then the figure as a LangChain v1 image block
    assert text == {"type": "text", "text": "plotting\n42\n[1 figure(s) returned as PNG]"}
    assert (image["type"], image["mime_type"]) == ("image", "image/png")
    art = msg.artifact
    assert art["result"] == 42
    assert art["stdout"] == "plotting\n"
    assert art["images"][0].startswith(b"\x89PNG")
    assert art["metrics"]["wall_s"] > 0
    assert tool.invoke({"code": "print('plain')"}) == "plain"


def test_sessions_are_keyed_by_thread_id(tool):
    _call(tool, "x = 'thread a'", thread="a")
    _call(tool, "x = 'thread b'", thread="b")
    assert _call(tool, "x", thread="a").content == "'thread a'"
    assert _call(tool, "x", thread="b").content == "'thread b'"
    assert "NameError" in _call(tool, "x").content  # no thread id: one-shot, nothing kept
    assert tool.session_for("a")[0].alive


def test_stateless_tool(sandbox):
    tool = WasmPythonTool(sandbox=sandbox, stateful=False)
    _call(tool, "y = 1", thread="t")
    assert "NameError" in _call(tool, "y", thread="t").content
    assert "Each call starts a fresh interpreter" in tool.description


def test_a_limit_is_an_error_message_and_the_session_restarts(runtime):
    # 2 s: room for the legitimate cells on a loaded machine; the endless one still ends there
    sb = WasmPythonSandbox(limits=Limits(timeout_s=2, fuel=None, memory_bytes=256 * MIB), quiet=True)
    tool = WasmPythonTool(sandbox=sb)
    _call(tool, "kept = 1", thread="t")
    msg = _call(tool, "while True:\n    pass", thread="t")
    assert msg.status == "error"
    assert "ran out of time" in msg.content
    assert "session was reset" in msg.content
    msg = _call(tool, "kept", thread="t")
    assert msg.content.startswith("[note: the previous Python session had ended")
    assert "NameError" in msg.content
    assert "2 s" in tool.description
    tool.close()
    sb.close()


def test_python_errors_are_error_messages_with_their_artifact(tool):
    msg = _call(tool, "1 / 0", thread="e")
    assert msg.status == "error"  # the model and UIs see a failed call as one
    assert "ZeroDivisionError: division by zero" in msg.content
    assert _call(tool, "'the session survived'", thread="e").content == "'the session survived'"
    assert msg.artifact["error"]["type"] == "ZeroDivisionError"


async def test_async(tool):
    msgs = await asyncio.gather(
        *(
            tool.ainvoke(
                {"type": "tool_call", "id": f"c{i}", "name": "python", "args": {"code": f"v = {i}\nv * 10"}},
                config={"configurable": {"thread_id": f"async-{i}"}},
            )
            for i in range(3)
        )
    )
    assert [m.content for m in msgs] == ["0", "10", "20"]
    assert await tool.arun({"code": "'direct'"}) == "'direct'"


def test_inside_an_agent_with_a_checkpointer(tool):
    model = ScriptedChatModel(
        script=[
            AIMessage(
                "",
                tool_calls=[call("python", {"code": "import pandas as pd\ndf = pd.DataFrame({'v': [1, 2, 3]})"}, "c1")],
            ),
            AIMessage("", tool_calls=[call("python", {"code": "int(df.v.sum())"}, "c2")]),
            AIMessage("The sum is 6."),
        ]
    )
    agent = create_agent(model, [tool], checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "agent-thread"}}
    state = agent.invoke({"messages": [("user", "Sum 1, 2, 3 with pandas.")]}, config)
    tool_msgs = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert [m.content for m in tool_msgs] == ["[no output]", "6"]  # the second call saw the first call's df
    assert state["messages"][-1].content == "The sum is 6."
    assert model.bound_tools[0]["function"]["name"] == "python"


def test_the_default_tool_preloads_numpy_and_pandas_and_evicts_idle_sessions():
    tool = WasmPythonTool()  # constructing it compiles nothing: the runtime loads on the first call
    assert tool.sandbox.preload == ("numpy", "pandas")
    assert tool.sandbox.evict_idle is True
    assert tool.stateful is True
