"""WIT types as JSON Schema, and JSON-like values to and from wasmtime-py's component values.

The JSON form is what a model writes and reads:

| WIT | JSON |
|---|---|
| bool, u8..u64, s8..s64 | boolean, integer with the type's exact range |
| f32, f64 | number (f32 range-limited) |
| char | one-character string |
| string | string |
| list<T> | array (list<u8> too: integers 0..255) |
| option<T> | T or null |
| result<T, E> | ``{"ok": T}`` or ``{"err": E}`` (``null`` for a missing payload) |
| tuple<...> | fixed-length array |
| record | object with every field required (WIT field names, kebab-case) |
| variant | ``"case"`` for a case without payload, ``{"case": payload}`` otherwise |
| enum | one of the case names |
| flags | array of distinct flag names |

Resources, streams, futures and error-context are not tool-shaped and are refused when a function is bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wasmtime import component as wc

from langchain_wasm.runtime.values import F32_MAX

__all__ = ["UnsupportedValueError", "UnsupportedWitTypeError", "type_name", "json_schema", "to_wasm", "from_wasm"]

_INTS: dict[type, tuple[int, int]] = {
    wc.U8: (0, 2**8 - 1),
    wc.U16: (0, 2**16 - 1),
    wc.U32: (0, 2**32 - 1),
    wc.U64: (0, 2**64 - 1),
    wc.S8: (-(2**7), 2**7 - 1),
    wc.S16: (-(2**15), 2**15 - 1),
    wc.S32: (-(2**31), 2**31 - 1),
    wc.S64: (-(2**63), 2**63 - 1),
}
_SIMPLE = {wc.Bool: "bool", wc.F32: "f32", wc.F64: "f64", wc.Char: "char", wc.String: "string"}


class UnsupportedWitTypeError(TypeError):
    """A WIT type with no JSON form for tool calls (resources, streams, futures, error-context)."""


class UnsupportedValueError(ValueError):
    """A value that fits the JSON Schema but cannot be passed safely (e.g. a lone surrogate in a char)."""


def type_name(ty: Any) -> str:
    """WIT spelling of ``ty`` (for messages and descriptions)."""
    t = type(ty)
    if t in _INTS:
        return t.__name__.lower()
    if t in _SIMPLE:
        return _SIMPLE[t]
    if isinstance(ty, wc.ListType):
        return f"list<{type_name(ty.element)}>"
    if isinstance(ty, wc.OptionType):
        return f"option<{type_name(ty.payload)}>"
    if isinstance(ty, wc.ResultType):
        ok = type_name(ty.ok) if ty.ok is not None else "_"
        err = type_name(ty.err) if ty.err is not None else "_"
        return f"result<{ok}, {err}>"
    if isinstance(ty, wc.TupleType):
        return "tuple<" + ", ".join(type_name(e) for e in ty.elements) + ">"
    if isinstance(ty, wc.RecordType):
        return "record{" + ", ".join(n for n, _ in ty.fields) + "}"
    if isinstance(ty, wc.VariantType):
        return "variant{" + ", ".join(n for n, _ in ty.cases) + "}"
    if isinstance(ty, wc.EnumType):
        return "enum{" + ", ".join(ty.names) + "}"
    if isinstance(ty, wc.FlagsType):
        return "flags{" + ", ".join(ty.names) + "}"
    return t.__name__


def _tagged_object(tag: str, payload_schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {tag: payload_schema}, "required": [tag], "additionalProperties": False}


def json_schema(ty: Any) -> dict[str, Any]:
    """JSON Schema of values of WIT type ``ty``."""
    t = type(ty)
    if t in _INTS:
        lo, hi = _INTS[t]
        return {"type": "integer", "minimum": lo, "maximum": hi}
    if t is wc.Bool:
        return {"type": "boolean"}
    if t is wc.F32:
        return {"type": "number", "minimum": -F32_MAX, "maximum": F32_MAX}
    if t is wc.F64:
        return {"type": "number"}
    if t is wc.Char:
        return {"type": "string", "minLength": 1, "maxLength": 1}
    if t is wc.String:
        return {"type": "string"}
    if isinstance(ty, wc.ListType):
        return {"type": "array", "items": json_schema(ty.element)}
    if isinstance(ty, wc.OptionType):
        return {"anyOf": [json_schema(ty.payload), {"type": "null"}]}
    if isinstance(ty, wc.ResultType):
        ok = json_schema(ty.ok) if ty.ok is not None else {"type": "null"}
        err = json_schema(ty.err) if ty.err is not None else {"type": "null"}
        return {"oneOf": [_tagged_object("ok", ok), _tagged_object("err", err)]}
    if isinstance(ty, wc.TupleType):
        items = [json_schema(e) for e in ty.elements]
        return {"type": "array", "prefixItems": items, "items": False, "minItems": len(items), "maxItems": len(items)}
    if isinstance(ty, wc.RecordType):
        fields = ty.fields
        return {
            "type": "object",
            "properties": {name: json_schema(fty) for name, fty in fields},
            "required": [name for name, _ in fields],
            "additionalProperties": False,
        }
    if isinstance(ty, wc.VariantType):
        options = [{"const": name} if cty is None else _tagged_object(name, json_schema(cty)) for name, cty in ty.cases]
        return {"oneOf": options}
    if isinstance(ty, wc.EnumType):
        return {"type": "string", "enum": list(ty.names)}
    if isinstance(ty, wc.FlagsType):
        return {"type": "array", "items": {"type": "string", "enum": list(ty.names)}, "uniqueItems": True}
    raise UnsupportedWitTypeError(f"WIT type {type_name(ty)} cannot be passed to or from a tool")


def _variant_cases(ty: Any) -> list[tuple[str, Any]]:
    if isinstance(ty, wc.OptionType):
        return [("none", None), ("some", ty.payload)]
    if isinstance(ty, wc.ResultType):
        return [("ok", ty.ok), ("err", ty.err)]
    return list(ty.cases)


def _text(ty: Any, value: Any) -> str:
    # A lone surrogate in a `char` makes wasmtime's C API panic and abort the whole process (seen with 49.0.0);
    # JSON "\ud800" decodes to exactly that, so text is checked to be encodable before it goes near the guest.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsupportedValueError(
            f"{type_name(ty)} value {value!r} is not valid Unicode (a lone surrogate)"
        ) from None
    return str(value)


def to_wasm(ty: Any, value: Any) -> Any:
    """A JSON-like ``value`` (already valid against ``json_schema(ty)``) as wasmtime-py expects it.

    Raises ``UnsupportedValueError`` for text that is not valid Unicode and integers too large for a float.
    """
    if isinstance(ty, wc.Char | wc.String):
        return _text(ty, value)
    if type(ty) in _INTS:
        # JSON Schema's "integer" admits 5.0; wasmtime-py wants an int (and raises TypeError for a float).
        return int(value) if isinstance(value, float) else value
    if isinstance(ty, wc.F32 | wc.F64):
        try:
            return float(value)
        except OverflowError:
            raise UnsupportedValueError(f"{type_name(ty)} value {value} is too large for a float") from None
    if type(ty) in _SIMPLE:
        return value
    if isinstance(ty, wc.ListType):
        items = [to_wasm(ty.element, v) for v in value]
        return bytes(items) if isinstance(ty.element, wc.U8) else items
    if isinstance(ty, wc.TupleType):
        return tuple(to_wasm(e, v) for e, v in zip(ty.elements, value, strict=True))
    if isinstance(ty, wc.RecordType):
        record = wc.Record()
        for name, fty in ty.fields:
            setattr(record, name, to_wasm(fty, value[name]))
        return record
    if isinstance(ty, wc.EnumType):
        return value
    if isinstance(ty, wc.FlagsType):
        return set(value)
    if isinstance(ty, wc.OptionType):
        if value is None:
            return wc.Variant("none") if ty._tagged() else None
        inner = to_wasm(ty.payload, value)
        return wc.Variant("some", inner) if ty._tagged() else _check_routing(ty, "some", inner)
    if isinstance(ty, wc.ResultType | wc.VariantType):
        if isinstance(value, str):
            tag, payload = value, None
        else:
            ((tag, payload),) = value.items()
        cty = dict(_variant_cases(ty))[tag]
        inner = None if cty is None else to_wasm(cty, payload)
        return wc.Variant(tag, inner) if ty._tagged() else _check_routing(ty, tag, inner)
    raise UnsupportedWitTypeError(f"WIT type {type_name(ty)} cannot be passed to a tool")


def _check_routing(ty: Any, tag: str, value: Any) -> Any:
    """``value`` for case ``tag`` of an untagged variant-like type, if wasmtime-py will lower it as that case.

    wasmtime-py passes such values without a tag and picks the first case whose Python classes match, but its
    overlap test misses subclasses (``bool`` is an ``int``) and a case that matches everything (a variant with a
    payload-less case, which contributes ``object``). Such a value would silently become another case, or fail
    deep inside wasmtime-py; it is refused here instead.
    """
    try:
        routed = _untagged_case(ty, value)
    except TypeError:
        routed = "none of them"
    if routed != tag:
        raise UnsupportedValueError(
            f"case {tag!r} of {type_name(ty)} cannot be passed by wasmtime-py: its value {value!r} is taken for "
            f"the earlier case {routed!r} (an ambiguity in wasmtime-py's untagged variants)"
        )
    return value


def _untagged_case(ty: Any, value: Any) -> str:
    for name, cty in _variant_cases(ty):
        if cty is None:
            if value is None:
                return name
            continue
        classes: set[type] = set()
        cty.add_classes(classes)
        if isinstance(value, tuple(classes)):
            return name
    raise TypeError(f"value {value!r} matches no case of {type_name(ty)}")


def from_wasm(ty: Any, value: Any) -> Any:
    """A wasmtime-py component value of type ``ty`` as JSON-like data (see the table in this module)."""
    if type(ty) in _INTS or type(ty) in _SIMPLE:
        return value
    if isinstance(ty, wc.ListType):
        return [from_wasm(ty.element, v) for v in value]
    if isinstance(ty, wc.TupleType):
        return [from_wasm(e, v) for e, v in zip(ty.elements, value, strict=True)]
    if isinstance(ty, wc.RecordType):
        return {name: from_wasm(fty, getattr(value, name)) for name, fty in ty.fields}
    if isinstance(ty, wc.EnumType):
        return value
    if isinstance(ty, wc.FlagsType):
        return sorted(value, key=list(ty.names).index)
    if isinstance(ty, wc.OptionType | wc.ResultType | wc.VariantType):
        # wasmtime-py tags a variant-like value only when its cases' Python types overlap; an untagged value
        # may itself be a (tagged) Variant of an inner type, so the outer type decides, not the value.
        if ty._tagged():
            tag, payload = value.tag, value.payload
        else:
            tag, payload = _untagged_case(ty, value), value
        cty = dict(_variant_cases(ty))[tag]
        inner = None if cty is None else from_wasm(cty, payload)
        if isinstance(ty, wc.OptionType):
            return inner
        if isinstance(ty, wc.VariantType) and cty is None:
            return tag
        return {tag: inner}
    raise UnsupportedWitTypeError(f"WIT type {type_name(ty)} cannot be returned to a tool")


def describe_params(params: Sequence[tuple[str, Any]]) -> Mapping[str, dict[str, Any]]:
    """JSON Schema per param name."""
    return {name: json_schema(ty) for name, ty in params}
