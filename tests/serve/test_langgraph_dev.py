"""``langgraph dev`` serving graphs/ as a user would run it (no ``--allow-blocking``: its blockbuster check is
on), driven over HTTP by ``langgraph-sdk``: runs, streams, approvals, turns that build on earlier turns, and a
Python session that survives runs and a server restart. The server is started and stopped by PID here."""

from __future__ import annotations

import asyncio
import json
import os

import pytest

from tests.serve.servers import REPO, DevServer

pytest.importorskip("langgraph_api", reason="needs the test extra: pip install 'langgraph-cli[inmem]'")
from langgraph_sdk import get_client

pytestmark = pytest.mark.timeout(900)

# Recorded planner answers (the planner is the only recorded part; graph, server, tools and sandboxes are real).
MAIN = [
    {
        "reasoning": "get the temperature, keep it and a counter in the Python session",
        "steps": [
            {"id": "w", "tool": "weather", "args": {"city": "Reykjavik", "units": "metric"}},
            {"id": "py", "tool": "python", "args": {"code": "t = ${w.temperature}\nx = 41\nx"}},
        ],
    },
    {"reasoning": "done", "steps": [], "final_answer": "x=${py}, t=${w.temperature}"},
    {
        "reasoning": "second turn: use what the first turn left in the session",
        "steps": [{"id": "py2", "tool": "python", "args": {"code": "{'x': x + 1, 't': t}"}}],
    },
    {"reasoning": "done", "steps": [], "final_answer": "second=${py2.x}"},
    {
        "reasoning": "after a restart: the session is still there",
        "steps": [{"id": "py3", "tool": "python", "args": {"code": "x + 2"}}],
    },
    {"reasoning": "done", "steps": [], "final_answer": "third=${py3}"},
]
APPROVALS = [
    {
        "reasoning": "two Python steps, both need approval",
        "steps": [
            {"id": "ok", "tool": "python", "args": {"code": "approved = 1\n'ran ok'"}},
            {"id": "no", "tool": "python", "args": {"code": "rejected = 1\n'ran no'"}},
        ],
    },
    {"reasoning": "done", "steps": [], "final_answer": "ok=${ok}"},
    {
        "reasoning": "check which of the earlier steps really ran",
        "steps": [
            {"id": "check", "tool": "python", "args": {"code": "['approved' in globals(), 'rejected' in globals()]"}}
        ],
    },
    {"reasoning": "done", "steps": [], "final_answer": "checked"},
    {
        "reasoning": "a step the reviewer will reject",
        "steps": [{"id": "drop", "tool": "python", "args": {"code": "dropped = 1"}}],
    },
    {"reasoning": "done", "steps": [], "final_answer": "after the rejection"},
]


@pytest.fixture(scope="module")
def server(tmp_path_factory, runtime):
    root = tmp_path_factory.mktemp("served")
    specs = []
    for name, plans in (("main", MAIN), ("approvals", APPROVALS)):
        path = root / f"{name}.json"
        path.write_text(json.dumps(plans))
        specs.append(f"recorded:{path}")
    env = {
        **os.environ,
        "LANGCHAIN_WASM_GUESTS": str(REPO / "guests"),
        "LANGCHAIN_WASM_MODELS": ",".join(specs),
        "LANGSMITH_TRACING": "false",
        "LANGCHAIN_TRACING_V2": "false",
        "PYTHONPATH": str(REPO),
    }
    env.pop("LANGCHAIN_WASM_MODEL", None)
    srv = DevServer.copy_graphs(root, env)
    srv.specs = specs
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
    assert "BlockingError" not in srv.text(), srv.tail()


def _run(coro):
    return asyncio.run(coro)


async def _assistant(client, graph, **configurable):
    return (await client.assistants.create(graph, config={"configurable": configurable}))["assistant_id"]


async def _values(client, thread_id):
    return (await client.threads.get_state(thread_id))["values"]


def _human(text):
    return {"messages": [{"role": "user", "content": text}]}


def test_the_offline_default_runs_and_streams(server):
    async def go():
        client = get_client(url=server.url)
        thread = (await client.threads.create())["thread_id"]
        out = await client.runs.wait(thread, "wasm_agent", input=_human("demo"))
        assert out["final_answer"].startswith("Reykjavik: ")
        assert {r["status"] for r in out["step_results"].values()} == {"success"}
        assert set(out["step_results"]) == {"rey", "cai", "fp"}
        state = await _values(client, thread)
        assert state["final_answer"] == out["final_answer"]
        # A second thread, streamed: node updates and the executor's custom step events.
        thread = (await client.threads.create())["thread_id"]
        updates, custom = [], []
        async for part in client.runs.stream(
            thread, "wasm_agent", input=_human("demo"), stream_mode=["updates", "custom"]
        ):
            if part.event == "updates":
                updates.append(part.data)
            elif part.event == "custom":
                custom.append(part.data)
        nodes = [node for update in updates for node in update]
        assert nodes[0] == "planner"
        assert nodes.count("step") == 3
        assert {(e["event"], e["step"]) for e in custom} == {
            (kind, step) for kind in ("step_start", "step_end") for step in ("rey", "cai", "fp")
        }
        assert any("final_answer" in (u.get("planner") or {}) and u["planner"]["final_answer"] for u in updates)
        # The team graph (two agents, recorded offline) is served too.
        thread = (await client.threads.create())["thread_id"]
        csv = "month,units\nJan,120\nFeb,135\nMar,160\nApr,150\n"
        team = await client.runs.wait(thread, "wasm_team", input={"task": "Summarize", "data_csv": csv})
        assert team["analysis"] == {"total": 565, "mean": 141.25, "best": "Mar"}
        assert team["report"] == "Total 565 units, best month Mar (leak=False)"

    _run(go())


def test_approvals_resumed_with_approve_and_reject(server):
    async def go():
        client = get_client(url=server.url)
        assistant = await _assistant(client, "wasm_agent", model=server.specs[1], approve=["python"])
        thread = (await client.threads.create())["thread_id"]
        await client.runs.wait(thread, assistant, input=_human("two steps"))
        state = await client.threads.get_state(thread)
        (interrupt,) = [i for t in state["tasks"] for i in t["interrupts"]]
        assert interrupt["value"]["type"] == "approval"
        assert {s["id"] for s in interrupt["value"]["steps"]} == {"ok", "no"}
        out = await client.runs.wait(thread, assistant, command={"resume": {"approve": ["ok"], "reject": ["no"]}})
        assert out["step_results"]["ok"]["status"] == "success"
        assert out["step_results"]["ok"]["result"] == "ran ok"
        assert out["step_results"]["no"]["status"] == "rejected"
        assert out["step_results"]["no"]["result"] is None
        assert out["final_answer"] == "ok=ran ok"
        # Next turn: the session shows the rejected step never ran.
        await client.runs.wait(thread, assistant, input=_human("check"))
        out = await client.runs.wait(thread, assistant, command={"resume": True})
        assert out["step_results"]["check"]["result"] == [True, False]
        # A plain reject.
        await client.runs.wait(thread, assistant, input=_human("drop"))
        out = await client.runs.wait(thread, assistant, command={"resume": False})
        assert out["step_results"]["drop"]["status"] == "rejected"
        assert out["final_answer"] == "after the rejection"

    _run(go())


def test_turns_build_on_each_other_and_the_session_survives_a_restart(server):
    async def turn(thread, assistant, text):
        client = get_client(url=server.url)
        return await client.runs.wait(thread, assistant, input=_human(text))

    async def setup():
        client = get_client(url=server.url)
        assistant = await _assistant(client, "wasm_agent", model=server.specs[0], approve="none")
        thread = (await client.threads.create())["thread_id"]
        return assistant, thread

    assistant, thread = _run(setup())
    first = _run(turn(thread, assistant, "first"))
    temperature = first["step_results"]["w"]["result"]["temperature"]
    assert first["final_answer"] == f"x=41, t={temperature}"
    second = _run(turn(thread, assistant, "second"))
    assert second["step_results"]["py2"]["result"] == {"x": 42, "t": temperature}  # the first turn's results
    assert second["final_answer"] == "second=42"
    assert "python_sessions" not in json.dumps(second["messages"])  # no snapshot in the conversation

    server.stop()
    server.start()
    third = _run(turn(thread, assistant, "third"))
    assert third["step_results"]["py3"]["status"] == "success", third["step_results"]["py3"]
    assert third["step_results"]["py3"]["content"] == "43"  # restored from the server's store, no note
    assert third["final_answer"] == "third=43"
