"""The served agent under concurrent load: one ``langgraph dev`` (started and stopped here by PID), 50 runs across
10 threads at once through ``langgraph-sdk``; every answer must be right (checked against the weather guest
called directly) and the server's memory must stay flat once warm. ``LCW_SERVED_THREADS`` x
``LCW_SERVED_TURNS`` sets the size (default 10 x 5)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from tests.reliability.figures import record
from tests.serve.servers import REPO, DevServer

pytest.importorskip("langgraph_api", reason="needs the test extra: pip install 'langgraph-cli[inmem]'")
from langgraph_sdk import get_client

pytestmark = pytest.mark.timeout(1200)

THREADS = int(os.environ.get("LCW_SERVED_THREADS", "10"))
TURNS = int(os.environ.get("LCW_SERVED_TURNS", "5"))
CITIES = ["Reykjavik", "Cairo", "Paris", "Tokyo", "Rome", "Zurich", "Nairobi", "Sydney", "Toronto", "Mumbai"]


def _recording() -> list[dict[str, object]]:
    """Per turn a plan (one weather step) and its answer; the recorded planner replays them in order."""
    plans: list[dict[str, object]] = []
    for turn in range(TURNS):
        city = CITIES[turn % len(CITIES)]
        plans.append({"reasoning": f"turn {turn}", "steps": [{"id": f"w{turn}", "tool": "weather",
                      "args": {"city": city, "units": "metric"}}]})  # fmt: skip
        plans.append({"reasoning": "done", "steps": [], "final_answer": f"{city}=${{w{turn}.temperature}}"})
    return plans


def _expected() -> list[str]:
    from langchain_wasm.guest import Guest

    weather = Guest.load(REPO / "guests" / "weather")
    out = []
    for turn in range(TURNS):
        city = CITIES[turn % len(CITIES)]
        out.append(f"{city}={weather.call({'city': city, 'units': 'metric'}).value['temperature']}")
    return out


def _tree_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants (the server runs its graphs in-process)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        stack.extend(int(c) for c in children)
    return total / 1024


def test_fifty_concurrent_runs_are_all_right_and_memory_stays_flat(tmp_path):
    recording = tmp_path / "load.json"
    recording.write_text(json.dumps(_recording()))
    env = {
        **os.environ,
        "LANGCHAIN_WASM_GUESTS": str(REPO / "guests"),
        "LANGCHAIN_WASM_MODELS": f"recorded:{recording}",
        "LANGSMITH_TRACING": "false",
        "LANGCHAIN_TRACING_V2": "false",
        "PYTHONPATH": str(REPO),
    }
    env.pop("LANGCHAIN_WASM_MODEL", None)
    expected = _expected()
    server = DevServer.copy_graphs(tmp_path, env)
    server.start()
    try:
        assert server.proc is not None
        pid = server.proc.pid

        async def go() -> tuple[list[list[str]], float, float]:
            client = get_client(url=server.url)
            assistant = (
                await client.assistants.create(
                    "wasm_agent", config={"configurable": {"model": f"recorded:{recording}"}}
                )
            )["assistant_id"]
            threads = [(await client.threads.create())["thread_id"] for _ in range(THREADS)]

            async def conversation(thread: str) -> list[str]:
                answers = []
                for turn in range(TURNS):
                    out = await client.runs.wait(
                        thread, assistant, input={"messages": [{"role": "user", "content": f"turn {turn}"}]}
                    )
                    answers.append(out.get("final_answer"))
                return answers

            # warm-up: one conversation alone, then measure memory; then every thread at once
            first = await conversation(threads[0])
            warm = _tree_rss_mib(pid)
            rest = await asyncio.gather(*(conversation(t) for t in threads[1:]))
            return [first, *rest], warm, _tree_rss_mib(pid)

        answers, warm_mib, end_mib = asyncio.run(go())
    finally:
        server.stop()
    log = server.text()
    assert "BlockingError" not in log, server.tail()
    wrong = [(i, a) for i, conv in enumerate(answers) for a, want in zip(conv, expected, strict=True) if a != want]
    assert wrong == [], (wrong, expected)
    assert sum(len(c) for c in answers) == THREADS * TURNS
    # flat: the concurrent phase (9x the warm-up's runs) may not grow the server by more than a quarter
    assert end_mib <= warm_mib * 1.25 + 64, (warm_mib, end_mib)
    record("served_load", {"runs": THREADS * TURNS, "threads": THREADS, "wrong": len(wrong),
                           "rss_warm_mib": round(warm_mib, 1), "rss_end_mib": round(end_mib, 1)})  # fmt: skip
