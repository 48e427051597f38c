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


def test_stdout_is_streamed_while_the_code_runs(runtime):
    from langchain.agents import create_agent

    tool = WasmPythonTool(sandbox=_sandbox())
    code = "import time\nfor i in range(4):\n    print('tick', i, flush=True)\n    time.sleep(0.3)\n'done'"
    model = ScriptedChatModel(script=[AIMessage("", tool_calls=[call("python", {"code": code}, "1")]), AIMessage("ok")])
    agent = create_agent(model, tools=[tool])
    chunks = list(
        agent.stream(
            {"messages": [{"role": "user", "content": "go"}]},
            {"configurable": {"thread_id": "stream"}},
            stream_mode="custom",
        )
    )
    texts = [c["text"] for c in chunks if isinstance(c, dict) and c.get("type") == "python_stdout"]
    assert "".join(texts) == "".join(f"tick {i}\n" for i in range(4))
    assert len(texts) >= 2  # pieces arrived as they were printed, not once at the end
    tool.close()


@pytest.fixture(scope="module", autouse=True)
def _close_sandbox():
    yield
    if _SANDBOX is not None:
        _SANDBOX.close()
