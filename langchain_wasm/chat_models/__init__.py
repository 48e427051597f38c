"""Chat models that need no provider: the recorded demo planner (offline runs of the real agent graph) and a
scripted tool-calling model for tests."""

from langchain_wasm.chat_models.recorded import DEMO_QUESTION, RecordedPlanner, demo_planner
from langchain_wasm.chat_models.scripted import ScriptedChatModel, tool_call

__all__ = ["DEMO_QUESTION", "RecordedPlanner", "demo_planner", "ScriptedChatModel", "tool_call"]
