"""``create_wasm_agent``: the plan/execute agent whose steps run in isolated Wasm sandboxes."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool, BaseToolkit
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from langchain_wasm.graph.executor import ApprovalPolicy, Executor, needs_approval_by_default
from langchain_wasm.graph.planner import Planner
from langchain_wasm.graph.state import WasmAgentState

__all__ = ["create_wasm_agent"]

_AUTO = "auto"


def _tool_list(tools: Sequence[BaseTool | BaseToolkit] | BaseToolkit) -> list[BaseTool]:
    items = [tools] if isinstance(tools, BaseToolkit) else list(tools)
    out: list[BaseTool] = []
    for item in items:
        if isinstance(item, BaseToolkit):
            out.extend(item.get_tools())
        elif isinstance(item, BaseTool):
            out.append(item)
        else:
            raise TypeError(f"tools must be BaseTool or BaseToolkit instances, got {type(item).__name__}")
    names = [t.name for t in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"tool names must be unique; repeated: {dupes}")
    if not out:
        raise ValueError("create_wasm_agent needs at least one tool")
    return out


def create_wasm_agent(
    model: BaseChatModel,
    tools: Sequence[BaseTool | BaseToolkit] | BaseToolkit,
    *,
    checkpointer: Checkpointer = None,
    store: Any = None,
    max_iterations: int = 6,
    max_steps: int = 8,
    max_repairs: int = 3,
    parallel: bool = True,
    approve: ApprovalPolicy | Collection[str] | str | None = _AUTO,
    structured_output: bool | None = None,
    require_tools: bool = False,
    name: str = "wasm_agent",
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """A LangGraph plan/execute agent: a planner node (any chat model) emits a plan, a dispatcher checks
    approvals and readiness, every step runs as its own task in a fresh Wasm instance (independent steps in
    parallel), and the results go back to the planner until it answers.

    Args:
        model: any LangChain chat model. Schema-constrained output is used where the model offers
            ``with_structured_output``; otherwise the plan is read from JSON text.
        tools: ``WasmTool``\\ s, a ``WasmToolkit``, or ordinary LangChain tools (which run in-process, outside
            the sandbox: only give it tools you trust).
        checkpointer: any LangGraph checkpointer (e.g. ``SqliteSaver``); needed for approvals and resuming.
        store: an optional LangGraph store.
        max_iterations: plan/execute rounds before the agent stops with a clear message.
        max_steps: steps allowed in one plan.
        max_repairs: consecutive invalid plans sent back for repair before giving up.
        parallel: run independent steps at the same time (False: one step at a time).
        approve: which steps pause the graph (``interrupt``) for a human decision: ``"auto"`` (tools granted a
            writable directory or host functions), a collection of tool names, a callable
            ``(step, tool) -> bool``, or ``None``. Resume with ``Command(resume=True/False)``,
            ``Command(resume={"approve": [ids], "reject": [ids]})``, ``{step_id: bool}``, or LangChain v1's
            human-in-the-loop answer ``{"decisions": [{"type": "approve" | "edit" | "reject", ...}]}`` (see
            ``langchain_wasm.graph.approvals``). A recorded decision holds whatever graph resumes the thread.
        structured_output: force (True) or disable (False) schema-constrained output; None decides. The plan
            schema is generated from the tools (one step variant per tool) in the provider's dialect; a provider
            that refuses it at request time moves the agent to its next mode (json mode, then JSON text).
        require_tools: refuse a first answer that ran no tool (the model must plan tool steps first).
        name: the graph's name.

    Returns:
        A compiled ``StateGraph`` over ``WasmAgentState`` with nodes ``planner``, ``dispatch``, ``step``,
        ``observe``. Stream with ``stream_mode="updates"`` (plan, step start/end, answer) and ``"custom"``
        (``step_start`` / ``step_end`` events).
    """
    tool_list = _tool_list(tools)
    by_name = {t.name: t for t in tool_list}
    if max_iterations < 1 or max_steps < 1 or max_repairs < 0:
        raise ValueError("max_iterations and max_steps must be >= 1, max_repairs >= 0")
    policy = needs_approval_by_default if approve == _AUTO else approve
    planner = Planner(
        model,
        by_name,
        max_steps=max_steps,
        max_iterations=max_iterations,
        max_repairs=max_repairs,
        structured=structured_output,
        require_tools=require_tools,
    )
    executor = Executor(by_name, approve=policy, parallel=parallel)

    from langchain_core.runnables import RunnableLambda

    graph = StateGraph(WasmAgentState)
    graph.add_node("planner", RunnableLambda(planner, afunc=planner.acall, name="planner"))
    graph.add_node("dispatch", executor.dispatch)
    graph.add_node("step", RunnableLambda(executor.step, afunc=executor.astep, name="step"))  # type: ignore[type-var]
    graph.add_node("observe", executor.observe)
    graph.add_edge(START, "planner")
    graph.add_conditional_edges("planner", _after_planner, ["planner", "dispatch", END])
    graph.add_conditional_edges("dispatch", executor.route, ["step", "observe", "dispatch"])
    graph.add_edge("step", "dispatch")
    graph.add_edge("observe", "planner")
    return graph.compile(checkpointer=checkpointer, store=store, name=name)


def _after_planner(state: WasmAgentState) -> str:
    if state.get("final_answer") is not None:
        return END
    if state.get("plan") is None:
        return "planner"
    return "dispatch"
