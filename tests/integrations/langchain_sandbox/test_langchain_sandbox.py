"""The langchain-sandbox drop-in: its README examples as tests (one import changed), its stateful tool in a v1
``create_agent`` over two turns, and the options it cannot honour refused."""

from __future__ import annotations

import dataclasses
import math
from typing import NotRequired

import pytest
from langchain.agents import AgentState, create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from langchain_wasm.integrations.langchain_sandbox import (
    CodeExecutionResult,
    PyodideSandbox,
    PyodideSandboxTool,
    SyncPyodideSandbox,
    UnsupportedOptionError,
)
from langchain_wasm.python import WasmPythonSandbox
from langchain_wasm.runtime import Limits
from tests.tools.scripted import ScriptedChatModel, call

pytestmark = pytest.mark.timeout(240)
MIB = 1024 * 1024
README_CODE = """\
import numpy as np
x = np.array([1, 2, 3])
print(x)
"""


def test_result_has_the_same_fields():
    names = [f.name for f in dataclasses.fields(CodeExecutionResult)]
    assert names == [
        "result", "stdout", "stderr", "status", "execution_time", "session_metadata", "session_bytes"
    ]  # fmt: skip


async def test_readme_example_usage(runtime):
    """README "Example Usage" (allow_net dropped: the packages are built in, there is no network to allow)."""
    sandbox = PyodideSandbox()
    result = await sandbox.execute(README_CODE)
    assert result.status == "success"
    assert result.stdout == "[1 2 3]"
    assert result.stderr is None
    assert result.result is None
    assert result.session_bytes is None
    assert result.execution_time > 0
    assert set(result.session_metadata) == {"created", "lastModified", "packages"}
    assert "numpy" in result.session_metadata["packages"]


async def test_readme_stateful_sandbox(runtime):
    """README "Stateful Sandbox": pass the previous result's session back and the variables are there."""
    sandbox = PyodideSandbox(stateful=True)
    result = await sandbox.execute(README_CODE)
    assert isinstance(result.session_bytes, bytes)
    second = await sandbox.execute(
        "float(x[0])", session_bytes=result.session_bytes, session_metadata=result.session_metadata
    )
    assert second.status == "success"
    assert second.result == 1
    assert second.stdout is None
    assert second.session_metadata["created"] == result.session_metadata["created"]
    # state is a value: the old bytes still give the old state even after the session moved on
    third = await sandbox.execute("x = x * 10\nint(x.sum())", session_bytes=second.session_bytes)
    assert third.result == 60
    again = await sandbox.execute("int(x.sum())", session_bytes=second.session_bytes)
    assert again.result == 6


async def test_readme_using_as_a_tool(runtime):
    tool = PyodideSandboxTool()
    result = await tool.ainvoke("print('Hello, world!')")
    assert result == "Hello, world!"
    assert tool.name == "python_code_sandbox"


def test_sync_sandbox_errors_and_limits(runtime):
    sandbox = SyncPyodideSandbox(stateful=True)
    err = sandbox.execute("1/0")
    assert err.status == "error"
    assert "ZeroDivisionError" in err.stderr
    slow = sandbox.execute("while True:\n    pass", timeout_seconds=1)
    assert slow.status == "error"
    assert slow.stderr == "Execution timed out after 1.0 seconds"
    base = sandbox.execute("kept = 7")
    # a run stopped by a limit leaves the state as it was passed in
    breach = sandbox.execute("kept = 8\nwhile True:\n    pass", session_bytes=base.session_bytes, timeout_seconds=1)
    assert breach.status == "error"
    assert breach.session_bytes == base.session_bytes
    assert sandbox.execute("kept", session_bytes=breach.session_bytes).result == 7
    memory = sandbox.execute("b = bytearray(300 * 1024 * 1024)\nlen(b)", memory_limit_mb=128)
    assert memory.status == "error"
    assert "MemoryError" in memory.stderr or "memory" in memory.stderr.lower()
    bogus = sandbox.execute("1", session_bytes=b"\x80\x04 a pickle from langchain-sandbox")
    assert bogus.status == "error"
    assert "session_bytes could not be restored" in bogus.stderr


def test_sandbox_keeps_host_out(runtime, monkeypatch):
    monkeypatch.setenv("LCW_HOST_SECRET", "s3cret")
    sandbox = SyncPyodideSandbox()
    r = sandbox.execute("import os\nprint(dict(os.environ))\nprint(os.path.exists('/etc/passwd'))")
    assert r.status == "success"
    assert "s3cret" not in r.stdout
    assert "LCW_HOST_SECRET" not in r.stdout
    assert r.stdout.endswith("False")
    net = sandbox.execute("import socket\nsocket.create_connection(('127.0.0.1', 80), timeout=1)")
    assert net.status == "error"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("allow_net", True),
        ("allow_net", ["cdn.jsdelivr.net"]),
        ("allow_env", True),
        ("allow_read", ["/etc"]),
        ("allow_write", True),
        ("allow_run", ["python"]),
        ("allow_ffi", True),
    ],
)
def test_options_that_cannot_be_honoured_are_refused(option, value):
    with pytest.raises(UnsupportedOptionError, match=f"{option}=.*cannot be honoured"):
        PyodideSandbox(**{option: value})
    with pytest.raises(UnsupportedOptionError, match=option):
        PyodideSandboxTool(**{option: value})


def test_deno_only_options_are_accepted():
    SyncPyodideSandbox(allow_net=False, allow_read=[], node_modules_dir="auto", skip_deno_check=True)


async def test_readme_using_with_an_agent(runtime):
    """README "Using with an agent", with v1's ``create_agent`` in place of ``create_react_agent``."""
    model = ScriptedChatModel(
        script=[
            AIMessage("", tool_calls=[call("python_code_sandbox", {"code": "print(5 + 7)"}, "c1")]),
            AIMessage("12"),
        ]
    )
    agent = create_agent(model, tools=[PyodideSandboxTool()])
    result = await agent.ainvoke({"messages": [{"role": "user", "content": "what's 5 + 7?"}]})
    tool_message = next(m for m in result["messages"] if isinstance(m, ToolMessage))
    assert tool_message.content == "12"
    assert model.bound_tools[0]["function"]["name"] == "python_code_sandbox"
    assert set(model.bound_tools[0]["function"]["parameters"]["properties"]) == {"code"}


class State(AgentState):
    session_bytes: NotRequired[bytes | None]
    session_metadata: NotRequired[dict | None]


async def test_stateful_tool_in_create_agent_over_two_turns(runtime):
    """README "Stateful Tool" on LangChain v1: the tool's Command puts the session into the graph state, the
    checkpointer keeps it between turns, and the second turn sees the first turn's variable."""
    model = ScriptedChatModel(
        script=[
            AIMessage("", tool_calls=[call("python_code_sandbox", {"code": "a = 5 + 7\nprint(a)"}, "c1")]),
            AIMessage("5 + 7 = 12, saved as a."),
            AIMessage("", tool_calls=[call("python_code_sandbox", {"code": "import math\nprint(math.sin(a))"}, "c2")]),
            AIMessage("sin(a) is about -0.5366."),
        ]
    )
    sandbox = WasmPythonSandbox(limits=Limits(timeout_s=20, fuel=None, memory_bytes=512 * MIB), quiet=True)
    tool = PyodideSandboxTool(stateful=True, sandbox=sandbox)
    agent = create_agent(model, tools=[tool], checkpointer=InMemorySaver(), state_schema=State)
    config = {"configurable": {"thread_id": "123"}}
    first = await agent.ainvoke(
        {
            "messages": [{"role": "user", "content": "what's 5 + 7? save result as 'a'"}],
            "session_bytes": None,
            "session_metadata": None,
        },
        config=config,
    )
    assert [m.content for m in first["messages"] if isinstance(m, ToolMessage)] == ["12"]
    assert isinstance(first["session_bytes"], bytes)
    assert first["session_metadata"]["packages"] == []
    second = await agent.ainvoke({"messages": [{"role": "user", "content": "what's the sine of 'a'?"}]}, config=config)
    tool_messages = [m for m in second["messages"] if isinstance(m, ToolMessage)]
    assert len(tool_messages) == 2
    assert tool_messages[-1].tool_call_id == "c2"
    assert float(tool_messages[-1].content) == pytest.approx(math.sin(12))
    assert second["messages"][-1].content == "sin(a) is about -0.5366."
    assert second["session_bytes"] != first["session_bytes"]
    # the model saw the tool's output before answering
    assert any(isinstance(m, ToolMessage) and m.content == "12" for m in model.seen[1])


def test_stateful_tool_needs_the_state_keys(runtime):
    tool = PyodideSandboxTool(stateful=True)
    with pytest.raises(ValueError, match="missing the following required keys"):
        tool._run("1", state={"messages": []}, tool_call_id="x")
