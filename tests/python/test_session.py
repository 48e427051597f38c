"""Sessions: a kept interpreter whose variables, imports and files persist; its end; files in and out."""

from __future__ import annotations

import threading
import time

import pytest

from langchain_wasm import Limits, WasmPythonSandbox
from langchain_wasm.errors import WasmCallError, WasmTimeoutError
from langchain_wasm.python import SessionEndedError
from langchain_wasm.python.workspace import WorkspaceError


def test_state_and_imports_persist(session):
    session.run("x = 41")
    assert session.run("x + 1").result == 42
    session.run("import numpy as np\ndef double(v):\n    return v * 2")
    assert session.run("int(double(np.int64(21)))").result == 42
    assert session.run("_ + 1").result == 43  # like a REPL, _ is the last result
    assert session.runs == 5


def test_a_function_from_an_earlier_cell_shows_its_source_in_tracebacks(session):
    session.run("def boom():\n    raise KeyError('k')")
    r = session.run("boom()")
    assert 'File "<cell 1>", line 2, in boom' in r.error.traceback
    assert "raise KeyError('k')" in r.error.traceback


def test_an_exception_does_not_end_the_session(session):
    session.run("y = 5")
    assert session.run("1 / 0").error.type == "ZeroDivisionError"
    assert session.run("y").result == 5
    assert session.alive


def test_files_put_get_list_upload_download(session, tmp_path):
    assert session.put_file("data.csv", b"a,b\n1,2\n3,4\n") == "/workspace/data.csv"
    session.put_file("/workspace/sub/dir/t.txt", "text")
    assert session.run("import pandas as pd\nint(pd.read_csv('data.csv').b.sum())").result == 6
    assert session.run("open('sub/dir/t.txt').read()").result == "text"
    session.run("with open('made.bin', 'wb') as f:\n    f.write(bytes(range(256)))")
    assert session.get_file("made.bin") == bytes(range(256))
    assert session.list_files() == {"data.csv": 12, "made.bin": 256, "sub/dir/t.txt": 4}
    src = tmp_path / "in.txt"
    src.write_text("uploaded")
    assert session.upload(src) == "/workspace/in.txt"
    assert session.download("in.txt", tmp_path / "back.txt").read_text() == "uploaded"
    for bad in ("../x", "/etc/passwd", "", "a/../../b"):
        with pytest.raises(WorkspaceError):
            session.put_file(bad, b"x")
    with pytest.raises(WorkspaceError):
        session.get_file("missing.txt")


def test_exit_ends_the_session_with_a_clear_message(sandbox):
    s = sandbox.session()
    s.run("z = 1")
    r = s.run("exit(4)")
    assert r.exit_code == 4
    assert any("session has ended" in n for n in r.notes)
    assert not s.alive
    assert "exit(4)" in s.ended
    with pytest.raises(SessionEndedError, match=r"has ended \(the code called exit\(4\)\)"):
        s.run("z")
    assert s not in sandbox.sessions


def test_a_timeout_ends_the_session(sandbox):
    s = sandbox.session()
    s.run("kept = 1")
    with pytest.raises(WasmTimeoutError, match="session has ended"):
        s.run("while True: pass", timeout_s=0.5)
    assert not s.alive
    with pytest.raises(SessionEndedError):
        s.run("kept")


def test_idle_sessions_are_reclaimed(runtime):
    sb = WasmPythonSandbox(idle_timeout_s=60, quiet=True)
    s = sb.session()
    busy = sb.session()
    assert sb.reap() == 0  # both fresh
    for old in (s, busy):
        old.last_used -= 120  # as if both had sat unused for two minutes (no sleeping: a clock-free test)
    busy.run("1")  # a run makes a session recent again
    assert sb.reap() == 1
    assert not s.alive
    assert "idle" in s.ended
    assert busy.alive
    with pytest.raises(SessionEndedError, match="reclaimed"):
        s.run("1")
    sb.close()
    assert not busy.alive
    assert sb.sessions == []


def test_max_sessions_and_eviction(runtime):
    sb = WasmPythonSandbox(max_sessions=2, quiet=True)
    a, b = sb.session(), sb.session()
    with pytest.raises(WasmCallError, match="too many Python sessions"):
        sb.session()
    sb.close()
    sb = WasmPythonSandbox(max_sessions=2, evict_idle=True, quiet=True)
    a, b = sb.session(), sb.session()
    b.run("1")
    c = sb.session()
    assert not a.alive
    assert b.alive
    assert c.alive
    assert "evicted" in a.ended
    sb.close()


# Each run says it started, then waits for a file the host writes only once all three have started: the
# runs can finish only if they overlap (were they serialised, the first would wait for ever).
WAIT_FOR_THE_OTHERS = """
import os, time
print('started', flush=True)
while not os.path.exists('/workspace/go'):
    time.sleep(0.01)
(me, open('who.txt').read())
"""


def test_sessions_are_isolated_and_run_in_parallel(sandbox):
    sessions = [sandbox.session() for _ in range(3)]
    try:
        for i, s in enumerate(sessions):
            s.run(f"me = {i}")
            s.put_file("who.txt", str(i))
        results: dict[int, object] = {}

        def work(i: int) -> None:
            results[i] = sessions[i].run(WAIT_FOR_THE_OTHERS).result

        threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        give_up = time.monotonic() + 50  # a bail-out (below the runs' 60 s deadline), never a measurement
        while not all(b"started" in s.live_output() for s in sessions) and time.monotonic() < give_up:
            time.sleep(0.01)
        overlapped = [b"started" in s.live_output() for s in sessions]
        for s in sessions:
            (s.workspace.path / "go").write_text("")  # let them finish either way
        for t in threads:
            t.join()
        assert overlapped == [True, True, True]  # all three were running at once
        assert results == {0: [0, "0"], 1: [1, "1"], 2: [2, "2"]}
    finally:
        for s in sessions:
            s.close()


def test_closing_removes_the_workspace(sandbox):
    s = sandbox.session()
    s.put_file("a.txt", b"x")
    root = s.workspace.root
    assert root.exists()
    s.close()
    s.close()
    assert not root.exists()
    assert s.ended == "closed"


def test_per_session_limits(sandbox):
    with sandbox.session(limits=Limits(timeout_s=3, fuel=None, memory_bytes=128 * 1024 * 1024)) as s:
        r = s.run("b = bytearray(200 * 1024 * 1024)")
        assert r.error.type == "MemoryError"
        assert s.alive
        assert s.run("len(bytearray(10 * 1024 * 1024))").result == 10 * 1024 * 1024
