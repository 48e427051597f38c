"""``langchain-wasm agent``: stream the plan/execute agent in a terminal."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig

__all__ = ["add_parser", "run_agent", "stream_agent"]


def _model(ns: argparse.Namespace) -> tuple[Any, str]:
    from langchain_wasm.chat_models.recorded import DEMO_QUESTION, demo_planner

    if ns.model:
        spec = ns.model
        if spec.startswith("llamacpp:"):
            from langchain_wasm.chat_models.llamacpp import ChatLlamaCpp  # n_ctx and RoPE base read from the GGUF

            return ChatLlamaCpp(model_path=spec.split(":", 1)[1]), spec
        from langchain.chat_models import init_chat_model

        return init_chat_model(spec), spec
    if ns.question not in (None, DEMO_QUESTION):
        from langchain_wasm.cli._common import UsageError

        raise UsageError(
            "no model configured. Pass --model provider:model (e.g. openai:gpt-4.1-mini, "
            "anthropic:claude-sonnet-4-5, ollama:llama3.2, llamacpp:/path/model.gguf) or set "
            "LANGCHAIN_WASM_MODEL; without one only the recorded demo question runs."
        )
    return demo_planner(), "RECORDED planner (a pre-written plan; the graph and the sandboxes are real)"


def stream_agent(app: Any, inputs: Any, config: RunnableConfig, out: Any = None) -> dict[str, Any]:
    """Print plan, step start/end and the answer as they happen; returns the interrupt payload if any."""
    out = out or sys.stdout
    pending: dict[str, Any] = {}
    for mode, chunk in app.stream(inputs, config, stream_mode=["updates", "custom"]):
        if mode == "custom":
            mark = "->" if chunk["event"] == "step_start" else "<-"
            extra = f" {chunk['status']}" if "status" in chunk else ""
            print(f"   {mark} {chunk['step']} ({chunk['tool']}){extra}", file=out)
            continue
        for node, update in chunk.items():
            if node == "__interrupt__":
                pending = update[0].value
                continue
            for msg in (update or {}).get("messages", []) if isinstance(update, dict) else []:
                _show_message(msg, out)
    return pending


def _show_message(msg: Any, out: Any) -> None:
    """One transcript message: a plan (an AI turn with tool calls), a step result, a rejection, the answer."""
    kind = getattr(msg, "type", None)
    if kind == "ai" and getattr(msg, "tool_calls", None):
        deps = (msg.response_metadata.get("wasm_plan") or {}).get("depends_on") or {}
        print(f"\nPlan: {msg.content}", file=out)
        for call in msg.tool_calls:
            after = f" after {deps[call['id']]}" if deps.get(call["id"]) else ""
            print(f"  {call['id']}: {call['name']}({json.dumps(call['args'], ensure_ascii=False)}){after}", file=out)
    elif kind == "tool":
        print(f"      {msg.tool_call_id}: {str(msg.content)[:160]}", file=out)
    elif kind == "human" and getattr(msg, "name", None) == "validator":
        print(f" ! plan rejected: {msg.content.splitlines()[1:2]}", file=out)
    elif kind == "ai" and getattr(msg, "name", None) != "planner":
        print(f"\nAnswer: {msg.content}", file=out)


def _question(values: dict[str, Any]) -> str:
    """The thread's latest question (its last human message)."""
    for msg in reversed(values.get("messages", [])):
        if getattr(msg, "type", None) == "human":
            return str(msg.content)
    return "(none)"


def run_agent(ns: argparse.Namespace) -> int:
    # LangChain loads only when this subcommand runs, so `langchain-wasm call` starts fast.
    from langchain_core.messages import HumanMessage
    from langgraph.types import Command

    from langchain_wasm.chat_models.recorded import DEMO_QUESTION
    from langchain_wasm.cli._common import UsageError
    from langchain_wasm.graph.agent import create_wasm_agent
    from langchain_wasm.tools import WasmToolkit

    model, label = _model(ns)
    toolkit = WasmToolkit.from_directory(*(ns.guests or []))
    checkpointer: Any
    if ns.db:
        from langgraph.checkpoint.sqlite import SqliteSaver

        checkpointer = SqliteSaver(sqlite3.connect(ns.db, check_same_thread=False))
    else:
        from langgraph.checkpoint.memory import InMemorySaver

        checkpointer = InMemorySaver()
    approve: Any = {"auto": "auto", "none": None, "ask": lambda step, tool: True}[ns.approve]
    app = create_wasm_agent(
        model, toolkit, checkpointer=checkpointer, approve=approve, max_iterations=ns.max_iterations
    )
    config: RunnableConfig = {"configurable": {"thread_id": ns.thread}}
    snapshot = app.get_state(config)
    paused, started = bool(snapshot.next), bool(snapshot.values.get("messages"))
    resume = getattr(ns, "resume", None)
    recorded = not ns.model
    if resume and not paused:
        where = f"in {ns.db}" if ns.db else "in memory (no --db: nothing survives the previous process)"
        raise UsageError(f"thread {ns.thread!r} {where} is not paused for an approval: nothing to --resume")
    if started and not paused and recorded and ns.question in (None, DEMO_QUESTION):
        # The recording is over for this thread: show its answer instead of replaying "(end of recording)".
        answer = snapshot.values.get("final_answer")
        print(f"Thread {ns.thread!r} has already finished.\nQuestion: {_question(snapshot.values)}")
        print(f"Answer: {answer}\n(Start another conversation with --thread NAME.)")
        return 0 if answer else 1
    question = _question(snapshot.values) if paused else (ns.question or DEMO_QUESTION)
    print(f"Model: {label}\nTools: {', '.join(t.name for t in toolkit.get_tools())}\nQuestion: {question}")
    inputs: Any = {"messages": [HumanMessage(question)]}
    if paused:  # an unfinished thread (paused for approval): continue it
        inputs = Command(resume=resume == "approve") if resume else None
    while True:
        pending = stream_agent(app, inputs, config)
        if not pending:
            break
        ids = [s["id"] for s in pending.get("steps", [])]
        if not sys.stdin.isatty():
            if ns.db:
                print(
                    f"Paused: steps {ids} need approval. Continue with: langchain-wasm agent --db {ns.db} "
                    f"--thread {ns.thread} --resume approve|reject"
                )
            else:
                print(
                    f"Paused: steps {ids} need approval, and without --db this paused state ends with this "
                    "process. Run again with --db FILE (then --resume approve|reject), in a terminal to answer "
                    "the prompt, or with --approve none."
                )
            return 5
        answer = input(f"Approve steps {ids}? [y/N] ")
        inputs = Command(resume=answer.strip().lower() in ("y", "yes"))
    state = app.get_state(config).values
    return 0 if state.get("final_answer") else 1


def add_parser(sub: Any) -> None:
    p = sub.add_parser("agent", help="ask the plan/execute agent (guest tools in sandboxes)")
    p.add_argument("question", nargs="?", help="what to ask (default: the recorded demo question)")
    p.add_argument(
        "--model",
        default=os.environ.get("LANGCHAIN_WASM_MODEL"),
        help="provider:model for init_chat_model (or $LANGCHAIN_WASM_MODEL); none: the recorded demo",
    )
    p.add_argument(
        "--guests", action="append", help="guest directories (default: the example guests the package ships)"
    )
    p.add_argument("--db", help="SQLite checkpoint file (default: in memory)")
    p.add_argument("--thread", default="cli", help="thread id (resume a thread with the same --db)")
    p.add_argument(
        "--approve",
        choices=("auto", "none", "ask"),
        default="auto",
        help="approvals: auto (risky tools ask), none, or ask for every step",
    )
    p.add_argument("--max-iterations", type=int, default=6)
    p.add_argument("--resume", choices=("approve", "reject"), help="answer a paused thread's approval request")
    p.set_defaults(func=run_agent)
