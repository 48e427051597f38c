"""A plan/execute agent run in a child process that the parent SIGKILLs at random moments:

    python -m tests.reliability.agent_child DB THREAD LOG

Plan: six chained steps s1..s6, each hashing the previous step's result with the sha256 Wasm guest (through a
logging wrapper tool that sleeps a little so kills land mid-plan), then a final answer. Run again on the same
DB and thread, it resumes from the SQLite checkpoint; if the plan was never checkpointed it starts over. The
log gets "start sN" / "end sN" lines, so the parent can tell which steps ran in which process.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langgraph.checkpoint.sqlite import SqliteSaver

from langchain_wasm import WasmTool
from langchain_wasm.graph import create_wasm_agent
from tests.tools.scripted import ScriptedChatModel

GUESTS = Path(__file__).resolve().parents[2] / "guests"
STEPS = 6
DELAY_S = 0.15
PLAN = {
    "reasoning": "hash six times",
    "steps": [
        {
            "id": f"s{i}",
            "tool": "chain",
            "args": {"text": "seed" if i == 1 else f"${{s{i - 1}}}", "label": f"s{i}"},
            "depends_on": [] if i == 1 else [f"s{i - 1}"],
        }
        for i in range(1, STEPS + 1)
    ],
}
FINAL = {"reasoning": "done", "steps": [], "final_answer": "hashed"}


def build(db: str, log: str | None, script: list[AIMessage]) -> object:
    sha = WasmTool.from_manifest(GUESTS / "sha256")

    @tool
    def chain(text: str, label: str) -> str:
        """Hash a text with the sha256 guest (logging the step)."""
        if log:
            with open(log, "a") as fh:
                fh.write(f"start {label}\n")
        time.sleep(DELAY_S)
        out = str(sha.invoke({"text": text}))
        if log:
            with open(log, "a") as fh:
                fh.write(f"end {label}\n")
        return out

    model = ScriptedChatModel(script=script)
    saver = SqliteSaver(sqlite3.connect(db, check_same_thread=False))
    return create_wasm_agent(model, [chain], checkpointer=saver, parallel=False)


def main(argv: list[str]) -> int:
    db, thread, log = argv[:3]
    config = {"configurable": {"thread_id": thread}}
    probe = build(db, None, [])
    values = probe.get_state(config).values  # type: ignore[attr-defined]
    fresh = not values
    planned = bool(values.get("plan"))
    script = [AIMessage(json.dumps(FINAL))] if planned else [AIMessage(json.dumps(PLAN)), AIMessage(json.dumps(FINAL))]
    app = build(db, log, script)
    state = app.invoke(  # type: ignore[attr-defined]
        {"messages": [("user", "hash it")]} if fresh else None, config, durability="sync"
    )
    print(json.dumps({k: v["status"] for k, v in state["step_results"].items()}), state.get("final_answer"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
