"""Ctrl-C while a guest runs on the main thread (runtime/interrupts.py): the call always ends with
``KeyboardInterrupt`` (or the caller's own SIGINT handler runs) and the process survives.

Raised on entering a host function (a ctypes callback), a ``KeyboardInterrupt`` used to be swallowed by
ctypes, which then handed wasmtime an uninitialised trap pointer: the process aborted ("double free or
corruption") on every run of the last test here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import wasmtime

from langchain_wasm import Capabilities, HostFunction, Limits, WasmEngine
from langchain_wasm.errors import WasmCallError
from langchain_wasm.runtime import interrupts
from langchain_wasm.runtime.kept import KeptInstance
from langchain_wasm.runtime.signatures import FuncSignature

GUEST = """(module
  (import "host" "tick" (func $tick))
  (memory (export "memory") 1)
  (func (export "ticks") (param i32) (local $i i32)
    (loop $l (call $tick) (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get 0)))))
  (func (export "forever") (loop $l (br $l)))
  (func (export "spin") (param i32) (local $i i32)
    (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get 0)))))
)"""
SIGS = {
    "ticks": FuncSignature(("i32",), ()),
    "spin": FuncSignature(("i32",), ()),
    "forever": FuncSignature((), ()),
}


def ticker(engine: WasmEngine, module: wasmtime.Module) -> KeptInstance:
    tick = HostFunction("host", "tick", (), (), lambda: None)
    return KeptInstance(
        engine,
        module,
        name="ticker",
        imports=[("host", "tick")],
        signatures=SIGS,
        limits=Limits(timeout_s=30),
        capabilities=Capabilities(host_functions=(tick,)),
    )


@pytest.fixture
def kept(tmp_path):
    engine = WasmEngine(cache_dir=tmp_path / "cache")
    k = ticker(engine, wasmtime.Module(engine.engine, GUEST))
    yield k
    k.close()


def sigint_soon(delay: float = 0.05) -> threading.Timer:
    timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def test_ctrl_c_stops_a_ticking_guest_with_keyboard_interrupt(kept):
    assert kept.call("ticks", 10, limits=Limits(timeout_s=30)).value is None  # an ordinary call first
    sigint_soon()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        kept.call("ticks", 2**31 - 1, limits=Limits(timeout_s=30))  # would tick for many seconds
    assert time.monotonic() - t0 < 10
    assert kept.ended is not None
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_a_ctrl_c_reaches_a_guest_that_never_calls_the_host(kept):
    """No host call to stop at: the epoch deadline comes in slices (epoch_slices.py), and the next slice
    stops the guest. ``forever`` never returns; its 60 s deadline would end it as a timeout instead."""
    handler = interrupts.hold()
    os.kill(os.getpid(), signal.SIGINT)  # lands while held: recorded, not raised
    time.sleep(0.01)
    assert interrupts.release(handler)
    with pytest.raises(KeyboardInterrupt):
        interrupts.deliver(handler)
    sigint_soon(0.05)
    with pytest.raises(KeyboardInterrupt):
        kept.call("forever", limits=Limits(timeout_s=60))
    assert kept.ended is not None


def test_slices_keep_the_deadline_and_no_deadline(tmp_path):
    """On the main thread the deadline is checked each slice: a busy guest still times out at its own
    deadline (the same error as the epoch trap), and a call without one runs past many slices."""
    from langchain_wasm.errors import WasmTimeoutError

    engine = WasmEngine(cache_dir=tmp_path / "cache")
    module = wasmtime.Module(engine.engine, GUEST)
    with ticker(engine, module) as k, pytest.raises(WasmTimeoutError) as info:
        k.call("forever", limits=Limits(timeout_s=0.3, fuel=None))
    assert info.value.trap_code == "interrupt"
    assert "0.3 s wall-clock limit" in str(info.value)
    with ticker(engine, module) as k:
        k.call("spin", 2**31 - 1, limits=Limits(timeout_s=None, fuel=None))  # ~2 s: dozens of slices
        assert k.ended is None


def test_the_callers_own_handler_is_called_instead(kept):
    seen = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        sigint_soon()
        with pytest.raises(WasmCallError, match="interrupted"):
            kept.call("ticks", 2**31 - 1, limits=Limits(timeout_s=30))
        assert seen == [signal.SIGINT]
        assert kept.ended is not None
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ignored_or_default_sigint_and_other_threads_are_left_alone():
    got = []
    worker = threading.Thread(target=lambda: got.append(interrupts.hold()))
    worker.start()
    worker.join()
    assert got == [None]
    for disposition in (signal.SIG_IGN, signal.SIG_DFL):
        previous = signal.signal(signal.SIGINT, disposition)
        try:
            assert interrupts.hold() is None
            assert signal.getsignal(signal.SIGINT) == disposition
        finally:
            signal.signal(signal.SIGINT, previous)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def interrupt_a_cell(tmp_path, code: str) -> float:
    """Run ``code`` in a session on the main thread, Ctrl-C it after 0.3 s; check that the run ends with
    ``KeyboardInterrupt``, the session with it, and the sandbox goes on. Returns the run's seconds."""
    from langchain_wasm import WasmPythonSandbox

    sb = WasmPythonSandbox(quiet=True, prewarm=False, workspace_root=tmp_path)
    try:
        with sb.session() as s:
            s.run("pass")
            sigint_soon(0.3)
            t0 = time.monotonic()
            with pytest.raises(KeyboardInterrupt):
                s.run(code, timeout_s=60)
            took = time.monotonic() - t0
            assert not s.alive
        assert sb.run("print(1 + 1)").stdout == "2\n"  # the sandbox goes on
    finally:
        sb.close()
    return took


def test_a_busy_python_cell_stops_at_ctrl_c(tmp_path):
    """``while True: pass`` calls nothing on the host; the next epoch slice sees the held Ctrl-C."""
    interrupt_a_cell(tmp_path, "while True:\n    pass")


def test_a_sleeping_python_guest_wakes_at_ctrl_c(tmp_path):
    """Our ``poll_oneoff`` sleeps until the guest's deadline at most; a held Ctrl-C ends the sleep at once."""
    assert interrupt_a_cell(tmp_path, "import time\ntime.sleep(20)") < 10


def test_real_ctrl_c_always_ends_a_ticking_guest():
    """Twenty real SIGINTs at random moments of a guest that calls a do-nothing host function in a loop, in a
    fresh process: most land while the guest's own code runs, the case that used to abort the process."""
    script = textwrap.dedent(
        """
        import os, random, signal, threading, time, wasmtime
        from langchain_wasm import Limits, WasmEngine
        from tests.runtime.test_interrupts import GUEST, ticker
        engine = WasmEngine(cache_dir=None)
        module = wasmtime.Module(engine.engine, GUEST)
        ok = 0
        for _ in range(20):
            k = ticker(engine, module)
            threading.Timer(random.uniform(0.02, 0.08), os.kill, (os.getpid(), signal.SIGINT)).start()
            t0 = time.monotonic()
            try:
                k.call("ticks", 2**31 - 1, limits=Limits(timeout_s=30))
            except KeyboardInterrupt:
                ok += time.monotonic() - t0 < 10
            k.close()
        print(ok)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "20", out.stderr[-3000:]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_child_forked_from_another_thread_holds_on_its_own_main_thread():
    status = []

    def fork_here():
        pid = os.fork()
        if pid == 0:  # the child: this thread is its main thread now
            ok = False
            try:
                held = interrupts.hold()
                ok = held is signal.default_int_handler and not interrupts.release(held)
            finally:
                os._exit(0 if ok else 1)
        status.append(os.waitpid(pid, 0)[1])

    worker = threading.Thread(target=fork_here)
    worker.start()
    worker.join(60)
    assert status == [0]
