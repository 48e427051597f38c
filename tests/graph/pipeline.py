"""A two-node graph of WasmNodes (weather lookup, then text statistics of the report) under a SQLite
checkpointer. Run as a script it executes one thread and can crash the process between the nodes:

    python -m tests.graph.pipeline DB THREAD LOG [--crash-before NODE]

Every node start is appended to LOG, so a test can check that no step ran twice or was skipped.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from typing import Any, TypedDict

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph

from langchain_wasm import WasmNode
from tests.guests.conftest import GUESTS


class State(TypedDict, total=False):
    city: str
    report: str
    temperature: float
    condition: str
    words: int
    error: str | None


def build(checkpointer: Any, log: str | None = None, crash_before: str | None = None) -> Any:
    weather = WasmNode.from_manifest(
        GUESTS / "weather", inputs={"city": "city"}, outputs={"temperature": "temperature", "condition": "condition"}
    )
    stats = WasmNode.from_manifest(GUESTS / "text_stats", inputs={"text": "condition"}, outputs={"words": "words"})

    def logged(name: str, node: WasmNode) -> Any:
        def run(state: State) -> dict[str, Any]:
            if crash_before == name:
                os._exit(17)  # a hard crash: no cleanup, no exception handling
            if log:
                with open(log, "a") as fh:
                    fh.write(name + "\n")
            return node.invoke(state)

        return run

    graph = StateGraph(State)
    graph.add_node("weather", logged("weather", weather))
    graph.add_node("stats", logged("stats", stats))
    graph.add_edge(START, "weather")
    graph.add_edge("weather", "stats")
    graph.add_edge("stats", END)
    return graph.compile(checkpointer=checkpointer)


def main(argv: list[str]) -> int:
    db, thread, log = argv[:3]
    crash_before = argv[4] if len(argv) > 4 and argv[3] == "--crash-before" else None
    conn = sqlite3.connect(db, check_same_thread=False)
    app = build(SqliteSaver(conn), log, crash_before)
    config = {"configurable": {"thread_id": thread}}
    snapshot = app.get_state(config)
    start = None if snapshot.next else {"city": "Reykjavik"}
    final = app.invoke(start, config, durability="sync")
    print(final)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
