"""The plan's JSON Schema generated from the real tools, in each provider's dialect of structured output.

Every step is one of the per-tool variants: ``tool`` is that tool's name (a one-value enum), ``args`` is that
tool's own argument schema, and wherever a value goes a ``${s1.field}`` reference string is allowed too. A
model constrained by this schema (a grammar, a strict json_schema, a forced tool call) can only name real
tools with arguments of the right shape.

Dialects (what each provider's structured output accepts; the conformance tests cite the docs):

- ``openai``: strict mode. Every object closes (``additionalProperties: false``) and lists all its properties in
  ``required``; an optional property becomes nullable instead (``None`` is dropped again before the call).
  Only the documented keywords are kept. A free-form object cannot be strict: then the schema is sent non-strict.
- ``gemini``: the JSON Schema subset of Gemini's ``responseJsonSchema``: no ``pattern``, ``oneOf`` (becomes
  ``anyOf``), ``const`` (becomes a one-value ``enum``) or length bounds; the tools check what is dropped.
- ``grammar``: llama.cpp's and Ollama's JSON-Schema-to-grammar converter: regex patterns must be anchored
  (``^...$``; an unanchored one makes the converter drop every constraint), so those are removed.
- ``plain``: standard JSON Schema (Anthropic tool use, function calling in general).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from langchain_core.tools import BaseTool

from langchain_wasm.graph.validate import tool_parameters

__all__ = ["REFERENCE_PATTERN", "Dialect", "drop_null_optionals", "is_strict_compatible", "plan_schema"]

Dialect = Literal["openai", "gemini", "grammar", "plain"]

#: A whole-value reference to an earlier step's result. Anchored, and written with character classes instead of
#: escapes (``[$]`` not ``\$``): llama.cpp's converter copies ``\$``, ``\{``, ``\.`` into the grammar, where they are
#: unknown escapes and the whole grammar fails to parse.
REFERENCE_PATTERN = r"^[$][{][A-Za-z_][A-Za-z0-9_-]*([.][A-Za-z0-9_-]+)*[}]$"
_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*$"
_REFERENCE: dict[str, Any] = {
    "type": "string",
    "pattern": REFERENCE_PATTERN,
    "description": "an earlier step's result: ${s1} or ${s1.field}",
}
# Keywords OpenAI's strict structured outputs document as supported (others are refused or ignored).
_OPENAI_KEYS = {
    "type", "properties", "required", "additionalProperties", "items", "anyOf", "enum", "const", "description",
    "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minItems", "maxItems", "$defs", "$ref",
}  # fmt: skip
_OPENAI_FORMATS = {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
# The JSON Schema subset of Gemini's responseJsonSchema (no pattern, oneOf, const, length bounds).
_GEMINI_KEYS = {
    "type", "properties", "required", "additionalProperties", "items", "prefixItems", "minItems", "maxItems",
    "enum", "format", "minimum", "maximum", "anyOf", "$ref", "$defs", "title", "description",
}  # fmt: skip
_VALUE_CONSTRAINTS = {"enum", "const", "pattern", "format", "minLength", "maxLength"}


def plan_schema(tools: Sequence[BaseTool], *, max_steps: int, dialect: Dialect = "plain") -> dict[str, Any]:
    """The plan schema for ``tools``: ``{reasoning, steps: [one variant per tool], final_answer}``."""
    variants = [_step_variant(t, max_steps) for t in tools]
    schema: dict[str, Any] = {
        "title": "Plan",
        "description": "Steps to run now, or the final answer (steps empty).",
        "type": "object",
        "properties": {
            # maxLength bounds what grammars generate (a small model otherwise rambles until max_tokens and
            # the JSON never closes); strict OpenAI and Gemini drop the keyword.
            "reasoning": {"type": "string", "description": "Short reasoning behind the plan", "maxLength": 200},
            "steps": {
                "type": "array",
                "description": "Tool calls to run now (empty when answering)",
                "items": variants[0] if len(variants) == 1 else {"anyOf": variants},
                "maxItems": max_steps,
            },
            "final_answer": {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "description": "The answer for the user once the results suffice; otherwise null",
            },
        },
        "required": ["reasoning", "steps", "final_answer"],
        "additionalProperties": False,
    }
    if dialect == "openai":
        return _openai(schema)
    if dialect == "gemini":
        return _gemini(schema)
    if dialect == "grammar":
        return _grammar(schema)
    return schema


def _step_variant(tool: BaseTool, max_steps: int) -> dict[str, Any]:
    params = copy.deepcopy(tool_parameters(tool))
    params.setdefault("type", "object")
    params.setdefault("properties", {})
    return {
        "type": "object",
        "description": f"call {tool.name}",
        "properties": {
            "id": {"type": "string", "pattern": _ID_PATTERN, "description": "unique step id, e.g. s1"},
            "tool": {"type": "string", "enum": [tool.name]},
            "args": _with_references(params, top=True),
            "depends_on": {  # bounded: a small model under a grammar otherwise repeats ids until max_tokens
                "type": "array",
                "items": {"type": "string", "pattern": _ID_PATTERN},
                "maxItems": max(max_steps - 1, 1),
                "description": "ids of earlier steps",
            },
        },
        "required": ["id", "tool", "args", "depends_on"],
        "additionalProperties": False,
    }


def _with_references(schema: Mapping[str, Any], *, top: bool = False) -> dict[str, Any]:
    """``schema`` where every value position also accepts a reference string."""
    out = dict(schema)
    if isinstance(out.get("properties"), Mapping):
        out["properties"] = {k: _with_references(v) for k, v in out["properties"].items()}
    if isinstance(out.get("items"), Mapping):
        out["items"] = _with_references(out["items"])
    for key in ("anyOf", "oneOf"):
        if isinstance(out.get(key), list):
            out[key] = [_with_references(s) if isinstance(s, Mapping) else s for s in out[key]]
    if top:
        return out
    if out.get("type") == "string" and not (_VALUE_CONSTRAINTS & set(out)):
        return out  # any string already admits "${s1.field}"
    description = out.pop("description", None)
    wrapped: dict[str, Any] = {"anyOf": [out, dict(_REFERENCE)]}
    if description:
        wrapped["description"] = description
    return wrapped


# -- dialects ------------------------------------------------------------------------------------------------
def is_strict_compatible(schema: Mapping[str, Any]) -> bool:
    """False if some object is free-form (extra keys allowed or no properties): OpenAI strict cannot say it."""
    is_object = schema.get("type") == "object" or "properties" in schema
    if is_object and (schema.get("additionalProperties") not in (None, False) or not schema.get("properties")):
        return False
    children: list[Any] = [*(schema.get("properties") or {}).values()]
    if isinstance(schema.get("items"), Mapping):
        children.append(schema["items"])
    for key in ("anyOf", "oneOf", "allOf"):
        children.extend(schema.get(key) or [])
    children.extend((schema.get("$defs") or {}).values())
    return all(is_strict_compatible(c) for c in children if isinstance(c, Mapping))


def _openai(schema: Mapping[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    if "oneOf" in schema:  # strict mode has anyOf only; the tool still checks exclusivity
        schema["anyOf"] = schema.pop("oneOf")
    if isinstance(schema.get("prefixItems"), list) and not isinstance(schema.get("items"), Mapping):
        schema["items"] = {"anyOf": schema.pop("prefixItems")}  # tuples: every item one of the positions' types
    if schema.get("const") is not None and "enum" not in schema:
        schema["enum"] = [schema.pop("const")]
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in _OPENAI_KEYS or (key == "format" and value not in _OPENAI_FORMATS):
            continue
        if key == "properties":
            out[key] = {k: _openai(v) for k, v in value.items()}
        elif key == "items" and isinstance(value, Mapping):
            out[key] = _openai(value)
        elif key in ("anyOf", "$defs"):
            out[key] = [_openai(v) for v in value] if key == "anyOf" else {k: _openai(v) for k, v in value.items()}
        else:
            out[key] = value
    if out.get("type") == "object" and "properties" in out:
        required = set(out.get("required", []))
        out["properties"] = {k: v if k in required else _nullable(v) for k, v in out["properties"].items()}
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    if isinstance(out.get("type"), list):  # ["integer", "null"] -> anyOf (strict mode wants one type each)
        types = out.pop("type")
        rest = {k: v for k, v in out.items() if k != "description"}
        out = {"anyOf": [{**rest, "type": t} if t != "null" else {"type": "null"} for t in types]}
        if "description" in schema:
            out["description"] = schema["description"]
    return out


def _nullable(schema: Mapping[str, Any]) -> dict[str, Any]:
    if schema.get("type") == "null" or any(s.get("type") == "null" for s in schema.get("anyOf", [])):
        return dict(schema)
    rest = {k: v for k, v in schema.items() if k != "description"}
    out: dict[str, Any] = {"anyOf": [*(rest["anyOf"] if set(rest) == {"anyOf"} else [rest]), {"type": "null"}]}
    if "description" in schema:
        out["description"] = schema["description"]
    return out


def _gemini(schema: Mapping[str, Any]) -> dict[str, Any]:
    src = dict(schema)
    if "const" in src:
        src["enum"] = [src.pop("const")]
    if "oneOf" in src:
        src["anyOf"] = src.pop("oneOf")
    out: dict[str, Any] = {}
    for key, value in src.items():
        if key not in _GEMINI_KEYS:
            continue
        if key in ("properties", "$defs"):
            out[key] = {k: _gemini(v) for k, v in value.items()}
        elif key == "items" and isinstance(value, Mapping):
            out[key] = _gemini(value)
        elif key in ("anyOf", "prefixItems"):
            out[key] = [_gemini(v) for v in value]
        else:
            out[key] = value
    return out


def _grammar(schema: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "pattern" and not (isinstance(value, str) and value.startswith("^") and value.endswith("$")):
            continue  # an unanchored pattern makes the converter drop every constraint; validation checks it
        if key == "pattern" and "maxLength" in schema:
            continue  # the converter ignores maxLength next to a pattern; the length bound keeps a model from rambling
        if key in ("properties", "$defs") and isinstance(value, Mapping):
            out[key] = {k: _grammar(v) for k, v in value.items()}
        elif key == "items" and isinstance(value, Mapping):
            out[key] = _grammar(value)
        elif key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
            out[key] = [_grammar(v) for v in value]
        else:
            out[key] = value
    return out


def drop_null_optionals(args: Any, schema: Mapping[str, Any]) -> Any:
    """Strict schemas make optional arguments nullable: drop the ``None`` a model sends for one it left out."""
    if not isinstance(args, dict):
        return args
    props = schema.get("properties") or {}
    required = set(schema.get("required", []))
    out = {}
    for key, value in args.items():
        sub = props.get(key, {})
        if value is None and key not in required and not _accepts_null(sub):
            continue
        out[key] = drop_null_optionals(value, sub) if isinstance(sub, Mapping) else value
    return out


def _accepts_null(schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(isinstance(s, Mapping) and _accepts_null(s) for s in schema.get("anyOf", []))
