"""Chat models that need no provider: the recorded demo planner (offline runs of the real agent graph)."""

from langchain_wasm.chat_models.recorded import DEMO_QUESTION, RecordedPlanner, demo_planner

__all__ = ["DEMO_QUESTION", "RecordedPlanner", "demo_planner"]
