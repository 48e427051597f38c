"""WasmPythonTool in LangChain's standard tool suites, and its stdout streamed while the code runs."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from langchain_wasm.python import WasmPythonSandbox, WasmPythonTool
from tests.tools.scripted import ScriptedChatModel, call

_SANDBOX: WasmPythonSandbox | None = None


def _sandbox() -> WasmPythonSandbox:
    global _SANDBOX
    if _SANDBOX is None:
        _SANDBOX = WasmPythonSandbox(quiet=True)
    return _SANDBOX


class TestWasmPythonToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[WasmPythonTool]:
        return WasmPythonTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"sandbox": _sandbox()}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"code": "print(6 * 7)"}


class TestWasmPythonToolIntegration(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[WasmPythonTool]:
        return WasmPythonTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"sandbox": _sandbox()}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"code": "import math\nmath.factorial(10)"}


# The code prints a line, then waits (bounded) until the host has received that line from the stream before
# printing the next: the second line can only say "seen" if output streams while the code runs.
STREAMED = """
import os, time
print('tick 0', flush=True)
for _ in range(3000):
    if os.path.exists('/workspace/seen'):
        break
    time.sleep(0.01)
print('tick 1', 'seen' if os.path.exists('/workspace/seen') else 'never seen', flush=True)
'done'
"""


def test_stdout_is_streamed_while_the_code_runs(runtime):
    from langchain.agents import create_agent

    sandbox = _sandbox()
    tool = WasmPythonTool(sandbox=sandbox)
    model = ScriptedChatModel(
        script=[AIMessage("", tool_calls=[call("python", {"code": STREAMED}, "1")]), AIMessage("ok")]
    )
    agent = create_agent(model, tools=[tool])
    texts: list[str] = []
    for chunk in agent.stream(
        {"messages": [{"role": "user", "content": "go"}]},
        {"configurable": {"thread_id": "stream"}},
        stream_mode="custom",
    ):
        if isinstance(chunk, dict) and chunk.get("type") == "python_stdout":
            texts.append(chunk["text"])
            if len(texts) == 1:  # tell the running code its first line arrived
                for session in sandbox.sessions:
                    (session.workspace.path / "seen").write_text("")
    assert texts[0] == "tick 0\n"  # a piece arrived alone, while the code was still waiting
    assert "".join(texts) == "tick 0\ntick 1 seen\n"
    tool.close()


@pytest.fixture(scope="module", autouse=True)
def _close_sandbox():
    yield
    if _SANDBOX is not None:
        _SANDBOX.close()
