"""What the model is told about the interpreter and the tools its code can call."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool

__all__ = ["render_prompt", "signature"]

_MODES = {
    "thread": "Variables, imports and files persist between calls in this conversation.",
    "turn": "Variables persist between calls until you answer the user; then the interpreter is reset.",
    "call": "Each call starts a fresh interpreter: nothing persists between calls.",
}
_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "array": "list", "object": "dict"}


def signature(tool: BaseTool) -> str:
    """``name(arg: type, opt: type = ...) -> result`` from the tool's argument schema."""
    model = tool.tool_call_schema
    schema: dict[str, Any] = model if isinstance(model, dict) else model.model_json_schema() if model else {}  # type: ignore[union-attr]
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    args = []
    for name, spec in props.items():
        kind = _TYPES.get(str(spec.get("type")), "Any")
        args.append(f"{name}: {kind}" + ("" if name in required else " = ..."))
    return f"tools.{tool.name}({', '.join(args)})"


def render_prompt(tool_name: str, mode: str, tools: list[BaseTool]) -> str:
    text = (
        f"You can run Python 3.15 (numpy, pandas, matplotlib, ...) with the `{tool_name}` tool, in a sandbox "
        f"with no network and no host files; work in /workspace. {_MODES[mode]}"
    )
    if tools:
        lines = "\n".join(f"- {signature(t)}: {(t.description or '').strip().splitlines()[0][:200]}" for t in tools)
        text += (
            "\n\nInside that code you can call these tools as Python functions (keyword arguments); each returns "
            "the tool's result as a Python value and raises ToolCallError if it fails or is refused:\n"
            f"{lines}\nUse them to loop, filter and combine results in one step instead of many tool calls."
        )
    return text
