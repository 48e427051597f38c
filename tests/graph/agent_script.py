"""A plan/execute agent run in a child process, for crash/restart tests:

    python -m tests.graph.agent_script DB THREAD LOG (start|resume) [--crash-in-step]

The plan: s1 = `count` (appends "s1" to LOG), s2 = `count` depending on s1 (appends "s2"; with
--crash-in-step it kills the process first), then a final answer. The model is scripted (offline).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys

from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langgraph.checkpoint.sqlite import SqliteSaver

from langchain_wasm.graph import create_wasm_agent
from tests.tools.scripted import ScriptedChatModel

PLAN = {
    "reasoning": "count twice",
    "steps": [
        {"id": "s1", "tool": "count", "args": {"label": "s1"}},
        {"id": "s2", "tool": "count", "args": {"label": "s2"}, "depends_on": ["s1"]},
    ],
}
FINAL = {"reasoning": "done", "steps": [], "final_answer": "counted"}


def main(argv: list[str]) -> int:
    db, thread, log, mode = argv[:4]
    crash = "--crash-in-step" in argv

    @tool
    def count(label: str) -> str:
        """Record that a step ran."""
        if crash and label == "s2":
            os._exit(23)
        with open(log, "a") as fh:
            fh.write(label + "\n")
        return f"counted {label}"

    script = (
        [AIMessage(json.dumps(PLAN)), AIMessage(json.dumps(FINAL))]
        if mode == "start"
        else [AIMessage(json.dumps(FINAL))]
    )
    model = ScriptedChatModel(script=script)
    app = create_wasm_agent(model, [count], checkpointer=SqliteSaver(sqlite3.connect(db, check_same_thread=False)))
    config = {"configurable": {"thread_id": thread}}
    state = app.invoke({"messages": [("user", "count")]} if mode == "start" else None, config, durability="sync")
    print(json.dumps({k: v["status"] for k, v in state["step_results"].items()}), state.get("final_answer"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
