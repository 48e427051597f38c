"""The plan/execute agent with a scripted planner model, the real graph and real guests."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from langchain_wasm import Limits, WasmTool
from langchain_wasm.graph import Plan, create_wasm_agent
from tests.guests.conftest import GUESTS
from tests.tools.scripted import ScriptedChatModel

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).with_name("agent_graph.mmd")


def plan(*steps, reasoning="r", final=None):
    return AIMessage(json.dumps({"reasoning": reasoning, "steps": list(steps), "final_answer": final}))


def step(sid, tool_name, args, deps=()):
    return {"id": sid, "tool": tool_name, "args": args, "depends_on": list(deps)}


def answer(text):
    return plan(final=text)


@pytest.fixture(scope="module")
def tools():
    return {n: WasmTool.from_manifest(GUESTS / n) for n in ("weather", "sha256", "matmul")}


def run(model, tool_list, *, thread="t", checkpointer=None, **kwargs):
    app = create_wasm_agent(model, tool_list, checkpointer=checkpointer or InMemorySaver(), **kwargs)
    config = {"configurable": {"thread_id": thread}}
    return app, config, app.invoke({"messages": [HumanMessage("go")]}, config)


def feedback(state):
    return [m.content for m in state["messages"] if getattr(m, "name", None) == "validator"]


def test_two_independent_steps_then_a_dependent_one(tools):
    model = ScriptedChatModel(
        script=[
            plan(
                step("p", "weather", {"city": "Paris"}),
                step("s", "weather", {"city": "Stockholm"}),
                step("h", "sha256", {"text": "Paris ${p.temperature}, Stockholm ${s.temperature}"}),
            ),
            answer("Paris is warmer."),
        ]
    )
    _, _, state = run(model, list(tools.values()))
    results = state["step_results"]
    assert {k: v["status"] for k, v in results.items()} == {"p": "success", "s": "success", "h": "success"}
    assert results["h"]["args"] == {"text": "Paris 18.5, Stockholm 9.4"}
    assert results["h"]["result"] == hashlib.sha256(b"Paris 18.5, Stockholm 9.4").hexdigest()
    assert results["h"]["started"] >= max(results["p"]["ended"], results["s"]["ended"])
    assert state["final_answer"] == "Paris is warmer."
    assert state["messages"][-1].content == "Paris is warmer."
    # LangChain's shape: the plan is an AIMessage whose tool calls are the steps, each result a ToolMessage.
    _question, plan_msg, *tool_msgs, final = state["messages"]
    assert isinstance(plan_msg, AIMessage)
    assert [(c["id"], c["name"]) for c in plan_msg.tool_calls] == [("p", "weather"), ("s", "weather"), ("h", "sha256")]
    assert all(isinstance(m, ToolMessage) and m.status == "success" for m in tool_msgs)
    assert {m.tool_call_id for m in tool_msgs} == {"p", "s", "h"}
    h = next(m for m in tool_msgs if m.tool_call_id == "h")
    assert h.artifact["result"] == results["h"]["result"]
    assert isinstance(final, AIMessage)
    assert not final.tool_calls
    assert final.content == "Paris is warmer."
    # The planner's next turn read the results as one message, its own plan as JSON.
    seen = model.seen[1]
    assert json.loads(seen[2].content)["steps"][2]["tool"] == "sha256"
    assert "- h (sha256) success:" in seen[-1].content
    assert state["iteration"] == 1


def test_whole_result_reference_passes_structured_values(tools):
    model = ScriptedChatModel(
        script=[
            plan(
                step("m", "matmul", {"a": [[1, 2], [3, 4]], "b": [[1, 0], [0, 1]]}),
                step("m2", "matmul", {"a": "${m}", "b": [[2, 0], [0, 2]]}),
            ),
            answer("ok"),
        ]
    )
    _, _, state = run(model, list(tools.values()))
    assert state["step_results"]["m2"]["result"] == [[2.0, 4.0], [6.0, 8.0]]


def test_malformed_json_is_repaired(tools):
    model = ScriptedChatModel(
        script=[
            AIMessage('{"reasoning": "x", "steps": [ {"id": "a", '),
            AIMessage("I think I should look up the weather."),
            plan(step("a", "weather", {"city": "Rome"})),
            answer("done"),
        ]
    )
    _, _, state = run(model, list(tools.values()))
    notes = feedback(state)
    assert "invalid JSON" in notes[0]
    assert "contains no JSON object" in notes[1]
    assert state["step_results"]["a"]["status"] == "success"
    assert state["final_answer"] == "done"
    assert "Your plan was rejected" in model.seen[1][-1].content  # the model saw the error


@pytest.mark.parametrize(
    ("bad_plan", "expected"),
    [
        (plan(step("a", "telnet", {"host": "x"})), "unknown tool 'telnet'; available tools"),
        (plan(step("a", "weather", {"city": 5})), "step a (weather): $.city: 5 is not of type 'string'"),
        (plan(step("a", "weather", {"city": "Rome", "units": "kelvin"})), "'kelvin' is not one of"),
        (plan(step("a", "weather", {})), "'city' is a required property"),
        (plan(step("a", "sha256", {"text": "${a}"})), "cannot depend on itself"),
        (
            plan(step("a", "sha256", {"text": "${b}"}), step("b", "sha256", {"text": "${a}"})),
            "depend on each other in a cycle",
        ),
        (plan(step("a", "sha256", {"text": "${zz}"})), "'zz', which is not a step of this plan"),
        (plan(step("a", "sha256", {"text": "1"}), step("a", "sha256", {"text": "2"})), "step ids must be unique"),
        (plan(*[step(f"s{i}", "sha256", {"text": "x"}) for i in range(9)]), "at most 8 are allowed"),
        (AIMessage('{"steps": [{"id": "a", "tool": "sha256", "arguments": {}}]}'), "Extra inputs are not permitted"),
        (AIMessage('{"reasoning": "nothing to do", "steps": []}'), "neither steps nor a final_answer"),
    ],
)
def test_invalid_plans_go_back_with_precise_errors(tools, bad_plan, expected):
    model = ScriptedChatModel(script=[bad_plan, answer("gave up on that")])
    _, _, state = run(model, list(tools.values()))
    assert expected in feedback(state)[0]
    assert state["step_results"] == {} or "step_results" not in state
    assert state["final_answer"] == "gave up on that"


def test_repairs_are_bounded(tools):
    model = ScriptedChatModel(script=[AIMessage(f"no json {i}") for i in range(3)])
    _, _, state = run(model, list(tools.values()), max_repairs=2)
    assert state["final_answer"].startswith("I could not produce a valid plan after 3 attempts")
    assert len(model.script) == 0


def test_a_step_that_exceeds_its_time_limit_is_an_observation(tools):
    slow = WasmTool.from_manifest(GUESTS / "hostile" / "loop", limits=Limits(fuel=None, timeout_s=0.1))
    model = ScriptedChatModel(script=[plan(step("a", "loop", {}), step("b", "sha256", {"text": "x"})), answer("ok")])
    _, _, state = run(model, [slow, tools["sha256"]])
    res = state["step_results"]
    assert res["a"]["status"] == "error"
    assert "ran out of time" in res["a"]["content"]
    assert res["b"]["status"] == "success"


def test_a_trapping_step_and_its_dependents(tools):
    crash = WasmTool.from_manifest(GUESTS / "hostile" / "stack_overflow")
    model = ScriptedChatModel(
        script=[
            plan(
                step("a", "stack_overflow", {}),
                step("b", "sha256", {"text": "${a}"}),
                step("c", "sha256", {"text": "y"}),
            ),
            answer("partly"),
        ]
    )
    _, _, state = run(model, [crash, tools["sha256"]])
    res = state["step_results"]
    assert res["a"]["status"] == "error"
    assert "recursed too deeply" in res["a"]["content"]
    assert res["b"]["status"] == "skipped"
    assert res["c"]["status"] == "success"
    assert state["final_answer"] == "partly"


def test_max_iterations(tools):
    model = ScriptedChatModel(script=[plan(step("a", "sha256", {"text": str(i)})) for i in range(3)])
    _, _, state = run(model, list(tools.values()), max_iterations=2)
    assert state["iteration"] == 2
    assert "I stopped after 2 rounds" in state["final_answer"]
    assert len(model.script) == 1  # the third plan was never asked for


def test_ordinary_langchain_tools_run_in_process(tools):
    @tool
    def shout(text: str) -> str:
        """Upper-case a text (an ordinary in-process tool)."""
        return text.upper()

    model = ScriptedChatModel(
        script=[
            plan(step("w", "weather", {"city": "Cairo"}), step("s", "shout", {"text": "${w.condition}"})),
            answer("ok"),
        ]
    )
    _, _, state = run(model, [tools["weather"], shout])
    assert state["step_results"]["s"]["result"] == "SUNNY"


def test_structured_output_tool_call_path(tools):
    data = {"reasoning": "r", "steps": [step("a", "sha256", {"text": "abc"})]}
    model = ScriptedChatModel(
        script=[
            AIMessage("", tool_calls=[{"name": "Plan", "args": data, "id": "1", "type": "tool_call"}]),
            AIMessage(
                "", tool_calls=[{"name": "Plan", "args": {"final_answer": "hashed"}, "id": "2", "type": "tool_call"}]
            ),
        ]
    )
    _, _, state = run(model, list(tools.values()), structured_output=True)
    assert state["step_results"]["a"]["result"] == hashlib.sha256(b"abc").hexdigest()
    assert state["final_answer"] == "hashed"


def _approval_run(tools, resume):
    model = ScriptedChatModel(
        script=[
            plan(
                step("w", "weather", {"city": "Lagos"}),
                step("h", "sha256", {"text": "${w.city}"}),
                step("x", "sha256", {"text": "free"}),
            ),
            answer("finished"),
        ]
    )
    app, config, state = run(model, list(tools.values()), approve={"weather"})
    pending = app.get_state(config)
    return app, config, state, pending


@pytest.mark.parametrize("decision", [True, {"approve": ["w"]}, {"w": True}])
def test_approval_interrupt_then_approve(tools, decision):
    app, config, state, pending = _approval_run(tools, decision)
    (intr,) = pending.interrupts
    assert intr.value["type"] == "approval"
    assert [s["id"] for s in intr.value["steps"]] == ["w"]
    assert "final_answer" not in state
    final = app.invoke(Command(resume=decision), config)
    assert {k: v["status"] for k, v in final["step_results"].items()} == {
        "w": "success",
        "h": "success",
        "x": "success",
    }
    assert final["approvals"] == {"w": True}
    assert final["final_answer"] == "finished"


def test_approval_interrupt_then_reject(tools):
    app, config, _, _ = _approval_run(tools, False)
    final = app.invoke(Command(resume=False), config)
    res = final["step_results"]
    assert res["w"]["status"] == "rejected"
    assert res["h"]["status"] == "skipped"
    assert res["x"]["status"] == "success"
    rejected = next(m for m in final["messages"] if isinstance(m, ToolMessage) and m.tool_call_id == "w")
    assert rejected.status == "error"
    assert rejected.artifact["status"] == "rejected"
    assert "rejected by a human reviewer" in rejected.content


def test_auto_approval_policy_pauses_for_writable_directories(tmp_path, tools):
    from langchain_wasm import Capabilities, Preopen

    risky = WasmTool.from_manifest(
        GUESTS / "sha256", name="sha256_rw", capabilities=Capabilities(preopens=(Preopen(str(tmp_path), "/w", True),))
    )
    model = ScriptedChatModel(script=[plan(step("a", "sha256_rw", {"text": "x"})), answer("ok")])
    app, config, _ = run(model, [risky])
    assert app.get_state(config).interrupts


def test_parallel_steps_really_overlap():
    # 1.5 s each: the second must start while the first still runs, even when a loaded machine starts it late
    slow = WasmTool.from_manifest(GUESTS / "hostile" / "loop", limits=Limits(fuel=None, timeout_s=1.5))
    model = ScriptedChatModel(script=[plan(step("a", "loop", {}), step("b", "loop", {})), answer("ok")])
    _, _, state = run(model, [slow])
    a, b = state["step_results"]["a"], state["step_results"]["b"]
    assert a["started"] < b["ended"]
    assert b["started"] < a["ended"]  # the two intervals intersect: they ran at the same time


def test_sequential_mode_does_not_overlap():
    slow = WasmTool.from_manifest(GUESTS / "hostile" / "loop", limits=Limits(fuel=None, timeout_s=0.05))
    model = ScriptedChatModel(script=[plan(step("a", "loop", {}), step("b", "loop", {})), answer("ok")])
    _, _, state = run(model, [slow], parallel=False)
    a, b = state["step_results"]["a"], state["step_results"]["b"]
    assert a["ended"] <= b["started"]


async def test_async_agent(tools):
    model = ScriptedChatModel(
        script=[plan(step("a", "weather", {"city": "Dubai"}), step("b", "sha256", {"text": "q"})), answer("ok")]
    )
    app = create_wasm_agent(model, list(tools.values()))
    state = await app.ainvoke({"messages": [HumanMessage("go")]})
    assert state["step_results"]["a"]["result"]["city"] == "Dubai"
    assert state["step_results"]["b"]["status"] == "success"


def test_stream_updates_show_plan_steps_and_answer(tools):
    model = ScriptedChatModel(script=[plan(step("a", "sha256", {"text": "q"})), answer("streamed")])
    app = create_wasm_agent(model, list(tools.values()))
    chunks = list(app.stream({"messages": [HumanMessage("go")]}, stream_mode=["updates", "custom"]))
    nodes = [next(iter(c)) for mode, c in chunks if mode == "updates"]
    assert nodes == ["planner", "dispatch", "step", "dispatch", "observe", "planner"]
    events = [c["event"] for mode, c in chunks if mode == "custom"]
    assert events == ["step_start", "step_end"]


def test_sqlite_checkpoint_resume_across_processes_after_a_crash(tmp_path):
    db, log = tmp_path / "agent.sqlite", tmp_path / "steps.log"
    base = [sys.executable, "-m", "tests.graph.agent_script", str(db), "th", str(log)]
    first = subprocess.run([*base, "start", "--crash-in-step"], cwd=ROOT, capture_output=True, text=True)
    assert first.returncode == 23, first.stderr[-2000:]
    assert log.read_text().split() == ["s1"]
    second = subprocess.run([*base, "resume"], cwd=ROOT, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr[-2000:]
    assert log.read_text().split() == ["s1", "s2"]  # s1 not repeated, s2 not lost
    assert '{"s1": "success", "s2": "success"} counted' in second.stdout


def test_graph_drawing_is_stable(tools):
    app = create_wasm_agent(ScriptedChatModel(script=[]), list(tools.values()))
    drawing = app.get_graph().draw_mermaid()
    if os.environ.get("LCW_UPDATE_SNAPSHOTS"):  # regenerate deliberately: LCW_UPDATE_SNAPSHOTS=1 pytest ...
        SNAPSHOT.write_text(drawing)
    assert drawing == SNAPSHOT.read_text()


def test_factory_checks_its_arguments(tools):
    with pytest.raises(ValueError, match="at least one tool"):
        create_wasm_agent(ScriptedChatModel(script=[]), [])
    with pytest.raises(ValueError, match="repeated"):
        create_wasm_agent(ScriptedChatModel(script=[]), [tools["sha256"], tools["sha256"]])
    with pytest.raises(TypeError, match="BaseTool or BaseToolkit"):
        create_wasm_agent(ScriptedChatModel(script=[]), ["weather"])


def test_plan_schema_is_exported():
    schema = Plan.model_json_schema()
    assert set(schema["properties"]) == {"reasoning", "steps", "final_answer"}
