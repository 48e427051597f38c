"""LangGraph integration: Wasm guests as graph nodes, and the plan/execute agent."""

from langchain_wasm.graph.agent import create_wasm_agent
from langchain_wasm.graph.node import WasmNode
from langchain_wasm.graph.plan import Plan, PlanStep
from langchain_wasm.graph.state import WasmAgentState

__all__ = ["WasmNode", "create_wasm_agent", "Plan", "PlanStep", "WasmAgentState"]
