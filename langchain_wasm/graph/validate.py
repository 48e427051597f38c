"""Plan validation: everything that can be checked before running, reported as precise, fixable errors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ValidationError

from langchain_wasm.graph.plan import Plan, PlanStep, find_references
from langchain_wasm.graph.references import check_references

__all__ = ["parse_plan", "tool_parameters", "validate_plan", "topological_levels"]

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def parse_plan(text: str, normalize: Callable[[Any], Any] | None = None) -> tuple[Plan | None, str | None]:
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
    return plan_from_data(normalize(data) if normalize else data)


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
            sources = {s.id: tools.get(s.tool) for s in plan.steps if s.id != step.id}
            errors.extend(f"{where} ({step.tool}): {p}" for p in _check_args(step, tool, sources))
    if not errors:
        try:
            topological_levels(plan)
        except ValueError as exc:
            errors.append(str(exc))
    return errors


def _check_args(step: PlanStep, tool: BaseTool, sources: Mapping[str, BaseTool | None]) -> list[str]:
    params = tool_parameters(tool)
    problems, whole = check_references(step.tool, step.args, params, sources)
    out = []
    for err in sorted(Draft202012Validator(params).iter_errors(step.args), key=lambda e: list(e.path))[:8]:
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.path)
        if path in whole:
            continue  # a whole reference: its type was checked against the source's result schema above
        out.append(f"{path}: {err.message}")
    known = params.get("properties")
    if isinstance(known, Mapping) and params.get("additionalProperties") is not True:
        out.extend(f"unknown argument {name!r}" for name in sorted(set(step.args) - set(known)))
    return [*dict.fromkeys(out[:6]), *problems]


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
