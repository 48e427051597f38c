"""An ``eval_fn`` for ``langgraph-codeact`` (``create_codeact(model, tools, eval_fn)``) that runs in the sandbox.

The contract is ``eval_fn(code, _locals) -> (output, new_vars)``: ``_locals`` holds the tools (callables) and
the variables earlier scripts defined; ``new_vars`` are the script's new top-level variables, which CodeAct keeps
in its state and passes back next time. As in ``langgraph-codeact``'s own Pyodide example, tools are shipped into
the sandbox as their source code (``inspect.getsource``) and run there, with the sandbox's limits and none of
the host's reach: a tool that needs the network or host files will fail inside the sandbox. Variables travel as
JSON; values that are not plain data stay on the host side (they are passed in again only if they are JSON).
"""

from __future__ import annotations

import inspect
import json
import textwrap
from collections.abc import Callable, Mapping
from typing import Any

from langchain_wasm.errors import WasmCallError

from .sandbox import WasmPythonSandbox

__all__ = ["make_codeact_eval"]

_DUMP = (
    "import json as _j\n"
    "def _lcw_dump(v):\n"
    "    try:\n"
    "        return _j.dumps(v, sort_keys=True)\n"
    "    except (TypeError, ValueError, RecursionError):\n"
    "        return None\n"
)
#: new or changed top-level variables that are plain data
_COLLECT = (
    "{k: v for k, v in list(globals().items()) if not k.startswith('_') and _lcw_dump(v) is not None"
    " and _LCW_BEFORE.get(k, '') != _lcw_dump(v)}"
)


def _tool_source(name: str, fn: Callable[..., Any]) -> str | None:
    target = getattr(fn, "func", None) or fn  # a LangChain tool's function, or the function itself
    try:
        source = textwrap.dedent(inspect.getsource(target))
    except (OSError, TypeError):
        return None
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith("@")]  # drop decorators like @tool
    body = "\n".join(lines)
    real = getattr(target, "__name__", name)
    return body if real == name else f"{body}\n{name} = {real}"


def make_codeact_eval(
    sandbox: WasmPythonSandbox | None = None, *, timeout_s: float | None = None
) -> Callable[[str, dict[str, Any]], tuple[str, dict[str, Any]]]:
    """An ``eval_fn`` for ``langgraph_codeact.create_codeact`` that runs each script in a fresh sandboxed interpreter.

    Args:
        sandbox: the sandbox to run in (default: a new ``WasmPythonSandbox``).
        timeout_s: per-script deadline (default: the sandbox's limits).
    """
    sb = sandbox or WasmPythonSandbox()

    def eval_fn(code: str, _locals: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        setup, skipped = [], []
        plain: dict[str, Any] = {}
        for name, value in _locals.items():
            if not name.isidentifier():
                continue
            if callable(value):
                source = _tool_source(name, value)
                if source:
                    setup.append(source)
                else:
                    skipped.append(name)
                continue
            try:
                json.dumps(value)
                plain[name] = value
            except (TypeError, ValueError):
                skipped.append(name)
        preamble = _DUMP + f"globals().update(_j.loads({json.dumps(plain)!r}))\n" + "\n\n".join(setup)
        try:
            with sb.session(timeout_s=timeout_s) as s:
                ready = s.run(preamble + "\n_LCW_BEFORE = {k: _lcw_dump(v) for k, v in list(globals().items())}")
                if ready.error is not None:
                    return f"Error while setting up the tools: {ready.error}", {}
                result = s.run(code)
                collected = s.run(_COLLECT) if s.alive else None
        except WasmCallError as exc:
            return f"Error: the sandbox stopped the code: {exc}", {}
        output = result.text()
        if skipped:
            output += f"\n[note: not available inside the sandbox: {', '.join(sorted(skipped))}]"
        new_vars = collected.result if collected is not None and isinstance(collected.result, dict) else {}
        return output, new_vars

    return eval_fn
