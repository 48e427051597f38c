"""The fast argument check of core guests never accepts what the JSON Schema validator would refuse."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from langchain_wasm.abi.core import number_schema
from langchain_wasm.guest.bindings import plain_numbers_check

SCHEMA = {
    "type": "object",
    "properties": {
        "a": number_schema("i32", {}),
        "b": number_schema("i64", {"minimum": -5, "maximum": 5}),
        "c": number_schema("f32", {}),
        "d": number_schema("f64", {}),
    },
    "required": ["a", "b", "c", "d"],
    "additionalProperties": False,
}
VALIDATOR = Draft202012Validator(SCHEMA)
CHECK = plain_numbers_check(SCHEMA)

values = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-(2**31) - 2, max_value=2**31 + 1),
    st.integers(min_value=-7, max_value=7),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
)
keys = st.sampled_from(["a", "b", "c", "d", "e"])


@settings(max_examples=3000, deadline=None)
@given(st.dictionaries(keys, values, min_size=0, max_size=5))
def test_never_accepts_what_jsonschema_refuses(args):
    if CHECK(args):
        assert VALIDATOR.is_valid(args), args


@settings(max_examples=500, deadline=None)
@given(
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.integers(min_value=-5, max_value=5),
    st.floats(min_value=-1e30, max_value=1e30),
    st.floats(allow_nan=False, allow_infinity=False),
)
def test_accepts_the_plain_valid_case(a, b, c, d):
    assert CHECK({"a": a, "b": b, "c": c, "d": d})


def test_refuses_the_tricky_cases_and_defers_to_jsonschema():
    ok = {"a": 1, "b": 2, "c": 1.5, "d": 2.5}
    assert CHECK(ok)
    for bad in (
        {**ok, "a": True},  # bool is an int subclass; JSON Schema says it is not an integer
        {**ok, "a": 2**31},  # out of the i32 range
        {**ok, "b": 6},  # past the manifest's bound
        {**ok, "d": math.nan},
        {**ok, "e": 1},  # an extra key
        {"a": 1, "b": 2, "c": 1.5},  # a missing key
        {**ok, "a": 3.0},  # an integral float: jsonschema decides (it accepts it)
    ):
        assert not CHECK(bad), bad


def test_other_schemas_always_go_to_jsonschema():
    assert not plain_numbers_check({"type": "object", "properties": {"s": {"type": "string"}}, "required": ["s"]})({})
    pattern = {**SCHEMA, "properties": {"a": {"type": "integer", "multipleOf": 2}}, "required": ["a"]}
    assert not plain_numbers_check(pattern)({"a": 3})
    open_schema = {**SCHEMA, "additionalProperties": True}
    assert not plain_numbers_check(open_schema)({"a": 1, "b": 2, "c": 1.5, "d": 2.5})
