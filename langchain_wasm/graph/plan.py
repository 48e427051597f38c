"""The plan the planner emits, and references from one step's arguments to an earlier step's result.

A plan is JSON: ``{"reasoning": "...", "steps": [{"id": "s1", "tool": "weather", "args": {...},
"depends_on": []}, ...], "final_answer": null}``. Either ``steps`` (work to do) or ``final_answer`` (done).

References: an argument value (at any depth) that is a string may mention an earlier step's result:

- ``"${s1}"`` alone is replaced by s1's whole structured result (any JSON type);
- ``"${s1.temperature}"`` / ``"${s1.rows.0}"`` alone is replaced by a field or list item of it;
- inside a longer string, ``"It is ${s1.temperature} C"``, the value is formatted into the text.

A step that references another depends on it (it is added to ``depends_on`` if missing).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Plan", "PlanStep", "StepReferenceError", "find_references", "resolve_references"]

_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_-]*)((?:\.[A-Za-z0-9_-]+)*)\}")


class PlanStep(BaseModel):
    """One tool call of a plan."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Unique id of this step, e.g. 's1'", pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$")
    tool: str = Field(description="Name of the tool to call")
    args: dict[str, Any] = Field(
        default_factory=dict,
        description="Arguments for the tool, matching its schema. A string '${s1}' or '${s1.field}' is replaced "
        "by the result of step s1 (or a field of it)",
    )
    depends_on: list[str] = Field(default_factory=list, description="Ids of steps that must finish first")


class Plan(BaseModel):
    """What the planner decided: steps to run now, or the final answer."""

    model_config = ConfigDict(extra="forbid")

    reasoning: str = Field(default="", description="Short reasoning behind the plan")
    steps: list[PlanStep] = Field(default_factory=list, description="Tool calls to run now (empty when answering)")
    final_answer: str | None = Field(
        default=None, description="The answer for the user, once the observations suffice; otherwise null"
    )


class StepReferenceError(ValueError):
    """A reference names a step or a field that does not exist."""


def find_references(value: Any) -> set[str]:
    """Step ids referenced anywhere in ``value``."""
    if isinstance(value, str):
        return {m.group(1) for m in _REF.finditer(value)}
    if isinstance(value, Mapping):
        return set().union(*(find_references(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(find_references(v) for v in value)) if value else set()
    return set()


def _lookup(results: Mapping[str, Any], step: str, path: str) -> Any:
    if step not in results:
        raise StepReferenceError(f"${{{step}}} refers to a step that has no result")
    value = results[step]
    for part in path.split(".")[1:] if path else []:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise StepReferenceError(f"${{{step}{path}}}: the result of {step} has no {part!r}")
    return value


def resolve_references(value: Any, results: Mapping[str, Any]) -> Any:
    """``value`` with every reference replaced by the referenced result (see the module docstring)."""
    if isinstance(value, str):
        whole = _REF.fullmatch(value)
        if whole:
            return _lookup(results, whole.group(1), whole.group(2))

        def text(m: re.Match[str]) -> str:
            found = _lookup(results, m.group(1), m.group(2))
            return found if isinstance(found, str) else json.dumps(found, ensure_ascii=False)

        return _REF.sub(text, value)
    if isinstance(value, Mapping):
        return {k: resolve_references(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_references(v, results) for v in value]
    return value
