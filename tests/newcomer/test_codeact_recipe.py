"""Issue 14: the documented CodeAct recipe works with this package's langgraph 1.x.

langgraph-codeact 0.1.3 pins ``langgraph<0.4``, so a plain ``pip install`` downgrades langgraph and
langchain-core and breaks this package; its code uses only APIs langgraph 1.x keeps, so docs/python.md says
``pip install --no-deps langgraph-codeact`` (what ``make`` does for the test venv). This runs the real graph.
"""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver

from langchain_wasm import ScriptedChatModel, WasmPythonSandbox
from langchain_wasm.python.codeact import make_codeact_eval

codeact = pytest.importorskip("langgraph_codeact", reason="pip install --no-deps langgraph-codeact")


def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


def test_create_codeact_runs_model_code_in_the_wasm_sandbox(python_runtime_compiled):
    model = ScriptedChatModel(
        script=[
            AIMessage("```python\ntotal = add(40, 2)\nprint('total', total)\n```"),
            AIMessage("The total is 42."),
        ]
    )
    sandbox = WasmPythonSandbox(quiet=True)
    graph = codeact.create_codeact(model, [add], make_codeact_eval(sandbox)).compile(checkpointer=InMemorySaver())
    final = graph.invoke({"messages": [("user", "add 40 and 2")]}, {"configurable": {"thread_id": "c"}})
    assert final["messages"][-1].content == "The total is 42."
    assert final["context"]["total"] == 42
    sandbox_output = model.seen[1][-1]
    assert sandbox_output.content == "total 42"  # what the code printed inside the sandbox
