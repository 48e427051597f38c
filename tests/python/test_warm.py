"""One-shot runs on interpreters made ahead (``prewarm``): still fresh per run, still under every limit."""

from __future__ import annotations

import threading

import pytest

from langchain_wasm.errors import WasmTimeoutError
from langchain_wasm.python.warm import WarmPool
from langchain_wasm.python.workspace import Workspace
from langchain_wasm.runtime import Limits

MIB = 1024 * 1024


@pytest.fixture
def warm(runtime, tmp_path):
    from langchain_wasm.python import WasmPythonSandbox

    sb = WasmPythonSandbox(
        limits=Limits(timeout_s=10.0, fuel=None, memory_bytes=512 * MIB, stdout_bytes=256 * 1024),
        workspace_root=tmp_path,
        quiet=True,
    )
    assert sb.prewarm
    yield sb
    sb.close()


def test_nothing_leaks_from_one_run_into_the_next(warm):
    """Run 1 leaves state everywhere it can; run 2 (on an interpreter made while run 1 ran) sees none of it."""
    first = warm.run(
        "import builtins, sys, os\n"
        "builtins.LEAK = 1; sys.modules['leak'] = sys; os.environ['LEAK'] = '1'\n"
        "open('/tmp/leak', 'w').write('x'); open('/workspace/leak.txt', 'w').write('x')\n"
        "secret = 42"
    )
    assert first.error is None
    assert "leak.txt" in first.files
    for _ in range(3):
        r = warm.run(
            "import builtins, sys, os\n"
            "print(hasattr(builtins, 'LEAK'), 'leak' in sys.modules, 'LEAK' in os.environ,\n"
            "      os.path.exists('/tmp/leak'), os.listdir('/workspace'), 'secret' in globals())"
        )
        assert r.stdout == "False False False False [] False\n", r


def test_every_limit_still_stops_a_prewarmed_run(warm):
    warm.run("None")  # the next interpreter is made ahead
    with pytest.raises(WasmTimeoutError):
        warm.run("while True: pass", timeout_s=0.5)
    r = warm.run("x = bytearray(600 * 1024 * 1024)")  # above the 512 MiB cap: Python's own MemoryError
    assert r.error.type == "MemoryError"
    assert r.metrics.memory_peak_bytes <= 512 * MIB
    r = warm.run("print('x' * (1024 * 1024))")  # stdout is capped at 256 KiB
    assert r.error.type == "OutputLimitExceeded"
    assert len(r.stdout) <= 256 * 1024
    assert warm.run("print(1 + 1)").stdout == "2\n"  # later runs are unharmed


def test_smaller_memory_caps_never_reuse_a_bigger_interpreter(warm):
    """An interpreter is made with its memory cap; a run with a tighter cap must not get one made with more."""
    warm.run("None")
    tight = Limits(timeout_s=10.0, fuel=None, memory_bytes=96 * MIB)
    r = warm.run("x = bytearray(200 * 1024 * 1024)", limits=tight)
    assert r.error.type == "MemoryError"
    assert r.metrics.memory_peak_bytes <= 96 * MIB
    assert warm.run("x = bytearray(200 * 1024 * 1024); print(len(x))").stdout == f"{200 * MIB}\n"


def test_files_of_a_run_reach_only_that_run(warm):
    a = warm.run("print(open('/workspace/in.txt').read())", files={"in.txt": "alpha"})
    b = warm.run("import os; print(os.listdir('/workspace'))")
    assert a.stdout == "alpha\n"
    assert b.stdout == "[]\n"


def test_close_leaves_no_workspace_behind(runtime, tmp_path):
    from langchain_wasm.python import WasmPythonSandbox

    sb = WasmPythonSandbox(workspace_root=tmp_path, quiet=True)
    for _ in range(3):
        sb.run("open('/workspace/f', 'w').write('x')")
    sb.close()
    assert list(tmp_path.iterdir()) == []
    assert sb.run("print(3)").stdout == "3\n"  # usable after close
    sb.close()
    assert list(tmp_path.iterdir()) == []


def test_concurrent_runs_each_get_their_own_interpreter(warm):
    out: list[str] = []

    def worker(i: int) -> None:
        out.append(warm.run(f"x = {i}; print(x)").stdout)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(out) == [f"{i}\n" for i in range(6)]


def test_pool_survives_a_failing_maker_and_stops_cleanly():
    pool = WarmPool()

    def fail() -> tuple[object, object]:
        raise RuntimeError("no")

    ws = Workspace()
    pool.retire(None, ws, "k", fail)  # type: ignore[arg-type]
    pool.stop()  # finishes the queued work: the failed make, then the close
    assert not ws.root.exists()  # the used workspace was removed on the pool's thread
    assert pool.take("k") is None  # the failed make left nothing behind
    assert pool.take("k") is None


def test_a_dropped_sandbox_does_not_keep_its_interpreter(runtime, tmp_path):
    """A sandbox garbage-collected without close(): its pool stops and the interpreter made ahead is freed."""
    import gc
    import time

    from langchain_wasm.python import WasmPythonSandbox

    sb = WasmPythonSandbox(workspace_root=tmp_path, quiet=True)
    sb.run("None")
    sb.run("None")
    pool = sb._warm
    del sb
    gc.collect()
    for _ in range(200):  # the pool's thread closes what it made; wait for it (bounded), never time it
        if pool._stopped and not list(tmp_path.iterdir()):
            break
        time.sleep(0.05)
    assert pool._stopped
    assert list(tmp_path.iterdir()) == []


def test_a_warmed_up_interpreter_looks_fresh_to_the_user(warm):
    """The warm-up cell is ours; the user's code is still <cell 1> and finds no names left behind."""
    warm.run("None")
    r = warm.run("print(sorted(k for k in globals() if not k.startswith('__')))\n1/0")
    assert r.stdout == "[]\n"
    assert r.error.type == "ZeroDivisionError"
    assert "<cell 1>" in r.error.traceback


def test_a_pool_keeps_at_most_max_ready_kinds_made_ahead(warm):
    """Runs of three kinds (three memory caps) each order one made ahead; only the newest MAX_READY stay, and the
    one pushed out is closed (a Winch interpreter after the switch to Cranelift is such a kind)."""
    import time

    from langchain_wasm.python.warm import MAX_READY

    made: list[int] = []
    for cap in (256, 384, 512):
        assert warm.run("print(1)", limits=Limits(memory_bytes=cap * MIB)).stdout == "1\n"
        deadline = time.monotonic() + 60
        while len(warm._warm._ready) < min(len(made) + 1, MAX_READY) or warm._warm._making:
            assert time.monotonic() < deadline, "the pool did not make the next interpreter"
            time.sleep(0.01)
        made.append(cap)
        kept = dict(warm._warm._ready)
        assert len(kept) <= MAX_READY
    assert len(kept) == MAX_READY
    caps = sorted(key[2] // MIB for key in kept)
    assert caps == [384, 512]  # the oldest kind went
    for interp, _ in kept.values():
        assert interp.ended is None


def test_a_pool_that_falls_behind_stops_making_ahead_until_the_burst_is_over(monkeypatch):
    """A run that finds the next interpreter still being made marks the kind as behind: that one is finished
    without the warm-up turn (ready sooner), and from then on runs make their own and the pool's thread only
    closes them, until a run starts ``QUIET_S`` after the last one ended: the pool then makes ahead, warmed,
    again. Past ``MAX_QUEUED`` queued jobs a run closes its own."""
    from langchain_wasm.python import warm as warm_module

    warmed: list[object] = []
    monkeypatch.setattr(warm_module, "warm_up", warmed.append)
    monkeypatch.setattr(warm_module, "QUIET_S", 3600.0)  # every run below is part of the burst
    gate = threading.Event()
    closed_on: list[str] = []

    class Made:
        def close(self) -> None: ...

        def remove(self) -> None:
            closed_on.append(threading.current_thread().name)

        def remember_survey(self) -> None: ...

    def make():
        assert gate.wait(30)
        return Made(), Made()

    pool = WarmPool()
    try:

        def made_ahead():
            for _ in range(3000):
                with pool._cond:
                    if "k" in pool._ready:
                        return True
                threading.Event().wait(0.01)
            return False

        pool.retire(None, Made(), "k", make)  # type: ignore[arg-type]
        assert pool.take("k") is None  # still being made: behind
        gate.set()
        assert made_ahead()
        assert warmed == []  # finished without the warm-up
        assert pool.take("k") is not None
        pool.retire(None, Made(), "k", make)  # type: ignore[arg-type]
        with pool._cond:
            assert "k" not in pool._making  # none ordered
        assert pool.take("k") is None
        pool.retire(None, Made(), "k", make)  # type: ignore[arg-type]
        for _ in range(3000):  # the pool's thread closes them (bounded wait, never timed)
            if len(closed_on) >= 3:
                break
            threading.Event().wait(0.01)
        assert closed_on[1:] == ["langchain-wasm-warm"] * 2
        with pool._cond:
            assert "k" not in pool._making
        monkeypatch.setattr(warm_module, "MAX_QUEUED", 0)  # the thread far behind: a run closes its own
        assert pool.take("k") is None
        pool.retire(None, Made(), "k", make)  # type: ignore[arg-type]
        assert closed_on[-1] == threading.current_thread().name
        monkeypatch.setattr(warm_module, "MAX_QUEUED", 4)
        monkeypatch.setattr(warm_module, "QUIET_S", 0.0)  # the next run comes after a pause
        assert pool.take("k") is None  # nothing made ahead: a miss; the burst is over
        pool.retire(None, Made(), "k", make)  # type: ignore[arg-type]
        assert made_ahead()
        assert len(warmed) == 1  # made ahead and warmed again
        assert pool.take("k") is not None
    finally:
        gate.set()
        pool.stop()


def test_a_remembered_survey_is_used_once_and_never_after_a_write(tmp_path):
    """The pool walks a workspace it made ahead off the run's path; the run uses that walk only if nothing
    was written since (a host write forgets it; it is used once)."""
    ws = Workspace(tmp_path)
    try:
        ws.remember_survey()
        (ws.path / "direct.txt").write_bytes(b"x")  # not through the workspace: the remembered walk is stale
        assert ws.take_survey()[0] == {}  # the remembered one, as documented: nothing may write in between
        assert "direct.txt" in ws.take_survey()[0]  # used once: walked again
        ws.remember_survey()
        ws.write("given.txt", b"abc")
        files, (total, _) = ws.take_survey()
        assert set(files) == {"direct.txt", "given.txt"}
        assert total == 4
    finally:
        ws.remove()


def test_files_given_to_a_prewarmed_run_are_seen_before_it(warm):
    warm.run("None")
    r = warm.run("print(open('in.txt').read())", files={"in.txt": "given"})
    assert r.stdout == "given\n"
    assert "in.txt" not in r.files  # given, not made by the run
