"""Scale-out on PostgreSQL: worker processes share one database (langgraph-checkpoint-postgres checkpoints,
a PostgresStore holding Python session snapshots) and take turns on the same threads; one is SIGKILLed in the
middle of a plan and another finishes the thread, with no step lost or repeated and the Python session intact.
The PostgreSQL server is Debian's, started here in a temp dir on 127.0.0.1 and stopped by PID."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.serve.servers import REPO, postgres_bin, stop_pid

pytest.importorskip("langgraph.checkpoint.postgres", reason="needs the extra: pip install 'langchain-wasm[postgres]'")
pytest.importorskip("langgraph.store.postgres", reason="needs the extra: pip install 'langchain-wasm[postgres]'")
pytestmark = [
    pytest.mark.timeout(900),
    pytest.mark.skipif(postgres_bin() is None, reason="PostgreSQL is not installed: apt-get install -y postgresql"),
]

PLANS = [
    {"reasoning": "r", "steps": [{"id": "a", "tool": "python", "args": {"code": "log = ['a']\nlen(log)"}}]},
    {"reasoning": "r", "steps": [], "final_answer": "turn1 ${a}"},
    {"reasoning": "r", "steps": [{"id": "b", "tool": "python", "args": {"code": "log.append('b')\nlen(log)"}}]},
    {"reasoning": "r", "steps": [], "final_answer": "turn2 ${b}"},
    {
        "reasoning": "a plan with a slow step in the middle",
        "steps": [
            {"id": "p1", "tool": "python", "args": {"code": "log.append('p1')\nlen(log)"}},
            {"id": "s", "tool": "mark", "args": {"step": "s", "seconds": 3}, "depends_on": ["p1"]},
            {"id": "p2", "tool": "python", "args": {"code": "log.append('p2')\nlog"}, "depends_on": ["s"]},
        ],
    },
    {"reasoning": "r", "steps": [], "final_answer": "turn3 ${p2}"},
]


class Worker:
    """One worker process (tests/serve/pg_worker.py), driven line by line."""

    def __init__(self, dsn: str, recording: Path, marks: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO), "LANGSMITH_TRACING": "false"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.serve.pg_worker", dsn, str(recording), str(marks)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=REPO,
            env=env,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        assert "ready" in self.reply(240)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put("")

    def send(self, **cmd: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def reply(self, timeout_s: float = 240) -> dict:
        line = self.lines.get(timeout=timeout_s)
        if not line:
            raise RuntimeError(f"worker {self.proc.pid} exited with {self.proc.wait()}")
        return json.loads(line)

    def turn(self, thread: str, text: str | None = None) -> dict:
        self.send(thread=thread, text=text, resume=text is None)
        return self.reply()

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.proc.stdin.close()
        stop_pid(self.proc, grace_s=20)


def _wait_for(path: Path, text: str, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


def test_workers_take_turns_and_survive_a_kill_mid_plan(postgres, tmp_path, runtime):
    recording, marks = tmp_path / "plans.json", tmp_path / "marks.log"
    recording.write_text(json.dumps(PLANS))
    workers: list[Worker] = []
    try:
        w1, w2, w3 = (Worker(postgres.dsn, recording, marks) for _ in range(3))
        workers += [w1, w2, w3]
        # Turns alternate between processes: each finds the other's session in the store.
        first = w1.turn("t1", "one")
        print(f"first turn (cold worker): {first['seconds']:.2f} s")
        assert first["final_answer"] == "turn1 1"
        assert w2.turn("t2", "one")["final_answer"] == "turn1 1"
        moved = w2.turn("t1", "two")  # w2 never ran t1 before
        print(f"turn on a thread another worker ran: {moved['seconds']:.2f} s")
        assert moved["final_answer"] == "turn2 2"
        assert w1.turn("t2", "two")["final_answer"] == "turn2 2"  # w1's own t2 session is stale: restored
        # w3 starts turn three of t1 and is killed inside the slow step, after p1 finished.
        w3.send(thread="t1", text="three", resume=False)
        _wait_for(marks, f"start s {w3.proc.pid}")
        os.kill(w3.proc.pid, signal.SIGKILL)
        assert w3.proc.wait(30) == -signal.SIGKILL
        # w1 resumes the thread from its last checkpoint: p1 is not run again, s and p2 run once.
        out = w1.turn("t1")
        print(f"resumed turn after the kill: {out['seconds']:.2f} s")
        assert out["final_answer"] == 'turn3 ["a", "b", "p1", "p2"]', out
        assert {k: v["status"] for k, v in out["steps"].items()} == {"p1": "success", "s": "success", "p2": "success"}
        trace = marks.read_text().split("\n")
        assert trace[:3] == [f"start s {w3.proc.pid}", f"start s {w1.proc.pid}", f"end s {w1.proc.pid}"]
        # The other thread's third turn, uninterrupted, on yet another worker.
        out = w2.turn("t2", "three")
        assert out["final_answer"] == 'turn3 ["a", "b", "p1", "p2"]', out
        assert marks.read_text().count("end s") == 2
    finally:
        for worker in workers:
            worker.stop()
