"""The planner's instructions, on a budget: one compact line per tool (its arguments and the fields it returns, so
``${s1.field}`` references are not guesses), and the plan schema printed only when the provider does not enforce it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.tools import BaseTool

from langchain_wasm.graph.references import output_schema
from langchain_wasm.graph.validate import tool_parameters

__all__ = ["compact_type", "describe_tools", "planner_prompt"]

_TEMPLATE = """You are the planner of an agent whose tools run in isolated WebAssembly sandboxes.
Answer the user's request. In each turn, reply with ONE JSON object{schema_note}

- To use tools, list steps: {{"id": "s1", "tool": "<name>", "args": {{...}}, "depends_on": []}}. Steps without
  dependencies run in parallel. A step may use an earlier step's result: an argument value "${{s1}}" is replaced
  by s1's result, "${{s1.field}}" by a field of it (the fields each tool returns are listed after "->"); such a
  step depends on s1.
- At most {max_steps} steps per plan. After the steps run you will see their results (or errors) and plan again.
- When the results answer the request, reply with {{"reasoning": "...", "steps": [], "final_answer": "..."}};
  the final answer may quote the last results by reference, e.g. "It is ${{s1.temperature}} degrees".
- Use only the tools below, with arguments of the types shown (? marks an optional one). If a step failed,
  fix the cause instead of repeating it.

Tools:
{tools}
"""
_SHAPE = ': {"reasoning": "...", "steps": [...], "final_answer": null}.'
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_DESCRIPTION_CHARS = 320


def planner_prompt(tools: Sequence[BaseTool], *, max_steps: int, schema: Mapping[str, Any] | None = None) -> str:
    """The system prompt. ``schema``: the plan schema to print (None when the provider enforces it)."""
    note = _SHAPE if schema is None else f" following this JSON Schema:\n\n{json.dumps(schema, ensure_ascii=False)}\n"
    return _TEMPLATE.format(schema_note=note, max_steps=max_steps, tools=describe_tools(tools))


def describe_tools(tools: Sequence[BaseTool]) -> str:
    """One entry per tool: ``name(arg: type, opt?: type) -> {field: type}`` and a short description."""
    return "\n".join(_describe(t) for t in tools)


def _describe(tool: BaseTool) -> str:
    params = tool_parameters(tool)
    required = set(params.get("required", []))
    args = ", ".join(
        f"{name}{'' if name in required else '?'}: {compact_type(sub)}"
        for name, sub in (params.get("properties") or {}).items()
    )
    out = output_schema(tool)
    returns = f" -> {compact_type(out, 1)}" if out else ""  # top-level fields typed, nested ones named
    return f"- {tool.name}({args}){returns}\n  {_short(tool.description)}"


def _short(text: str) -> str:
    """The description's first sentences, up to a budget (the full text stays in the tool's own schema)."""
    kept = ""
    for sentence in _SENTENCE.split(" ".join(text.split())):
        if kept and len(kept) + len(sentence) + 1 > _DESCRIPTION_CHARS:
            return kept + " ..."
        kept = f"{kept} {sentence}".strip()
    return kept[: _DESCRIPTION_CHARS + 40]


def compact_type(schema: Mapping[str, Any] | None, depth: int = 0) -> str:
    """A JSON Schema as a short type expression: ``{city: string, units?: "metric"|"imperial"}``, ``[[number]]``."""
    if not isinstance(schema, Mapping) or not schema:
        return "any"
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        values = [json.dumps(v, ensure_ascii=False) for v in schema["enum"]]
        return "|".join(values[:8]) + ("|..." if len(values) > 8 else "")
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return " | ".join(dict.fromkeys(compact_type(s, depth) for s in schema[key]))
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(compact_type({**schema, "type": k}, depth) for k in kind)
    if kind == "array":
        if isinstance(schema.get("prefixItems"), list):
            return "[" + ", ".join(compact_type(s, depth + 1) for s in schema["prefixItems"]) + "]"
        return f"[{compact_type(schema.get('items'), depth + 1)}]"
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        if not props:
            return "object"
        if depth >= 2:
            return "{" + ", ".join(props) + "}"
        required = set(schema.get("required", []))
        fields = ", ".join(f"{k}{'' if k in required else '?'}: {compact_type(v, depth + 1)}" for k, v in props.items())
        return "{" + fields + "}"
    return str(kind) if isinstance(kind, str) else "any"
