"""Arguments of plain-scalar schemas skip the second validation (``to_guest_flat``); the result must not change.

``BaseTool`` validates the model's arguments before ``_run``; for a schema of plain scalars ``WasmTool`` then only
renames keys, drops left-out optionals and adds schema defaults. These tests feed both conversions what
``BaseTool._parse_input`` really hands ``_run`` and require the same guest JSON, and check the cases that must
fall back to the full conversion.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ValidationError, field_serializer

from langchain_wasm import WasmModule, WasmTool
from langchain_wasm.tools._schema import flat_plan, model_from_schema, to_guest, to_guest_flat

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "count": {"type": "integer", "minimum": -5, "maximum": 1000, "description": "how many"},
        "from-unit": {"type": "string", "maxLength": 8},
        "scale": {"type": "number"},
        "loud": {"type": "boolean", "default": False},
        "note": {"type": "string"},
        "ratio": {"type": "number", "default": 0.5},
    },
    "required": ["count", "from-unit"],
    "additionalProperties": False,
}
MODEL = model_from_schema("probe", SCHEMA)


class _Probe(BaseTool):
    name: str = "probe"
    description: str = "probe"
    args_schema: type[BaseModel] = MODEL

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        return kwargs


PROBE = _Probe()
PLAN = flat_plan(MODEL, SCHEMA)

values = st.fixed_dictionaries(
    {"count": st.one_of(st.integers(-10, 1010), st.floats(allow_nan=True), st.booleans(), st.text(max_size=3))},
    optional={
        "from_unit": st.one_of(st.text(max_size=10), st.integers()),
        "scale": st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-(10**6), 10**6)),
        "loud": st.one_of(st.booleans(), st.none()),
        "note": st.one_of(st.text(max_size=5), st.none()),
        "ratio": st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.none()),
    },
)


def test_the_plan_is_made_for_a_plain_schema_and_used():
    assert PLAN is not None
    validated = PROBE._parse_input({"count": 3, "from_unit": "m"}, None)
    assert isinstance(validated, dict)
    fast = to_guest_flat(PLAN, dict(validated))
    assert (
        fast == to_guest(MODEL, dict(validated), SCHEMA) == {"count": 3, "from-unit": "m", "loud": False, "ratio": 0.5}
    )


@settings(max_examples=400, deadline=None)
@given(values)
def test_flat_conversion_equals_the_full_one(raw):
    try:
        validated = PROBE._parse_input(dict(raw), None)
    except ValidationError:
        return  # BaseTool refuses these before _run: nothing to convert
    assert isinstance(validated, dict)
    fast = to_guest_flat(PLAN, dict(validated))
    full = to_guest(MODEL, dict(validated), SCHEMA)
    assert fast is None or fast == full
    if fast is not None:
        assert [type(v) for v in fast.values()] == [type(v) for v in full.values()]


def test_values_validation_never_gives_take_the_full_way():
    """Called directly (not through BaseTool), odd values are not taken as they are."""
    assert to_guest_flat(PLAN, {"count": "3", "from_unit": "m"}) is None
    assert to_guest_flat(PLAN, {"count": True, "from_unit": "m"}) is None
    assert to_guest_flat(PLAN, {"count": 1, "from_unit": "m", "scale": float("inf")}) is None
    assert to_guest_flat(PLAN, {"count": 1, "from_unit": "m", "other": 1}) is None
    assert to_guest_flat(PLAN, {"count": 1, "from_unit": "m", "scale": 2}) is None  # a float field gives floats


def test_schemas_that_need_the_full_conversion_get_no_plan():
    nested = {"type": "object", "properties": {"p": {"type": "object", "properties": {"x": {"type": "integer"}}}}}
    assert flat_plan(model_from_schema("n", nested), nested) is None
    listed = {"type": "object", "properties": {"xs": {"type": "array", "items": {"type": "integer"}}}}
    assert flat_plan(model_from_schema("l", listed), listed) is None
    enum = {"type": "object", "properties": {"c": {"type": "string", "enum": ["a", "b"]}}}
    assert flat_plan(model_from_schema("e", enum), enum) is None

    class Serialized(BaseModel):
        a: int

        @field_serializer("a")
        def _twice(self, v: int) -> int:
            return 2 * v

    plain = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    assert flat_plan(Serialized, plain) is None


def test_wasm_tool_results_are_unchanged_by_the_shortcut():
    mod = WasmModule.from_wat(
        '(module (func (export "sub") (param i32 i32) (result i32) local.get 0 local.get 1 i32.sub))', name="sub"
    )
    tool = WasmTool.from_module(mod, export="sub", name="sub", description="a - b")
    assert tool._flat[1] is not None
    assert tool.invoke({"arg0": 50, "arg1": 8}) == "42"
    msg = tool.invoke({"type": "tool_call", "id": "1", "name": "sub", "args": {"arg0": 1, "arg1": 2**31 - 1}})
    assert msg.content == str(1 - (2**31 - 1))
    bad = tool.invoke({"type": "tool_call", "id": "2", "name": "sub", "args": {"arg0": 2**31, "arg1": 0}})
    assert bad.status == "error"


def test_run_annotations_are_resolved_once():
    for method in (WasmTool._run, WasmTool._arun):
        assert not any(isinstance(a, str) for a in method.__annotations__.values())


@pytest.mark.parametrize("value", [7, -3, 0])
def test_integer_content_is_its_json(value):
    mod = WasmModule.from_wat('(module (func (export "id") (param i32) (result i32) local.get 0))', name="id")
    tool = WasmTool.from_module(mod, export="id", name="id", description="identity")
    assert tool.invoke({"arg0": value}) == str(value)
