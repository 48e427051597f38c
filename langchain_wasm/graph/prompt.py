"""The planner's instructions."""

from __future__ import annotations

import json
from collections.abc import Sequence

from langchain_core.tools import BaseTool

from langchain_wasm.graph.plan import Plan
from langchain_wasm.graph.validate import describe_tools

__all__ = ["planner_prompt"]

_TEMPLATE = """You are the planner of an agent whose tools run in isolated WebAssembly sandboxes.
Answer the user's request. In each turn, reply with ONE JSON object following this JSON Schema:

{schema}

- To use tools, list steps: {{"id": "s1", "tool": "<name>", "args": {{...}}, "depends_on": []}}. Steps without
  dependencies run in parallel. A step may use an earlier step's result: an argument value "${{s1}}" is replaced
  by s1's result, "${{s1.field}}" by a field of it; such a step depends on s1.
- At most {max_steps} steps per plan. After the steps run you will see their results (or errors) and plan again.
- When the results answer the request, reply with {{"reasoning": "...", "steps": [], "final_answer": "..."}};
  the final answer may quote the last results by reference, e.g. "It is ${{s1.temperature}} degrees".
- Arguments must match each tool's schema exactly. If a step failed, fix the cause instead of repeating it.

Tools:
{tools}
"""


def planner_prompt(tools: Sequence[BaseTool], *, max_steps: int) -> str:
    schema = json.dumps(Plan.model_json_schema(), ensure_ascii=False)
    return _TEMPLATE.format(schema=schema, max_steps=max_steps, tools=describe_tools(tools))
