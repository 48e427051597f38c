"""How each chat model is asked for a plan: its structured-output modes, best first, and the errors that mean
"this provider refused the schema" (switch to the next mode) or "the context is full" (stop with a message).

Modes, per provider class (the request each one builds is pinned by ``tests/graph/providers``):

- ``ChatOpenAI``: strict ``json_schema`` -> ``json_object`` with the schema (llama.cpp's and vLLM's OpenAI-compatible
  servers turn it into a grammar; llama.cpp refuses ``json_schema`` with HTTP 500) -> plain ``json_object`` -> text.
- ``ChatAnthropic``: forced tool use (``function_calling``) -> text.
- ``ChatGoogleGenerativeAI``: ``json_schema`` (``response_json_schema``) -> ``json_mode`` -> text.
- ``ChatOllama``: ``json_schema`` (``format`` = the schema, turned into a grammar) -> ``format: json`` -> text.
- ``ChatLlamaCpp`` (ours): a grammar from the schema -> text.
- any other model with ``bind_tools``: ``function_calling`` -> text; without it: text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable

from langchain_wasm.graph.plan_schema import Dialect

__all__ = ["Mode", "bind_mode", "is_context_overflow", "is_schema_refusal", "modes_for"]

Method = Literal["json_schema", "function_calling", "json_object_schema", "json_mode", "text"]


@dataclass(frozen=True)
class Mode:
    """One way to ask a model for a plan."""

    method: Method
    dialect: Dialect = "plain"
    strict: bool = False

    @property
    def enforced(self) -> bool:
        """The provider constrains the output to the schema, so the prompt need not print it."""
        return self.method in ("json_schema", "function_calling", "json_object_schema")

    def __str__(self) -> str:
        return f"{self.method}{' (strict)' if self.strict else ''}"


def _class_names(model: BaseChatModel) -> set[str]:
    return {cls.__name__ for cls in type(model).__mro__}


def modes_for(model: BaseChatModel, *, structured: bool | None, strict_ok: bool) -> list[Mode]:
    """The modes to try for ``model``, best first; the last is always plain JSON text.

    ``structured=False`` gives text only; ``strict_ok`` says whether the schema can be sent strict (OpenAI).
    """
    text = Mode("text")
    if structured is False:
        return [text]
    names = _class_names(model)
    if names & {"ChatOpenAI", "AzureChatOpenAI"}:
        return [
            Mode("json_schema", "openai", strict=strict_ok),
            Mode("json_object_schema", "grammar"),
            Mode("json_mode"),
            text,
        ]
    if "ChatAnthropic" in names:
        return [Mode("function_calling"), text]
    if "ChatGoogleGenerativeAI" in names:
        return [Mode("json_schema", "gemini"), Mode("json_mode"), text]
    if "ChatOllama" in names:
        return [Mode("json_schema", "grammar"), Mode("json_mode"), text]
    if "ChatLlamaCpp" in names and hasattr(model, "with_grammar"):
        return [Mode("json_schema", "grammar"), text]
    if type(model).bind_tools is not BaseChatModel.bind_tools:
        return [Mode("function_calling"), text]
    return [text]


def bind_mode(model: BaseChatModel, mode: Mode, schema: dict[str, Any]) -> Runnable[Any, Any] | None:
    """The runnable that asks ``model`` for a plan in ``mode`` (None: call the model and read its text)."""
    if mode.method == "text":
        return None
    if mode.method == "json_object_schema":
        return model.bind(response_format={"type": "json_object", "schema": schema})
    if mode.method == "json_schema" and "ChatLlamaCpp" in _class_names(model):
        return model.with_grammar(schema)  # type: ignore[attr-defined, no-any-return]
    if mode.method == "json_schema" and mode.dialect == "openai":
        spec = {"name": "Plan", "description": schema.get("description", ""), "schema": schema, "strict": mode.strict}
        return model.with_structured_output(spec, method="json_schema", include_raw=True)
    if mode.method == "json_mode":
        return model.with_structured_output(schema, method="json_mode", include_raw=True)
    return model.with_structured_output(schema, method=mode.method, include_raw=True)


# -- request-time errors ---------------------------------------------------------------------------------------
_SCHEMA_WORDS = re.compile(
    r"schema|response_format|json_object|json mode|structured|grammar|\bformat\b|strict|tool_choice|"
    r"Input should be 'text'|additionalProperties|not supported",
    re.I,
)
_OVERFLOW_WORDS = re.compile(
    r"context[_ ]length|context window|maximum context|prompt is too long|too many tokens|exceeds? (the )?"
    r"(context|maximum)|n_ctx|Requested tokens|input tokens exceed|token limit",
    re.I,
)


def _status(exc: BaseException) -> int | None:
    for attr in ("status_code", "code", "status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 400 <= value < 600:
            return value
    response = getattr(exc, "response", None)
    value = getattr(response, "status_code", None)
    return value if isinstance(value, int) else None


def is_context_overflow(exc: BaseException) -> bool:
    """The request did not fit the model's context window."""
    if any(cls.__name__ == "ContextOverflowError" for cls in type(exc).__mro__):
        return True
    return bool(_OVERFLOW_WORDS.search(str(exc)))


def is_schema_refusal(exc: BaseException) -> bool:
    """A provider answered 4xx/5xx about the schema or the response format (so another mode may work)."""
    if is_context_overflow(exc):
        return False
    status = _status(exc)
    if status is None or status in (401, 403, 404, 429):
        return False
    return bool(_SCHEMA_WORDS.search(str(exc)))
