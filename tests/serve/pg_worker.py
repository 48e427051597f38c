"""A worker process for the scale-out test: the agent graph on PostgreSQL (checkpoints and store), taking
commands on stdin (one JSON per line) and answering on stdout, so several workers can take turns on the
same threads. ``python -m tests.serve.pg_worker DSN RECORDING MARKS``."""

from __future__ import annotations

import json
import os
import sys
import time

from langchain_core.tools import tool
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.store.postgres import PostgresStore

from langchain_wasm import WasmPythonSandbox
from langchain_wasm.chat_models.specs import load_recording
from langchain_wasm.graph import create_wasm_agent
from langchain_wasm.python.tool import WasmPythonTool


def main() -> None:
    dsn, recording, marks = sys.argv[1:4]

    @tool
    def mark(step: str, seconds: float = 0.0) -> str:
        """Record that a step started and ended (a slow step with a host-side trace)."""
        with open(marks, "a") as f:
            f.write(f"start {step} {os.getpid()}\n")
        time.sleep(seconds)
        with open(marks, "a") as f:
            f.write(f"end {step} {os.getpid()}\n")
        return f"{step} done"

    with PostgresSaver.from_conn_string(dsn) as saver, PostgresStore.from_conn_string(dsn) as store:
        saver.setup()
        store.setup()
        python = WasmPythonTool(sandbox=WasmPythonSandbox(quiet=True))
        app = create_wasm_agent(
            load_recording(recording), [python, mark], checkpointer=saver, store=store, approve=None, parallel=False
        )
        print(json.dumps({"ready": os.getpid()}), flush=True)
        for line in sys.stdin:
            cmd = json.loads(line)
            config = {"configurable": {"thread_id": cmd["thread"]}}
            started = time.perf_counter()
            if cmd.get("resume"):
                out = app.invoke(None, config)
            else:
                out = app.invoke({"messages": [("user", cmd["text"])]}, config)
            results = {
                k: {"status": v.get("status"), "content": v.get("content")} for k, v in out["step_results"].items()
            }
            reply = {
                "final_answer": out.get("final_answer"),
                "steps": results,
                "seconds": time.perf_counter() - started,
            }
            print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
