"""Deployable entry point of the plan/execute agent for LangGraph Server / ``langgraph dev``.

Everything that reads files is done once, when the server imports this module (on a worker thread, before
any run): the guests in ``$LANGCHAIN_WASM_GUESTS`` (default: this repository's ``guests/``) become tools, a
sandboxed Python tool is added, and the models named in ``$LANGCHAIN_WASM_MODEL`` / ``$LANGCHAIN_WASM_MODELS``
are built. ``make_graph`` runs per request inside the server's event loop, so it only picks a prebuilt graph:
no file access, no blocking call (``langgraph dev`` checks with blockbuster).

Models (``langchain_wasm.chat_models.specs``): ``recorded`` (the demo recording; the default, so the graph can
be tried offline), ``recorded:/path/plans.json``, ``llamacpp:/path/model.gguf``, or ``provider:model``. An
assistant may choose one of the preloaded models and the approval policy through its config:
``{"configurable": {"model": "<one of the specs>", "approve": ["python"] | "auto" | "none"}}``.

LangGraph Server supplies the checkpointer and the store; the Python tool keeps each thread's session
snapshot in that store, so a session survives runs, restarts and other workers.
"""

from __future__ import annotations

import os
from typing import Any

from langchain_core.runnables import RunnableConfig

from langchain_wasm.chat_models.specs import chat_model_from_spec
from langchain_wasm.graph import create_wasm_agent
from langchain_wasm.python import WasmPythonSandbox
from langchain_wasm.python.tool import WasmPythonTool
from langchain_wasm.tools import WasmToolkit


def _specs() -> list[str]:
    default = os.environ.get("LANGCHAIN_WASM_MODEL", "").strip() or "recorded"
    extra = [s.strip() for s in os.environ.get("LANGCHAIN_WASM_MODELS", "").split(",") if s.strip()]
    return list(dict.fromkeys([default, *extra]))


def _tools() -> list[Any]:
    guests = os.environ.get("LANGCHAIN_WASM_GUESTS")
    toolkit = WasmToolkit.from_directory(*([guests] if guests else []))
    # No preloaded pandas: a session's snapshot (saved to the store after every call) stays ~0.5 MB instead of
    # ~14 MB; code that imports pandas pays ~1 s once per session instead.
    sandbox = WasmPythonSandbox(evict_idle=True, quiet=True)
    return [*toolkit.get_tools(), WasmPythonTool(sandbox=sandbox)]


# Loaded once per server process, at import (outside the event loop).
TOOLS = _tools()
MODELS = {spec: chat_model_from_spec(spec) for spec in _specs()}
DEFAULT_MODEL = next(iter(MODELS))
_GRAPHS: dict[tuple[str, Any], Any] = {}


def _approve(value: Any) -> Any:
    if value in (None, "auto"):
        return "auto"
    if value == "none":
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"configurable 'approve' must be 'auto', 'none' or a list of tool names, got {value!r}")


def make_graph(config: RunnableConfig) -> Any:
    """The agent for this run's assistant config (model, approvals); built once per choice, then reused."""
    conf = config.get("configurable") or {}
    spec = conf.get("model") or DEFAULT_MODEL
    if spec not in MODELS:
        raise ValueError(
            f"model {spec!r} is not loaded by this deployment; choose one of {sorted(MODELS)} "
            "(set LANGCHAIN_WASM_MODEL / LANGCHAIN_WASM_MODELS to load others at startup)"
        )
    approve = _approve(conf.get("approve"))
    key = (spec, approve)
    graph = _GRAPHS.get(key)
    if graph is None:
        graph = _GRAPHS[key] = create_wasm_agent(MODELS[spec], TOOLS, approve=approve, name="wasm_agent")
    return graph
