"""The ways a cell reaches the interpreter, checked to give what the general path gives.

A one-line cell with one simple statement is compiled in "single" mode (one compile; its value comes through
``sys.displayhook``) instead of parsed to an AST and compiled twice. Prefixing ``pass`` sends the same code down
the general path, so each one-liner here is run both ways and the results must agree. The guest also runs on
the calling thread when it has the stack for it, else on a pool thread: deep recursion must end cleanly from a
thread of either kind.
"""

from __future__ import annotations

import pytest

from langchain_wasm.errors import WasmLimitError, WasmTrapError
from tests.stack_threads import in_thread

ONE_LINERS = [
    "1 + 1",
    "print(1 + 1)",
    "x = 5",
    "x",
    "x += 1",
    "x * 2",
    "None",
    "[i * i for i in range(4)]",
    "import math",
    "math.pi",
    "lambda y=1: y",
    "'a=b'",
    "{'k': [1, 2]}",
    "1 / 0",
    "undefined_name",
    "def f(: pass",
    "  x",  # an unexpected indent
    "x; x",  # two statements: the general path
    "for i in range(3): i",  # a compound statement: the general path (nothing shown)
    "_",
    "raise SystemExit(3)",
]


def _view(r):
    err = (r.error.type, r.error.message.replace("<cell 2>", "<cell>").replace("line 2", "line 1")) if r.error else None
    result = r.result
    if callable(result) or (isinstance(result, str) and " at 0x" in result):
        result = "<object>"
    return result, r.stdout, r.stderr.count("\n") > 0, err, r.exit_code


@pytest.mark.parametrize("code", ONE_LINERS)
def test_a_one_liner_gives_what_the_general_path_gives(sandbox, code):
    with sandbox.session() as fast, sandbox.session() as general:
        for s in (fast, general):
            s.run("import math\nx = 5\n_ = 'before'")
        got = _view(fast.run(code))
        want = _view(general.run("pass\n" + code))
        assert got == want, (code, got, want)


def test_the_display_hook_is_put_back(session):
    session.run("1 + 1")
    assert session.run("import sys\nsys.displayhook is sys.__displayhook__").result is True
    session.run("import sys; sys.displayhook = lambda v: None")  # a cell's own hook is kept
    assert session.run("sys.displayhook is sys.__displayhook__").result is False


def test_a_one_liners_traceback_names_its_cell(session):
    r = session.run("1 / 0")
    assert r.error.type == "ZeroDivisionError"
    assert 'File "<cell 1>", line 1' in r.error.traceback
    assert "<lcw-driver>" not in r.error.traceback


def _outcome(fn):
    try:
        r = fn()
    except (WasmLimitError, WasmTrapError) as exc:
        return "host", exc.trap_code
    return "python", r.error.type if r.error else None


RECURSE = "import sys\nsys.setrecursionlimit(10**6)\ndef f(n):\n    return f(n + 1)\nf(0)"


@pytest.mark.parametrize("stack_mib", [1, 8, 64])
def test_deep_recursion_ends_cleanly_from_any_thread(sandbox, stack_mib):
    """1 MiB cannot hold the guest's 4 MiB wasm stack (the call hops to a pool thread), 8 MiB is a default
    thread, 64 MiB runs it in place: each ends with a clean error and the host goes on."""
    outcome = in_thread(stack_mib * 1024 * 1024, lambda: _outcome(lambda: sandbox.run(RECURSE, timeout_s=30)))
    assert outcome in {
        ("python", "RecursionError"),
        ("python", "MemoryError"),
        ("host", "stack_overflow"),
        ("host", "interrupt"),
    }, outcome
    assert sandbox.run("print(2 + 2)").stdout == "4\n"  # the host is fine


def test_ctrl_c_while_a_turn_runs_on_the_main_thread_is_a_keyboard_interrupt(runtime):
    """The guest runs on the calling thread, so Python's SIGINT handler runs inside the guest's next host call:
    the run ends with ``KeyboardInterrupt`` (not a host-function error), and the session with it."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import os, signal, threading
        from langchain_wasm.python import WasmPythonSandbox
        sb = WasmPythonSandbox(quiet=True, prewarm=False)
        with sb.session() as s:
            s.run("pass")
            threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
            try:
                s.run("import time\\nwhile True:\\n    time.sleep(0.001)", timeout_s=60)
                print("not interrupted")
            except KeyboardInterrupt:
                print("KeyboardInterrupt", s.alive)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert out.stdout.strip() == "KeyboardInterrupt False", out.stderr[-2000:]


def test_a_cell_that_removes_the_drivers_entry_point_costs_one_turn(session):
    """A turn calls the driver through its builtin ``__lcw__``; code that deletes it loses that one turn's
    report, and later turns reach the driver the long way (``sys.modules['_lcw']``)."""
    assert session.run("x = 1").ok
    session.run("import builtins\ndel builtins.__lcw__")
    broken = session.run("x += 1")  # the wrapper itself fails: no report
    assert broken.error is not None
    assert broken.error.type == "InterpreterError"
    assert "__lcw__" in broken.error.traceback
    after = session.run("x")
    assert after.ok, after.error
    assert after.result == 1  # the broken turn never ran the cell
    assert session.run("print(x + 1)").stdout == "2\n"
