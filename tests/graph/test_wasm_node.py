"""WasmNode in StateGraphs: sync and async, error keys, SQLite checkpoints, and a crash between nodes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver

from langchain_wasm import WasmNode
from langchain_wasm.errors import WasmGuestError
from tests.graph.pipeline import build
from tests.guests.conftest import GUESTS

ROOT = Path(__file__).resolve().parents[2]
TABLE = json.loads((GUESTS / "weather" / "weather_table.json").read_text())


def test_two_nodes_in_sequence():
    final = build(InMemorySaver()).invoke({"city": "Reykjavik"}, {"configurable": {"thread_id": "t"}})
    row = TABLE["Reykjavik"]
    assert final["temperature"] == row["temperature"]
    assert final["condition"] == row["condition"]
    assert final["words"] == len(row["condition"].split())


async def test_async_graph():
    app = build(InMemorySaver())
    final = await app.ainvoke({"city": "Sydney"}, {"configurable": {"thread_id": "a"}})
    assert final["temperature"] == TABLE["Sydney"]["temperature"]


def test_error_key_or_raise():
    raising = WasmNode.from_manifest(GUESTS / "weather", inputs={"city": "city"}, outputs={"report": "*"})
    with pytest.raises(WasmGuestError, match="Atlantis"):
        raising.invoke({"city": "Atlantis"})
    routed = WasmNode.from_manifest(
        GUESTS / "weather", inputs={"city": "city"}, outputs={"report": "*"}, error_key="error"
    )
    update = routed.invoke({"city": "Atlantis"})
    assert set(update) == {"error"}
    assert "Atlantis" in update["error"]
    ok = routed.invoke({"city": "Cairo"})
    assert ok["error"] is None
    assert ok["report"]["city"] == "Cairo"
    with pytest.raises(KeyError, match="state has no key"):
        routed.invoke({})


def test_sqlite_checkpoint_survives_a_crash_between_nodes(tmp_path):
    db, log = tmp_path / "cp.sqlite", tmp_path / "steps.log"
    cmd = [sys.executable, "-m", "tests.graph.pipeline", str(db), "thread-1", str(log)]
    crashed = subprocess.run([*cmd, "--crash-before", "stats"], cwd=ROOT, capture_output=True, text=True)
    assert crashed.returncode == 17, crashed.stderr
    assert log.read_text().split() == ["weather"]
    resumed = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert log.read_text().split() == ["weather", "stats"]  # nothing repeated, nothing lost
    app = build(SqliteSaver(sqlite3.connect(db, check_same_thread=False)))
    state = app.get_state({"configurable": {"thread_id": "thread-1"}}).values
    assert state["words"] == len(TABLE["Reykjavik"]["condition"].split())
    assert state["temperature"] == TABLE["Reykjavik"]["temperature"]
