"""JSON Schemas of buffer-ABI params and results, as a model sees them (bytes travel as UTF-8 text)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_wasm.runtime.values import F32_MAX, INT_RANGES

__all__ = ["buffer_param_schema", "buffer_result_schema"]

_NUMBER_ARRAYS = {"f64_array": "number", "f32_array": "number", "i32_array": "integer"}


def _with_description(schema: dict[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    if spec.get("description"):
        schema["description"] = spec["description"]
    return schema


def buffer_param_schema(param: Mapping[str, Any]) -> dict[str, Any]:
    """Schema of one buffer-ABI param (``param`` is the manifest entry: name, type, description)."""
    kind = param["type"]
    schema: dict[str, Any]
    if kind in ("bytes", "string"):
        schema = {"type": "string"}
    elif kind in _NUMBER_ARRAYS:
        item: dict[str, Any] = {"type": _NUMBER_ARRAYS[kind]}
        if kind == "i32_array":
            item.update(minimum=INT_RANGES["i32"][0], maximum=INT_RANGES["i32"][1])
        if kind == "f32_array":
            item.update(minimum=-F32_MAX, maximum=F32_MAX)
        schema = {"type": "array", "items": item}
    elif kind == "f64_matrix":
        schema = {
            "type": "array",
            "minItems": 1,
            "items": {"type": "array", "minItems": 1, "items": {"type": "number"}},
        }
    elif kind in INT_RANGES:
        lo, hi = INT_RANGES[kind]
        schema = {"type": "integer", "minimum": lo, "maximum": hi}
    else:
        schema = {"type": "number"}
    for key in ("minimum", "maximum"):
        if key in param:
            schema[key] = param[key]
    return _with_description(schema, param)


def buffer_result_schema(result: Mapping[str, Any]) -> dict[str, Any]:
    """Schema of a buffer-ABI result (``result`` is the manifest's ``[result]`` table)."""
    kind = result["type"]
    schema: dict[str, Any]
    if kind in ("bytes", "string"):
        schema = {"type": "string"}
    elif kind == "hex":
        schema = {"type": "string", "pattern": "^[0-9a-f]*$"}
    elif kind == "json":
        schema = {}
    elif kind == "f64_matrix":
        schema = {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}
    else:
        schema = {"type": "array", "items": {"type": _NUMBER_ARRAYS[kind]}}
    return _with_description(schema, result)
