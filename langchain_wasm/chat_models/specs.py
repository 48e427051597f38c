"""Chat models named by a short spec string: ``provider:model``, or an offline choice (recorded, llama.cpp).

Served graphs and the CLI read the spec from ``$LANGCHAIN_WASM_MODEL`` or a run's config, so one deployment
can be tried without any account (the recorded planner), on a local GGUF model, or on a provider.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from .recorded import RecordedPlanner, demo_planner

__all__ = ["MODEL_SPECS", "chat_model_from_spec", "load_recording"]

#: What a spec may be, as told to users in errors and docs.
MODEL_SPECS = (
    "'recorded' (the demo recording, no model), 'recorded:/path/plans.json' (a list of planner answers), "
    "'llamacpp:/path/model.gguf' (a local model through llama-cpp-python), or 'provider:model' for "
    "init_chat_model (e.g. openai:gpt-4.1-mini, anthropic:claude-sonnet-4-5, ollama:llama3.2)"
)


def load_recording(path: str | Path) -> RecordedPlanner:
    """A ``RecordedPlanner`` replaying the planner answers in a JSON file (a list of plan objects or texts)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read the recording {str(path)!r}: {exc}") from exc
    if not isinstance(data, list) or not data:
        raise ValueError(f"the recording {str(path)!r} must be a non-empty JSON list of planner answers")
    return RecordedPlanner(responses=[r if isinstance(r, str) else json.dumps(r) for r in data])


def chat_model_from_spec(spec: str | None, **llamacpp: Any) -> BaseChatModel:
    """The chat model ``spec`` names (``None`` or ``""``: the recorded demo planner); see ``MODEL_SPECS``.

    Loading a llama.cpp model or a provider package reads files: call this at startup, not per request.

    Raises:
        ValueError: the spec is malformed or its recording is unreadable.
        ImportError: the spec needs a package that is not installed (the message names the command).
    """
    spec = (spec or "").strip()
    if spec in ("", "recorded"):
        return demo_planner()
    kind, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise ValueError(f"unknown model spec {spec!r}; use {MODEL_SPECS}")
    if kind == "recorded":
        return load_recording(rest)
    if kind == "llamacpp":
        try:
            from langchain_community.chat_models import ChatLlamaCpp  # type: ignore[import-not-found,unused-ignore]

            if importlib.util.find_spec("llama_cpp") is None:
                raise ImportError("llama_cpp")
        except ImportError as exc:
            raise ImportError(
                "the llamacpp: model spec needs llama-cpp-python and langchain-community: "
                "pip install langchain-community llama-cpp-python"
            ) from exc
        if not Path(rest).is_file():
            raise ValueError(f"llamacpp: no model file at {rest!r} (a .gguf file)")
        options = {"temperature": 0, "n_ctx": 8192, "n_batch": 512, "max_tokens": 1024, **llamacpp}
        return ChatLlamaCpp(model_path=rest, **options)  # type: ignore[no-any-return,unused-ignore]
    from langchain.chat_models import init_chat_model

    return init_chat_model(spec)
