"""The compiler's LangChain tools: run_c (standard tests), compile_function + call_function, and the
plan/execute agent compiling a function in one step and calling it in a later one (recorded planner)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests
from langgraph.checkpoint.memory import InMemorySaver

from langchain_wasm.chat_models.recorded import COMPILER_DEMO_QUESTION, compiler_demo_planner
from langchain_wasm.compiler.tool import WasmCompilerTool, compiler_tools
from langchain_wasm.graph.agent import create_wasm_agent
from tests.compiler.conftest import MISSING

pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"{MISSING}")

HELLO = {"source": '#include <stdio.h>\nint main(void){ puts("hello from wasm"); return 0; }'}


class TestRunCUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[WasmCompilerTool]:
        return WasmCompilerTool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return HELLO


class TestRunCIntegration(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[WasmCompilerTool]:
        return WasmCompilerTool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return HELLO


def _call(tool: Any, args: dict[str, Any]) -> Any:
    return tool.invoke({"type": "tool_call", "id": "1", "name": tool.name, "args": args})


def test_run_c_returns_status_output_and_a_structured_artifact():
    run_c = WasmCompilerTool()
    src = (
        "#include <stdio.h>\n"
        'int main(int c, char **v){ char b[32] = {0}; fgets(b, 32, stdin); printf("%s/%s", v[1], b); return 4; }'
    )
    msg = _call(run_c, {"source": src, "stdin": "in", "args": ["arg"]})
    assert msg.content.startswith("exit status 4\nstdout:\narg/in")
    assert msg.artifact["result"] == {"exit_code": 4, "stdout": "arg/in", "stderr": ""}
    json_src = "#include <stdio.h>\nint main(void){ int c; while ((c = getchar()) != EOF) putchar(c); }"
    assert _call(run_c, {"source": json_src, "input": {"x": 1}}).artifact["result"]["stdout"] == '{"x": 1}'


def test_run_c_errors_are_messages_the_model_can_act_on():
    run_c = WasmCompilerTool()
    msg = _call(run_c, {"source": "int main(void){ return nope; }"})
    assert msg.status == "error"
    assert "did not compile" in msg.content
    assert "main.c:1:24: error: use of undeclared identifier 'nope'" in msg.content
    msg = _call(run_c, {"source": "int main(void){return 0;}", "flags": ["-Xclang", "-load"]})
    assert msg.status == "error"
    assert "not allowed" in msg.content
    msg = _call(run_c, {"source": "int main(void){ for (;;) {} }"})
    assert msg.status == "error"
    assert "was stopped" in msg.content


def test_compile_function_once_then_call_it():
    _, compile_fn, call_fn = compiler_tools()
    src = "#include <math.h>\ndouble hyp(double a, double b) { return sqrt(a * a + b * b); }"
    out = _call(compile_fn, {"name": "hyp", "source": src, "params": ["a", "b"]})
    assert "compiled hyp(a, b)" in out.content
    res = _call(call_fn, {"name": "hyp", "args": {"a": 5, "b": 12}})
    assert res.artifact["result"] == 13.0
    assert _call(call_fn, {"name": "nope", "args": {}}).status == "error"
    bad = _call(compile_fn, {"name": "f", "source": "int f(int x) { return x +; }", "params": ["x"]})
    assert bad.status == "error"
    assert "main.c:1:" in bad.content
    missing = _call(compile_fn, {"name": "g", "source": "int f(int x) { return x; }", "params": ["x"]})
    assert missing.status == "error"


def test_the_agent_compiles_a_function_in_one_step_and_calls_it_in_a_later_one():
    app = create_wasm_agent(compiler_demo_planner(), compiler_tools(), checkpointer=InMemorySaver())
    state = app.invoke({"messages": [HumanMessage(COMPILER_DEMO_QUESTION)]}, {"configurable": {"thread_id": "t"}})
    assert state["messages"][-1].content == "fib(40) = 102334155; is 2^31 - 1 prime? yes\n"
    assert {k: v["status"] for k, v in state["step_results"].items()} == {
        "fib_c": "success",
        "f40": "success",
        "prime": "success",
    }
