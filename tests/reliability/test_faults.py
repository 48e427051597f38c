"""Faults the host must survive without losing or repeating work: hostile guests in the middle of an agent plan,
the agent process SIGKILLed at random moments and resumed from its SQLite checkpoint, a compile cache that is
corrupted, swapped, deleted, raced by several processes, unwritable, or on a full disk.

Already covered elsewhere (not repeated here): a trapping step and a timed-out step as observations
(tests/graph/test_agent.py), a crash inside a step and a resume in a new process (same file), a flipped,
truncated, mismatched or sidecar-less cache entry and a group-writable cache directory
(tests/runtime/test_cache.py).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver

from langchain_wasm import Limits, WasmEngine, WasmModule, WasmTool
from langchain_wasm.graph import create_wasm_agent
from tests.guests.conftest import GUESTS
from tests.reliability import agent_child
from tests.reliability.figures import record
from tests.runtime import wat
from tests.tools.scripted import ScriptedChatModel

ROOT = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("LCW_FAULT_KILLS", "3"))


# -- hostile guests in the middle of a plan -------------------------------------------------------------------------

HOSTILE_STEPS = {  # tool name -> what the agent must be told (a phrase of the error observation)
    "memory_bomb": "needed more memory than allowed",
    "output_flood": "produced more output than allowed",
    "liar": "its result was discarded",
    "exit_code": "could not do it",
    "stack_overflow": "recursed too deeply",
    "loop": "instruction budget",
}


def test_hostile_steps_in_a_plan_become_observations_and_the_rest_completes():
    tools = [WasmTool.from_manifest(GUESTS / "hostile" / name) for name in HOSTILE_STEPS]
    tools[-1] = WasmTool.from_manifest(GUESTS / "hostile" / "loop", limits=Limits(fuel=100_000))
    sha = WasmTool.from_manifest(GUESTS / "sha256")
    steps = [{"id": f"h{i}", "tool": name, "args": {}} for i, name in enumerate(HOSTILE_STEPS)]
    steps += [
        {"id": "ok", "tool": "sha256", "args": {"text": "still here"}},
        {"id": "dep", "tool": "sha256", "args": {"text": "${h0}"}},  # depends on a failed step: skipped
    ]
    model = ScriptedChatModel(
        script=[
            AIMessage(json.dumps({"reasoning": "r", "steps": steps})),
            AIMessage(json.dumps({"reasoning": "r", "steps": [], "final_answer": "survived"})),
        ]
    )
    app = create_wasm_agent(model, [*tools, sha], checkpointer=InMemorySaver(), max_steps=10)
    state = app.invoke({"messages": [HumanMessage("go")]}, {"configurable": {"thread_id": "t"}})
    results = state["step_results"]
    for i, (name, phrase) in enumerate(HOSTILE_STEPS.items()):
        assert results[f"h{i}"]["status"] == "error", (name, results[f"h{i}"])
        assert phrase in results[f"h{i}"]["content"], (name, results[f"h{i}"]["content"])
    assert results["ok"]["result"] == hashlib.sha256(b"still here").hexdigest()
    assert results["dep"]["status"] == "skipped"
    assert state["final_answer"] == "survived"
    errors = {m.tool_call_id for m in state["messages"] if m.type == "tool" and m.status == "error"}
    assert {f"h{i}" for i in range(len(HOSTILE_STEPS))} <= errors  # each failure reached the transcript


# -- SIGKILL at random moments, resume from the checkpoint ----------------------------------------------------------


def _completed(db: Path, thread: str) -> set[str]:
    @tool
    def chain(text: str, label: str) -> str:
        """Stub with the child's tool name (the state is read, nothing runs)."""
        return ""

    saver = SqliteSaver(sqlite3.connect(str(db), check_same_thread=False))
    app = create_wasm_agent(ScriptedChatModel(script=[]), [chain], checkpointer=saver)
    values = app.get_state({"configurable": {"thread_id": thread}}).values
    return {k for k, v in (values.get("step_results") or {}).items() if v["status"] == "success"}


def _log(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_agent_killed_at_random_moments_resumes_without_losing_or_repeating_steps(tmp_path):
    """SIGKILL the agent process at random moments (seeded) and resume it from the SQLite checkpoint until it
    finishes, over as many plans (threads) as it takes to deliver ``LCW_FAULT_KILLS`` kills: every step ends up
    done in the checkpoint with the right value, and no step the checkpoint recorded as done before a resume is
    started again after it."""
    rng = random.Random(8)
    kills = processes = step_starts = plans = 0
    while kills < KILLS:
        plans += 1
        assert plans <= KILLS + 5, "kills keep missing the plan"
        log = tmp_path / f"steps-{plans}.log"
        started, killed = _run_until_done(
            tmp_path / "agent.sqlite", log, f"kill-{plans}", rng, kills_left=KILLS - kills
        )
        processes += started
        kills += killed
        step_starts += sum(1 for ln in _log(log) if ln.startswith("start"))
    record(
        "kills",
        {
            "kills": kills,
            "processes": processes,
            "plans": plans,
            "steps": agent_child.STEPS,
            "step_starts": step_starts,
        },
    )


def _run_until_done(db: Path, log: Path, thread: str, rng: random.Random, *, kills_left: int) -> tuple[int, int]:
    """Run one plan until it completes, SIGKILLing it at most ``kills_left`` times; (processes, kills)."""
    cmd = [sys.executable, "-m", "tests.reliability.agent_child", str(db), thread, str(log)]
    processes = kills = 0
    while True:
        processes += 1
        assert processes <= kills_left + 10, "the agent never finished"
        done_before = _completed(db, thread) if db.exists() else set()
        lines_before = len(_log(log))
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        killed = False
        if processes <= kills_left:
            # wait until the child is inside the plan (a step started in this process), then a random moment
            deadline = time.monotonic() + 60
            while len(_log(log)) == lines_before and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0, agent_child.DELAY_S * 3))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                killed = True
                kills += 1
        if not killed:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err[-3000:]
        started_now = [ln.split()[1] for ln in _log(log)[lines_before:] if ln.startswith("start")]
        assert not done_before & set(started_now), (done_before, started_now)  # nothing recorded is redone
        if not killed:
            break
    assert out.strip().endswith("hashed"), out
    assert _completed(db, thread) == {f"s{i}" for i in range(1, agent_child.STEPS + 1)}
    ends = [ln.split()[1] for ln in _log(log) if ln.startswith("end")]
    assert set(ends) == {f"s{i}" for i in range(1, agent_child.STEPS + 1)}  # none lost
    want = "seed"
    for _ in range(agent_child.STEPS):
        want = hashlib.sha256(want.encode()).hexdigest()
    assert _final_result(db, thread) == want
    return processes, kills


def _final_result(db: Path, thread: str) -> str:
    @tool
    def chain(text: str, label: str) -> str:
        """Stub."""
        return ""

    saver = SqliteSaver(sqlite3.connect(str(db), check_same_thread=False))
    app = create_wasm_agent(ScriptedChatModel(script=[]), [chain], checkpointer=saver)
    values = app.get_state({"configurable": {"thread_id": thread}}).values
    return str(values["step_results"][f"s{agent_child.STEPS}"]["result"])


# -- the compile cache ----------------------------------------------------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import json, sys, warnings
    warnings.simplefilter("always")
    with warnings.catch_warnings(record=True) as seen:
        from langchain_wasm import WasmEngine, WasmModule
        engine = WasmEngine(cache_dir=sys.argv[1])
        mod = WasmModule.from_wat(sys.argv[2], engine=engine)
        value = mod.call("add", 20, 22).value
    print(json.dumps({"value": value, "hits": engine.cache.hits, "misses": engine.cache.misses,
                      "rejected": engine.cache.rejected, "warnings": [str(w.message) for w in seen]}))
    """
)


def _child(cache: Path, source: str = wat.ADD, *, prelude: str = "") -> dict:
    out = subprocess.run(
        [sys.executable, "-c", prelude + _CHILD, str(cache), source], capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout))


def _entry(cache: Path) -> tuple[Path, Path]:
    (artifact,) = cache.glob("*.cwasm")
    return artifact, artifact.with_suffix(".json")


def test_cache_entry_swapped_for_another_modules_valid_entry_is_rejected(tmp_path):
    """An attacker with write access to the cache can do anything (documented), but an accidental mix-up, such as
    entries copied between machines or keys, is caught: the sidecar's key must be the file's own."""
    a, b = tmp_path / "a", tmp_path / "b"
    _child(a)
    other = wat.ADD.replace("i32.add", "i32.sub")
    _child(b, other)
    (art_a, side_a), (art_b, side_b) = _entry(a), _entry(b)
    art_a.write_bytes(art_b.read_bytes())
    side_a.write_text(side_b.read_text())
    got = _child(a)
    assert (got["value"], got["rejected"], got["misses"]) == (42, 1, 1)  # add, not sub


@pytest.mark.parametrize("damage", ["artifact-missing", "sidecar-missing", "artifact-is-a-directory", "empty"])
def test_partially_missing_or_odd_cache_entries_are_rebuilt(tmp_path, damage):
    cache = tmp_path / "c"
    _child(cache)
    artifact, sidecar = _entry(cache)
    if damage == "artifact-missing":
        artifact.unlink()
    elif damage == "sidecar-missing":
        sidecar.unlink()
    elif damage == "artifact-is-a-directory":
        artifact.unlink()
        artifact.mkdir()
    else:
        artifact.write_bytes(b"")
        sidecar.write_text("")
    got = _child(cache)
    assert got["value"] == 42
    assert got["hits"] == 0
    if damage != "artifact-is-a-directory":  # a directory cannot be unlinked as a file: it stays rejected
        assert _child(cache)["hits"] == 1  # rebuilt: the next process loads it


def test_processes_racing_to_fill_the_same_cache_all_succeed(tmp_path):
    cache = tmp_path / "c"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(cache), wat.ADD], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(6)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()[-2000:]
        results.append(json.loads(out))
    assert all(r["value"] == 42 for r in results)
    assert not [f for f in os.listdir(cache) if f.startswith(".tmp-")]
    after = _child(cache)
    assert (after["hits"], after["rejected"]) == (1, 0)


def test_disk_full_while_writing_the_cache_falls_back_to_memory_with_a_warning(tmp_path):
    """A real write failure in a child whose file-size limit is 0 (every write fails with EFBIG, as on a full
    disk): the call works, a warning says the entry is kept in memory only, and no temp file is left."""
    cache = tmp_path / "c"
    prelude = "import resource, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
    prelude += "resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))\n"
    got = _child(cache, prelude=prelude)
    assert got["value"] == 42
    assert any("could not write compile cache entry" in w and "memory only" in w for w in got["warnings"])
    assert sorted(os.listdir(cache)) == []  # neither a temp file nor a half entry
    assert _child(cache)["misses"] == 1  # the next process (no limit) writes it


def test_enospc_while_writing_the_cache_falls_back_to_memory_with_a_warning(tmp_path, monkeypatch):
    engine = WasmEngine(cache_dir=tmp_path / "c")
    real = os.replace

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.warns(RuntimeWarning, match="No space left on device.*memory only"):
        mod = WasmModule.from_wat(wat.ADD, engine=engine)
    monkeypatch.setattr(os, "replace", real)
    assert mod.call("add", 1, 2).value == 3
    assert os.listdir(tmp_path / "c") == []


def test_cache_directory_deleted_while_the_process_runs(tmp_path):
    import shutil

    engine = WasmEngine(cache_dir=tmp_path / "c")
    assert WasmModule.from_wat(wat.ADD, engine=engine).call("add", 1, 1).value == 2
    shutil.rmtree(tmp_path / "c")
    with pytest.warns(RuntimeWarning, match="could not write compile cache entry"):
        other = WasmModule.from_wat(wat.ADD.replace("i32.add", "i32.mul"), engine=engine)
    assert other.call("add", 3, 4).value == 12


def test_cache_directory_that_cannot_be_created_falls_back_to_memory(tmp_path):
    """/proc refuses mkdir even for root (a read-only directory does not stop root, so the existing
    tests use a file in the path; this is the read-only filesystem case)."""
    with pytest.warns(RuntimeWarning, match="compile cache disabled"):
        engine = WasmEngine(cache_dir="/proc/langchain-wasm-cache")
    assert engine.cache_dir is None
    assert WasmModule.from_wat(wat.ADD, engine=engine).call("add", 2, 3).value == 5
