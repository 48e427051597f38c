"""References checked against the tools' schemas: a ``${s1.field}`` must name a field the source tool returns,
of a type the argument takes; a whole reference into a string argument becomes text at run time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from langchain_core.tools import BaseTool

from langchain_wasm.graph.plan import resolve_references

__all__ = ["WHOLE_REFERENCE", "check_references", "output_schema", "resolve_for_schema", "schema_types"]

WHOLE_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_-]*)((?:\.[A-Za-z0-9_-]+)*)\}")
_ANY_REFERENCE = WHOLE_REFERENCE
_JSON_TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}


def output_schema(tool: BaseTool | None) -> dict[str, Any] | None:
    """The JSON Schema of a tool's result, when the tool declares one (Wasm guests do)."""
    schema = getattr(getattr(tool, "guest", None), "output_schema", None)
    return schema if isinstance(schema, dict) and schema else None


def schema_types(schema: Mapping[str, Any] | None) -> set[str] | None:
    """The JSON types a schema admits (None: unknown / anything)."""
    if not schema:
        return None
    kind = schema.get("type")
    if isinstance(kind, str):
        found = {kind}
    elif isinstance(kind, list):
        found = {k for k in kind if isinstance(k, str)}
    elif "enum" in schema:
        found = {_type_of(v) for v in schema["enum"]}
    elif any(k in schema for k in ("anyOf", "oneOf")):
        found = set()
        for sub in schema.get("anyOf", []) + schema.get("oneOf", []):
            types = schema_types(sub) if isinstance(sub, Mapping) else None
            if types is None:
                return None
            found |= types
    else:
        return None
    if "integer" in found:
        found.add("number")  # an integer is a number; the reverse is checked by the tool
    return found & _JSON_TYPES or None


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _field(schema: Mapping[str, Any] | None, parts: list[str]) -> tuple[Mapping[str, Any] | None, str | None]:
    """The sub-schema at ``parts`` of a result schema, or an error naming the fields there are."""
    for i, part in enumerate(parts):
        if not schema:
            return None, None
        props = schema.get("properties")
        if isinstance(props, Mapping):
            if part in props:
                schema = props[part]
                continue
            if schema.get("additionalProperties") in (None, False):
                where = ".".join(parts[:i]) or "the result"
                return None, f"{where} has no field {part!r}; its fields are {sorted(props)}"
            return None, None
        items = schema.get("items")
        if part.isdigit() and isinstance(items, Mapping):
            schema = items
            continue
        if schema.get("type") in ("string", "number", "integer", "boolean"):
            return None, f"{'.'.join(parts[:i]) or 'the result'} is a {schema['type']}, it has no field {part!r}"
        return None, None
    return schema, None


def _positions(value: Any, schema: Mapping[str, Any] | None, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(path, value, schema of that position) for every value in ``value``, walking the schema alongside."""
    yield path, value, schema
    schema = _object_branch(schema, value)
    if isinstance(value, Mapping):
        props = (schema or {}).get("properties") or {}
        for key, sub in value.items():
            yield from _positions(sub, props.get(key), f"{path}.{key}")
    elif isinstance(value, list):
        items = (schema or {}).get("items")
        for i, sub in enumerate(value):
            yield from _positions(sub, items if isinstance(items, Mapping) else None, f"{path}[{i}]")


def _object_branch(schema: Mapping[str, Any] | None, value: Any) -> Mapping[str, Any] | None:
    """For an anyOf, the branch that fits the value's container type (objects and arrays)."""
    if not schema or "anyOf" not in schema:
        return schema
    want = "object" if isinstance(value, Mapping) else "array" if isinstance(value, list) else None
    for sub in schema["anyOf"]:
        if isinstance(sub, Mapping) and sub.get("type") == want:
            return sub
    return schema


def check_references(
    step_tool: str,
    args: Mapping[str, Any],
    params: Mapping[str, Any],
    source_tools: Mapping[str, BaseTool | None],
) -> tuple[list[str], set[str]]:
    """Problems with the references in one step's ``args`` (fields that do not exist, types that do not fit),
    and the argument paths holding whole references (their values are checked here, not by the schema)."""
    problems: list[str] = []
    whole_paths: set[str] = set()
    for path, value, target in _positions(dict(args), params, "$"):
        if not isinstance(value, str):
            continue
        whole = WHOLE_REFERENCE.fullmatch(value)
        for m in _ANY_REFERENCE.finditer(value):
            src, dotted = m.group(1), m.group(2)
            if src not in source_tools:
                continue  # an unknown step: reported by the plan checks
            tool = source_tools[src]
            found, error = _field(output_schema(tool), dotted.split(".")[1:] if dotted else [])
            if error:
                name = tool.name if tool is not None else "?"
                problems.append(f"{path}: {m.group(0)}: the result of {src} ({name}): {error}")
                continue
            if whole is None:
                continue
            have, want = schema_types(found), schema_types(target)
            if have and want and not (have & want) and "string" not in want:
                problems.append(
                    f"{path}: {value} is {'/'.join(sorted(have))} (from {src}), but {step_tool} takes "
                    f"{'/'.join(sorted(want))} here"
                )
        if whole is not None:
            whole_paths.add(path)
    return problems, whole_paths


def resolve_for_schema(args: Any, results: Mapping[str, Any], schema: Mapping[str, Any] | None) -> Any:
    """Resolve references in ``args``; a whole reference into a string-only argument becomes text."""
    resolved = resolve_references(args, results)
    return _as_text_where_string(args, resolved, schema)


def _as_text_where_string(raw: Any, value: Any, schema: Mapping[str, Any] | None) -> Any:
    schema = _object_branch(schema, value)
    if isinstance(raw, str) and WHOLE_REFERENCE.fullmatch(raw) and not isinstance(value, str):
        if schema_types(schema) == {"string"}:
            return json.dumps(value, ensure_ascii=False)
        return value
    if isinstance(raw, Mapping) and isinstance(value, Mapping):
        props = (schema or {}).get("properties") or {}
        return {k: _as_text_where_string(raw.get(k), v, props.get(k)) for k, v in value.items()}
    if isinstance(raw, list) and isinstance(value, list) and len(raw) == len(value):
        items = (schema or {}).get("items")
        sub = items if isinstance(items, Mapping) else None
        return [_as_text_where_string(r, v, sub) for r, v in zip(raw, value, strict=True)]
    return value
