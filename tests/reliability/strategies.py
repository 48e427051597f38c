"""Hypothesis strategies for the property tests: values for the JSON Schemas the runtime derives, and garbage.

``from_schema`` covers the subset of JSON Schema that ``langchain_wasm`` derives or guest manifests use (types,
enum/const, anyOf/oneOf, prefixItems/items, min/max items, lengths, patterns, bounds, required,
additionalProperties, uniqueItems). Values are JSON-representable (finite floats, no lone surrogates): what a
model can actually send.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Examples per property; the default keeps the whole reliability suite within CI's budget.
EXAMPLES = int(os.environ.get("LCW_PROPERTY_EXAMPLES", "100"))

SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # seeded: the same cases on every run and every machine
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

text_chars = st.characters(exclude_categories=("Cs",))
any_chars = st.one_of(text_chars, st.characters(categories=("Cs",)))
finite = st.floats(allow_nan=False, allow_infinity=False)


def from_schema(schema: Any, *, depth: int = 0) -> st.SearchStrategy[Any]:
    """JSON values valid against ``schema`` (the derived subset; see the module docstring)."""
    if schema is True or schema == {}:
        return json_values(max_leaves=4)
    if schema is False:
        return st.nothing()
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of(*(from_schema(s, depth=depth + 1) for s in schema[key]))
    kind = schema.get("type")
    if kind == "integer":
        lo, hi = schema.get("minimum", -(2**70)), schema.get("maximum", 2**70)
        return st.integers(lo, hi) | st.sampled_from([lo, hi])
    if kind == "number":
        lo, hi = schema.get("minimum"), schema.get("maximum")
        return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False) | st.integers(
            int(max(lo, -(2**60))) if lo is not None else -(2**60), int(min(hi, 2**60)) if hi is not None else 2**60
        )
    if kind == "string":
        lo, hi = schema.get("minLength", 0), schema.get("maxLength", 30)
        if "pattern" in schema:
            return st.from_regex(schema["pattern"]).filter(lambda s: lo <= len(s) <= hi)
        return st.text(text_chars, min_size=lo, max_size=min(hi, lo + 30))
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        lo, hi = schema.get("minItems", 0), schema.get("maxItems", 4)
        if "prefixItems" in schema:
            return st.tuples(*(from_schema(s, depth=depth + 1) for s in schema["prefixItems"])).map(list)
        items = from_schema(schema.get("items", {}), depth=depth + 1)
        return st.lists(items, min_size=lo, max_size=max(lo, min(hi, 4)), unique=schema.get("uniqueItems", False))
    if kind == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v, depth=depth + 1) for k, v in props.items() if k in required},
            optional={k: from_schema(v, depth=depth + 1) for k, v in props.items() if k not in required},
        )
    raise ValueError(f"no strategy for schema {json.dumps(schema)[:200]}")


def json_values(max_leaves: int = 10) -> st.SearchStrategy[Any]:
    """Any JSON value (finite numbers, valid Unicode)."""
    scalars = st.none() | st.booleans() | st.integers() | finite | st.text(text_chars, max_size=10)
    return st.recursive(
        scalars,
        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(text_chars, max_size=6), c, max_size=4),
        max_leaves=max_leaves,
    )


def garbage(words: list[str] | tuple[str, ...] = ()) -> st.SearchStrategy[Any]:
    """Arbitrary Python/JSON-like values biased to the edges: huge and integral-float numbers, NaN/inf,
    lone surrogates, near-miss names, wrong shapes."""
    word = st.sampled_from(sorted(words)) if words else st.text(max_size=4)
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.sampled_from([2**31, 2**63, 2**64, -(2**63) - 1, -1, 10**400]),
        st.floats(),
        st.sampled_from([5.0, 2.0**63, 1e39, -0.0, math.nan, math.inf, -math.inf]),
        st.text(any_chars, max_size=6),
        st.binary(max_size=9),
        word,
    )
    return st.recursive(
        scalars,
        lambda c: st.lists(c, max_size=4) | st.dictionaries(word | st.text(max_size=3), c, max_size=3),
        max_leaves=8,
    )


def schema_words(schema: Any) -> list[str]:
    """Property names and enum/const strings in ``schema``, for near-miss garbage."""
    out: set[str] = set()

    def walk(s: Any) -> None:
        if isinstance(s, dict):
            out.update(k for k in s.get("properties", {}) if isinstance(k, str))
            out.update(v for v in s.get("enum", []) if isinstance(v, str))
            if isinstance(s.get("const"), str):
                out.add(s["const"])
            for v in s.values():
                walk(v)
        elif isinstance(s, list):
            for v in s:
                walk(v)

    walk(schema)
    return sorted(out)


def has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, list | tuple):
        return any(has_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(has_surrogate(k) or has_surrogate(v) for k, v in value.items())
    return False
