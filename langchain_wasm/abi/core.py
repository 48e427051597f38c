"""The core calling convention: exported functions over numbers; the tool schema comes from the function type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_wasm.runtime.values import F32_MAX, INT_RANGES

__all__ = ["number_schema"]


def number_schema(kind: str, param: Mapping[str, Any]) -> dict[str, Any]:
    """JSON Schema of one numeric wasm value (exact integer range; f32 bounded), with manifest overrides."""
    if kind in INT_RANGES:
        lo, hi = INT_RANGES[kind]
        schema: dict[str, Any] = {"type": "integer", "minimum": lo, "maximum": hi}
    else:
        schema = {"type": "number"}
        if kind == "f32":
            schema.update(minimum=-F32_MAX, maximum=F32_MAX)
    for key in ("minimum", "maximum"):
        if key in param:
            schema[key] = param[key]
    if param.get("description"):
        schema["description"] = param["description"]
    return schema
