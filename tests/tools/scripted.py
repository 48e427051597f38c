"""The tests' scripted tool-calling model is the package's public one (``langchain_wasm.chat_models``)."""

from __future__ import annotations

from langchain_wasm.chat_models import ScriptedChatModel
from langchain_wasm.chat_models import tool_call as call

__all__ = ["ScriptedChatModel", "call"]
