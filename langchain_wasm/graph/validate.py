"""Plan validation: everything that can be checked before running, reported as precise, fixable errors."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ValidationError

from langchain_wasm.graph.plan import Plan, find_references

__all__ = ["parse_plan", "tool_parameters", "validate_plan", "topological_levels"]

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def parse_plan(text: str) -> tuple[Plan | None, str | None]:
    """Parse a plan from model text (bare JSON or a fenced block). Returns (plan, None) or (None, error)."""
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text
    start, end = candidate.find("{"), candidate.rfind("}")
    if start < 0:
        return None, "the answer contains no JSON object; reply with one JSON object following the plan schema"
    raw = candidate[start : end + 1] if end > start else candidate[start:]
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    return plan_from_data(data)


def plan_from_data(data: Any) -> tuple[Plan | None, str | None]:
    try:
        return Plan.model_validate(data), None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'plan'}: {err['msg']}" for err in exc.errors()[:6]
        )
        return None, f"the JSON does not follow the plan schema: {problems}"


def tool_parameters(tool: BaseTool) -> dict[str, Any]:
    """The JSON Schema of a tool's arguments, as a provider sees it."""
    params: dict[str, Any] = convert_to_openai_tool(tool)["function"].get("parameters", {"type": "object"})
    return params


def validate_plan(plan: Plan, tools: Mapping[str, BaseTool], *, max_steps: int) -> list[str]:
    """Every problem of ``plan`` that can be found before running it (empty when it is valid)."""
    errors: list[str] = []
    if plan.final_answer is None and not plan.steps:
        errors.append("the plan has neither steps nor a final_answer")
    if len(plan.steps) > max_steps:
        errors.append(f"the plan has {len(plan.steps)} steps; at most {max_steps} are allowed per plan")
    ids = [s.id for s in plan.steps]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        errors.append(f"step ids must be unique; repeated: {dupes}")
    known = set(ids)
    for step in plan.steps:
        where = f"step {step.id}"
        tool = tools.get(step.tool)
        if tool is None:
            errors.append(f"{where}: unknown tool {step.tool!r}; available tools: {sorted(tools)}")
        refs = find_references(step.args)
        for dep in sorted((set(step.depends_on) | refs) - known):
            errors.append(f"{where}: depends on or references {dep!r}, which is not a step of this plan")
        if step.id in refs or step.id in step.depends_on:
            errors.append(f"{where}: a step cannot depend on itself")
        if tool is not None:
            errors.extend(f"{where} ({step.tool}): {p}" for p in _check_args(tool, step.args))
    if not errors:
        try:
            topological_levels(plan)
        except ValueError as exc:
            errors.append(str(exc))
    return errors


def _check_args(tool: BaseTool, args: Mapping[str, Any]) -> list[str]:
    schema = dict(tool_parameters(tool))
    static = {k: v for k, v in args.items() if not (isinstance(v, str) and find_references(v) and v.startswith("${"))}
    deferred = set(args) - set(static)
    schema["required"] = [r for r in schema.get("required", []) if r not in deferred]
    if "properties" in schema:
        schema["properties"] = {k: v for k, v in schema["properties"].items() if k not in deferred}
    validator = Draft202012Validator(schema)
    out = []
    for err in sorted(validator.iter_errors(static), key=lambda e: list(e.path))[:5]:
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.path)
        out.append(f"{path}: {err.message}")
    unknown = sorted(deferred - set(schema.get("properties", {})) - set(tool_parameters(tool).get("properties", {})))
    out.extend(f"unknown argument {name!r}" for name in unknown)
    return out


def topological_levels(plan: Plan) -> list[list[str]]:
    """Step ids in dependency levels (each level's steps are independent). Raises ValueError on a cycle."""
    deps = {s.id: set(s.depends_on) | find_references(s.args) for s in plan.steps}
    levels: list[list[str]] = []
    done: set[str] = set()
    while len(done) < len(deps):
        ready = sorted(i for i, d in deps.items() if i not in done and d <= done)
        if not ready:
            cycle = sorted(i for i in deps if i not in done)
            raise ValueError(f"the steps {cycle} depend on each other in a cycle; dependencies must form a DAG")
        levels.append(ready)
        done.update(ready)
    return levels


def dependencies(plan: Plan) -> dict[str, set[str]]:
    """Each step's dependencies: declared plus referenced."""
    return {s.id: set(s.depends_on) | find_references(s.args) for s in plan.steps}


def describe_tools(tools: Sequence[BaseTool]) -> str:
    """Tool names, descriptions and argument schemas, for the planner prompt."""
    parts = []
    for tool in tools:
        params = json.dumps(tool_parameters(tool), ensure_ascii=False)
        parts.append(f"- {tool.name}: {tool.description.strip()}\n  arguments (JSON Schema): {params}")
    return "\n".join(parts)
