"""Planner benchmark: a fixed question set over the shipped guests, per model path.

Questions: one tool, two in parallel, a dependent step, an error to recover from, a question needing no tool (and
two more single-tool ones). Per model path it reports the valid-plan rate (planner turns whose answer was a valid
plan), right tools and arguments (the first plan), right final answers, repairs, and the planner latency.

Paths (all offline): SmolLM2-135M-Instruct in process with the constrained schema as a grammar; the same model
through llama.cpp's OpenAI-compatible server with langchain-openai (json_schema refused, so json_object + schema);
and the in-process model with plain JSON text (no constraint), the baseline. The prompts are the agent's own;
nothing is tuned to these questions. A 135M model is weak: the figures say so.

    python bench/bench_planner.py [--paths grammar,server,text] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from langchain_core.messages import AIMessage, HumanMessage  # noqa: E402

from langchain_wasm import WasmTool  # noqa: E402
from langchain_wasm.graph import create_wasm_agent  # noqa: E402

GUESTS = ROOT / "guests"

# (kind, question, expected first-plan tools with key arguments, a substring the right answer contains)
QUESTIONS: list[tuple[str, str, list[tuple[str, dict[str, Any]]], str]] = [
    ("one tool", "What is the weather in Paris right now?", [("weather", {"city": "Paris"})], "18.5"),
    (
        "two in parallel",
        "What is the temperature in Paris and in Tokyo?",
        [("weather", {"city": "Paris"}), ("weather", {"city": "Tokyo"})],
        "18.5",
    ),
    (
        "dependent step",
        "Look up the weather in Cairo, then give me the SHA-256 hash of its sky condition text.",
        [("weather", {"city": "Cairo"}), ("sha256", {})],
        "",
    ),
    (
        "error to recover",
        "What is the weather in Atlantis? If that city is not known, tell me the weather in Rome instead.",
        [("weather", {"city": "Atlantis"})],
        "",
    ),
    ("no tool", "Say hello to me in French. No tool is needed for this.", [], "bonjour"),
    ("one tool", "Compute the SHA-256 hash of the text 'hello'.", [("sha256", {"text": "hello"})], "2cf24dba"),
    ("one tool", "How many words are in the text 'the cat sat on the mat'?", [("text_stats", {})], "6"),
]


def _expected_answers(tools: dict[str, WasmTool]) -> list[str]:
    weather = tools["weather"]
    cairo = weather.invoke({"city": "Cairo"})
    rome = json.loads(weather.invoke({"city": "Rome"}))
    digest = tools["sha256"].invoke({"text": json.loads(cairo)["condition"]})
    fixed = [q[3] for q in QUESTIONS]
    fixed[2] = digest[:12]
    fixed[3] = str(rome["temperature"])
    return fixed


def _right_first_plan(state: dict[str, Any], expected: list[tuple[str, dict[str, Any]]]) -> bool:
    plans = [m for m in state["messages"] if isinstance(m, AIMessage) and m.tool_calls]
    if not expected:
        return not plans
    if not plans:
        return False
    calls = plans[0].tool_calls
    if sorted(c["name"] for c in calls) != sorted(t for t, _ in expected):
        return False
    for tool, args in expected:
        if not any(
            c["name"] == tool
            and all(str(c["args"].get(k, "")).strip().lower() == str(v).lower() for k, v in args.items())
            for c in calls
        ):
            return False
    return True


def run_path(name: str, model: Any, tools: dict[str, WasmTool], answers: list[str], **kwargs: Any) -> dict[str, Any]:
    rows = []
    for (kind, question, expected, _), answer in zip(QUESTIONS, answers, strict=True):
        app = create_wasm_agent(model, list(tools.values()), max_iterations=3, max_repairs=2, **kwargs)
        latencies: list[float] = []
        last = time.perf_counter()
        state: dict[str, Any] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for chunk in app.stream({"messages": [HumanMessage(question)]}, stream_mode=["updates", "values"]):
                mode, data = chunk
                now = time.perf_counter()
                if mode == "updates" and "planner" in data:
                    latencies.append(now - last)
                if mode == "updates":
                    last = now
                if mode == "values":
                    state = data
        turns = len(latencies)
        repairs = sum(1 for m in state["messages"] if getattr(m, "name", None) == "validator")
        final = str(state.get("final_answer") or "")
        rows.append(
            {
                "kind": kind,
                "question": question,
                "planner_turns": turns,
                "valid_plans": turns - repairs,
                "repairs": repairs,
                "right_tools_and_args": _right_first_plan(state, expected),
                "right_answer": bool(answer) and answer.lower() in final.lower(),
                "final_answer": final[:200],
                "planner_latency_s": round(statistics.mean(latencies), 2) if latencies else None,
            }
        )
        print(
            f"  [{name}] {kind:17} turns={turns} repairs={repairs} right_plan={rows[-1]['right_tools_and_args']}"
            f" right_answer={rows[-1]['right_answer']} answer={final[:80]!r}",
            flush=True,
        )
    turns = sum(r["planner_turns"] for r in rows)
    lat = [r["planner_latency_s"] for r in rows if r["planner_latency_s"] is not None]
    return {
        "path": name,
        "questions": len(rows),
        "valid_plan_rate": round(sum(r["valid_plans"] for r in rows) / turns, 2) if turns else 0.0,
        "right_tools_and_args": sum(r["right_tools_and_args"] for r in rows),
        "right_answers": sum(r["right_answer"] for r in rows),
        "repairs": sum(r["repairs"] for r in rows),
        "planner_latency_s_mean": round(statistics.mean(lat), 2) if lat else None,
        "rows": rows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", default="grammar,server,text")
    parser.add_argument("--json", help="write the full results here")
    ns = parser.parse_args()
    from langchain_wasm.chat_models.llamacpp import ChatLlamaCpp
    from tests.llm.local import gguf_path, llama_server

    tools = {n: WasmTool.from_manifest(GUESTS / n) for n in ("weather", "sha256", "text_stats", "matmul")}
    answers = _expected_answers(tools)
    gguf = gguf_path()
    results = []
    paths = ns.paths.split(",")
    if "grammar" in paths:
        results.append(
            run_path("in-process, grammar", ChatLlamaCpp(model_path=str(gguf), max_tokens=768), tools, answers)
        )
    if "server" in paths:
        from langchain_openai import ChatOpenAI

        with llama_server(gguf, n_ctx=8192) as url:
            model = ChatOpenAI(
                model="smollm2", base_url=url, api_key="none", temperature=0, max_tokens=768, max_retries=0
            )
            results.append(run_path("llama.cpp server, ChatOpenAI", model, tools, answers))
    if "text" in paths:
        model = ChatLlamaCpp(model_path=str(gguf), max_tokens=768)
        results.append(run_path("in-process, JSON text", model, tools, answers, structured_output=False))
    print(f"\n{'path':32} {'valid plans':>11} {'right plan':>10} {'right answer':>12} {'repairs':>7} {'latency s':>9}")
    for r in results:
        n = r["questions"]
        print(
            f"{r['path']:32} {r['valid_plan_rate']:>11.0%} {r['right_tools_and_args']:>7}/{n} "
            f"{r['right_answers']:>9}/{n} {r['repairs']:>7} {r['planner_latency_s_mean'] or 0:>9.2f}"
        )
    if ns.json:
        Path(ns.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
