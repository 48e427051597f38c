"""Deployable entry point of the plan/execute agent for LangGraph Server / ``langgraph dev``.

The model comes from ``$LANGCHAIN_WASM_MODEL`` (``provider:model`` for ``init_chat_model``); the tools are the
guests in ``$LANGCHAIN_WASM_GUESTS`` (default: this repository's ``guests/``). LangGraph Server supplies the
checkpointer and store, so none is passed here.
"""

from __future__ import annotations

import os

from langchain.chat_models import init_chat_model

from langchain_wasm.graph import create_wasm_agent
from langchain_wasm.tools import WasmToolkit


def make_graph():
    model_spec = os.environ.get("LANGCHAIN_WASM_MODEL")
    if not model_spec:
        raise RuntimeError("set LANGCHAIN_WASM_MODEL=provider:model (e.g. openai:gpt-4.1-mini) to serve the agent")
    guests = os.environ.get("LANGCHAIN_WASM_GUESTS")
    toolkit = WasmToolkit.from_directory(*([guests] if guests else []))
    return create_wasm_agent(init_chat_model(model_spec), toolkit, name="wasm_agent")
