"""``make_codeact_eval``: langgraph-codeact's ``eval_fn(code, _locals) -> (output, new_vars)`` in the sandbox."""

from __future__ import annotations

from langchain_core.tools import tool

from langchain_wasm.python.codeact import make_codeact_eval


def add(a: float, b: float) -> float:
    """Add two numbers together."""
    return a + b


@tool
def multiply(a: float, b: float) -> float:
    """Multiply two numbers together."""
    return a * b


def test_tools_run_in_the_sandbox_and_variables_carry_over(sandbox):
    eval_fn = make_codeact_eval(sandbox)
    context = {"add": add, "multiply": multiply.func, "base": 10}
    output, new_vars = eval_fn("total = add(base, multiply(2, 3))\nprint('total is', total)", context)
    assert output == "total is 16"
    assert new_vars == {"total": 16}
    context.update(new_vars)
    output, new_vars = eval_fn("total = total * 2\nresult = {'t': total}\nresult", context)
    assert output == "{'t': 32}"
    assert new_vars == {"total": 32, "result": {"t": 32}}  # changed variables come back too


def test_errors_and_limits_are_output_not_exceptions(sandbox):
    eval_fn = make_codeact_eval(sandbox, timeout_s=2)  # room for the cells that end by themselves
    output, new_vars = eval_fn("x = 1\n1 / 0", {})
    assert "ZeroDivisionError" in output
    assert new_vars == {"x": 1}
    output, new_vars = eval_fn("while True:\n    pass", {})
    assert output.startswith("Error: the sandbox stopped the code")
    assert new_vars == {}
    output, _ = eval_fn("print(1)", {"opaque": object(), "builtin": len})
    assert "not available inside the sandbox: builtin, opaque" in output
