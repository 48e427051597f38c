"""JSON Schema (as derived by the runtime from signatures, WIT types or manifests) to pydantic models.

The model is what LangChain shows the LLM (``tool_call_schema``) and what validates its arguments. Top-level
fields get Python-safe names (``from-unit`` becomes ``from_unit``; LangChain filters parsed arguments by
top-level name, so they cannot be aliases); nested objects keep their original keys as aliases. ``to_guest``
turns a validated model back into the guest's JSON with the original names everywhere.
"""

from __future__ import annotations

import copy
import keyword
import math
import re
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

__all__ = ["flat_plan", "model_from_schema", "python_name", "to_guest", "to_guest_flat"]


def python_name(name: str) -> str:
    """A valid, non-keyword Python identifier for a JSON/WIT name."""
    out = re.sub(r"\W", "_", name.replace("-", "_"))
    if not out or out[0].isdigit():
        out = f"f_{out}"
    if keyword.iskeyword(out) or out.startswith("model_"):
        out = f"{out}_"
    return out


def _title(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name) if part) or "Args"


def _unique_items(items: list[Any]) -> list[Any]:
    """``uniqueItems``: JSON Schema compares items as JSON values (so 1 and 1.0 are the same item)."""
    seen: list[Any] = []
    for item in items:
        if any(item == other and isinstance(item, bool) == isinstance(other, bool) for other in seen):
            raise ValueError(f"items must be unique; {item!r} appears more than once")
        seen.append(item)
    return items


class _Builder:
    def __init__(self, root_name: str) -> None:
        self.root_name = root_name
        self.count = 0

    def annotation(self, schema: dict[str, Any] | bool, hint: str) -> Any:
        """The Python type for ``schema``, with constraints as ``Field`` metadata where pydantic has them."""
        if isinstance(schema, bool) or not schema:
            return Any
        if "const" in schema:
            return Literal[schema["const"]]
        if "enum" in schema:
            return Literal[tuple(schema["enum"])]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = schema[key]
                non_null = [o for o in options if o.get("type") != "null"]
                types = [self.annotation(o, f"{hint}_{i}") for i, o in enumerate(non_null)]
                inner = types[0] if len(types) == 1 else Union[tuple(types)]  # noqa: UP007
                return Optional[inner] if len(non_null) < len(options) else inner  # noqa: UP045
        kind = schema.get("type")
        if kind == "integer" or kind == "number":
            base: Any = int if kind == "integer" else float
            return Annotated[base, Field(ge=schema.get("minimum"), le=schema.get("maximum"))]
        if kind == "string":
            return Annotated[
                str,
                Field(
                    min_length=schema.get("minLength"),
                    max_length=schema.get("maxLength"),
                    pattern=schema.get("pattern"),
                ),
            ]
        if kind == "boolean":
            return bool
        if kind == "null":
            return type(None)
        if kind == "array":
            if "prefixItems" in schema:
                items = tuple(self.annotation(s, f"{hint}_{i}") for i, s in enumerate(schema["prefixItems"]))
                return tuple.__class_getitem__(items)
            item = self.annotation(schema.get("items", {}), f"{hint}_item")
            constraints: list[Any] = [Field(min_length=schema.get("minItems"), max_length=schema.get("maxItems"))]
            if schema.get("uniqueItems"):
                constraints.append(AfterValidator(_unique_items))
            return Annotated[(list.__class_getitem__(item), *constraints)]
        if kind == "object":
            if "properties" in schema:
                return self.model(schema, hint, top_level=False)
            return dict[str, Any]
        return Any

    def model(self, schema: dict[str, Any], name: str, *, top_level: bool) -> type[BaseModel]:
        required = set(schema.get("required", []))
        fields: dict[str, Any] = {}
        for key, sub in schema.get("properties", {}).items():
            field_name = python_name(key)
            ann = self.annotation(sub, f"{name}_{field_name}")
            kwargs: dict[str, Any] = {}
            if sub.get("description"):
                kwargs["description"] = sub["description"]
            if not top_level and field_name != key:
                kwargs["alias"] = key
            default: Any = ... if key in required else sub.get("default")
            fields[field_name] = (ann, Field(default, **kwargs))
        extra: Literal["forbid", "ignore"] = "forbid" if schema.get("additionalProperties") is False else "ignore"
        config = ConfigDict(extra=extra, populate_by_name=True)
        model: type[BaseModel] = create_model(
            _title(name), __config__=config, __doc__=schema.get("description"), **fields
        )
        return model


def model_from_schema(name: str, schema: dict[str, Any]) -> type[BaseModel]:
    """A pydantic model for an arguments object schema (``{"type": "object", "properties": ...}``)."""
    if schema.get("type") != "object":
        raise ValueError(f"{name}: tool arguments must be described by an object schema, got {schema.get('type')!r}")
    return _Builder(name).model(schema, name, top_level=True)


def _accepts_null(schema: Any) -> bool:
    if not isinstance(schema, dict) or not schema:
        return True  # `true` / `{}`: anything, null included
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if "const" in schema:
        return schema["const"] is None
    if "enum" in schema:
        return None in schema["enum"]
    return any(_accepts_null(option) for key in ("anyOf", "oneOf") for option in schema.get(key, []))


def to_guest(model: type[BaseModel], values: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Validate ``values`` (top-level Python names) and return the guest's JSON with its original names.

    An optional property left out stays out, even when LangChain passes it as its pydantic default ``None``
    (``None`` is then dropped for optional properties whose schema does not accept null); one with a
    ``default`` in the schema is sent with that default.
    """
    properties = schema.get("properties", {})
    names = {python_name(k): k for k in properties}
    required = set(schema.get("required", []))
    values = {
        k: v
        for k, v in values.items()
        if not (v is None and names.get(k, k) not in required and not _accepts_null(properties.get(names.get(k, k))))
    }
    instance = model.model_validate(values)
    dumped = instance.model_dump(by_alias=True, mode="json", exclude_unset=True)
    out = {names.get(k, k): v for k, v in dumped.items()}
    for key, sub in properties.items():
        if key not in out and isinstance(sub, dict) and "default" in sub:
            out[key] = copy.deepcopy(sub["default"])
    return out


_PLAIN_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
}
_FLAT_KEYWORDS = {"type", "description", "title", "default", "minimum", "maximum", "minLength", "maxLength", "pattern"}
#: per top-level Python name: (the guest's name, the exact Python types its value may have, drop a None)
FlatPlan = tuple[dict[str, tuple[str, tuple[type, ...], bool]], tuple[tuple[str, Any], ...]]


def flat_plan(model: type[BaseModel], schema: dict[str, Any]) -> FlatPlan | None:
    """How to turn arguments that ``model`` already validated into the guest's JSON without validating again,
    when every property is one plain scalar and ``model`` dumps its fields as they are; ``None`` otherwise.

    LangChain's ``BaseTool`` has validated the arguments with ``model`` before ``_run``; for such a schema
    ``to_guest`` would only rename keys, drop left-out optionals and add schema defaults, which this plan does
    without a second ``model_validate`` + ``model_dump`` (~10 us per call).
    """
    decorators = model.__pydantic_decorators__
    if decorators.field_serializers or decorators.model_serializers or decorators.computed_fields:
        return None
    for name, info in model.model_fields.items():
        if info.alias not in (None, name) or info.serialization_alias not in (None, name):
            return None
        if info.annotation not in (int, float, str, bool):
            return None
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    plan: dict[str, tuple[str, tuple[type, ...], bool]] = {}
    defaults: list[tuple[str, Any]] = []
    for key, sub in properties.items():
        if not isinstance(sub, dict) or set(sub) - _FLAT_KEYWORDS:
            return None
        field = model.model_fields.get(python_name(key))
        if field is None or field.annotation not in _PLAIN_TYPES.get(sub.get("type"), ()):  # type: ignore[arg-type]
            return None
        types = (field.annotation,)  # what validation returns: a float field gives a float for 3
        plan[python_name(key)] = (key, types, key not in required and not _accepts_null(sub))
        if "default" in sub:
            if type(sub["default"]) not in types:
                return None
            defaults.append((key, sub["default"]))
    if set(model.model_fields) - set(plan):
        return None
    return plan, tuple(defaults)


def to_guest_flat(plan: FlatPlan, values: dict[str, Any]) -> dict[str, Any] | None:
    """``to_guest`` for a schema ``flat_plan`` accepted; ``None`` when a value is not what validation gives
    (then ``to_guest`` decides)."""
    names, defaults = plan
    out: dict[str, Any] = {}
    for name, value in values.items():
        entry = names.get(name)
        if entry is None:
            return None
        if value is None:
            if entry[2]:
                continue
            return None
        if type(value) not in entry[1] or (type(value) is float and not math.isfinite(value)):
            return None
        out[entry[0]] = value
    for key, default in defaults:
        if key not in out:
            out[key] = default
    return out
