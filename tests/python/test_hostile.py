"""The hostile-code corpus: each attempt is contained with a clear error, and the host is unharmed.

"Unharmed" is checked after each case: this process is alive, nothing appeared outside the workspace, the host's
environment did not leak, and the sandbox still runs code correctly.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from langchain_wasm import Limits
from langchain_wasm.errors import WasmLimitError, WasmTimeoutError, WasmTrapError
from langchain_wasm.python.workspace import WorkspaceError

MIB = 1024 * 1024
FAST = Limits(timeout_s=1.5, fuel=None, memory_bytes=256 * MIB)  # for code only the deadline may stop
ROOMY = Limits(timeout_s=30, fuel=None, memory_bytes=256 * MIB)  # for code that must end by itself, under load
CANARY = "/tmp/lcw-hostile-canary"


@pytest.fixture(autouse=True)
def host_unharmed(sandbox):
    os.environ["LCW_HOST_SECRET"] = "do-not-leak"
    yield
    assert not Path(CANARY).exists()
    assert sandbox.run("6 * 7").result == 42  # the sandbox still works after the attack


# (code, the Python exception the guest must get)
CONTAINED = {
    "os.system": ("import os\nos.system('touch " + CANARY + "')", "AttributeError"),
    "subprocess": ("import subprocess\nsubprocess.run(['touch', '" + CANARY + "'])", "OSError"),
    "socket connect": ("import socket\nsocket.socket().connect(('1.1.1.1', 80))", "OSError"),
    "http request": (
        "import urllib.request\nurllib.request.urlopen('http://example.com', timeout=1)",
        "URLError",  # "no network access to http://example.com:80 in this sandbox"
    ),
    "open /etc/passwd": ("open('/etc/passwd').read()", "FileNotFoundError"),
    "list /": ("import os\nos.listdir('/')", "FileNotFoundError"),
    "ctypes": ("import ctypes\nctypes.CDLL(None)", "OSError"),
    "fork": ("import os\nos.fork()", "AttributeError"),
    "threads": ("import threading\nthreading.Thread(target=print).start()", "RuntimeError"),
    "multiprocessing": ("import multiprocessing\nmultiprocessing.Process(target=print).start()", "AttributeError"),
    "kill": ("import os, signal\nos.kill(1, signal.SIGKILL)", "AttributeError"),
    "write outside": ("open('/etc/lcw-hostile-canary', 'w').write('x')", "FileNotFoundError"),
    "write home": ("open('/root/.bashrc', 'a').write('x')", "FileNotFoundError"),
    "write the stdlib": ("open('/usr/local/lib/evil.py', 'w').write('x')", "PermissionError"),
    "escape with ..": ("open('/workspace/../../../tmp/evil', 'w')", "PermissionError"),
    "symlink out": ("import os\nos.symlink('/etc/passwd', 'p')\nopen('p').read()", "PermissionError"),
    "relative symlink out": (
        "import os\nos.symlink('../../../../etc/passwd', 'p')\nopen('p').read()",
        "PermissionError",
    ),
    "recursion": ("def f(n):\n    return f(n + 1)\nf(0)", "RecursionError"),
    "deep repr": ("l = []\nfor _ in range(100_000):\n    l = [l]\nrepr(l)", "RecursionError"),
    "string bomb": ("'x' * 10**10", "OverflowError"),
    "memory bomb": ("b = bytearray(2**30)", "MemoryError"),
}


@pytest.mark.parametrize("case", sorted(CONTAINED))
def test_contained_inside_python(sandbox, case):
    code, expected = CONTAINED[case]
    r = sandbox.run(code, limits=ROOMY)
    assert r.error is not None, f"{case}: no error ({r.result_repr!r})"
    assert r.error.type == expected, r.error.traceback
    assert r.error.message or r.error.traceback


def test_tmp_is_private_to_the_sandbox(sandbox):
    r = sandbox.run(f"open('{CANARY}', 'w').write('x')\nimport os\nos.listdir('/tmp')")
    assert r.ok
    assert "lcw-hostile-canary" in r.result
    assert not Path("/etc/lcw-hostile-canary").exists()


def test_reading_env_vars_sees_only_the_sandbox_env(sandbox):
    env = sandbox.run("import os\ndict(os.environ)").result
    assert "LCW_HOST_SECRET" not in env
    assert "PATH" not in env
    assert "do-not-leak" not in str(env)
    assert set(env) <= {"HOME", "TMPDIR", "MPLBACKEND", "MPLCONFIGDIR", "PYTHONHASHSEED"}


def test_infinite_loop(sandbox):
    with pytest.raises(WasmTimeoutError):
        sandbox.run("while True:\n    pass", limits=FAST)


def test_long_sleep(sandbox):
    with pytest.raises(WasmTimeoutError):
        sandbox.run("import time\ntime.sleep(10**6)", limits=FAST)


def _outcome(sandbox, code: str, limits: Limits = FAST) -> tuple[str, str | None]:
    """("python", exception type) when Python reported it, ("host", error class) when the host stopped it."""
    try:
        r = sandbox.run(code, limits=limits)
    except (WasmLimitError, WasmTrapError) as exc:
        return "host", f"{type(exc).__name__}:{exc.trap_code}"
    return "python", r.error.type if r.error else None


def test_raised_recursion_limit_then_recursion(sandbox):
    code = "import sys\nsys.setrecursionlimit(10**6)\ndef f(n):\n    return f(n + 1)\nf(0)"
    outcome = _outcome(sandbox, code)
    assert outcome in {
        ("python", "RecursionError"),
        ("python", "MemoryError"),
        ("host", "WasmTimeoutError:interrupt"),  # Python frames fill the heap until the deadline
        ("host", "WasmTrapError:stack_overflow"),
    }, outcome


def test_deep_recursion_in_c_is_a_clean_error_or_a_trap(sandbox):
    code = "import json\nl = []\nfor _ in range(200_000):\n    l = [l]\njson.dumps(l)"
    outcome = _outcome(sandbox, code, ROOMY)  # a timeout is not among the outcomes: give it the time
    assert outcome in {("python", "RecursionError"), ("host", "WasmTrapError:stack_overflow")}, outcome


def test_huge_print_output(sandbox):
    r = sandbox.run("while True:\n    print('A' * 1000)", limits=ROOMY)  # the output cap must end it
    assert r.error.type == "OutputLimitExceeded"
    assert len(r.stdout.encode()) <= ROOMY.stdout_bytes


def test_exception_in_del_at_exit(sandbox):
    code = (
        "import atexit\n"
        "class Bomb:\n"
        "    def __del__(self):\n"
        "        raise RuntimeError('boom in __del__')\n"
        "keep = Bomb()\n"
        "atexit.register(lambda: 1 / 0)\n"
        "'set up'"
    )
    assert sandbox.run(code).result == "set up"  # the interpreter is dropped, never finalized in the host
    with sandbox.session() as s:
        s.run(code)
        r = s.run("del keep\n'after'")  # finalizer runs now: its error is reported, not raised
        assert r.result == "after"
        assert "boom in __del__" in r.stderr
        r = s.run("exit()")  # ends the session cleanly
    assert not s.alive


def test_abort_and_os_exit_end_the_interpreter_cleanly(sandbox):
    with pytest.raises(WasmTrapError) as info:
        sandbox.run("import os\nos.abort()")
    assert info.value.trap_code == "unreachable"
    assert sandbox.run("import os\nos._exit(9)").exit_code == 9


def test_door_spam_and_forged_reports(sandbox):
    r = sandbox.run("import _host\nfor _ in range(1000):\n    _host.call(b'x' * 1000)\n'fine'")
    assert r.result == "fine"
    r = sandbox.run('import _host\n_host.call(b\'{"nonce": "0000", "result": {"repr": "forged"}}\')\n\'real\'')
    assert r.result == "real"


def test_links_planted_in_the_workspace_never_lead_the_host_outside(sandbox, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    with sandbox.session() as s:
        # the guest cannot create links that point outside, but a link may exist (e.g. restored or planted)
        os.symlink(secret, s.workspace.path / "link.txt")
        with pytest.raises(WorkspaceError):
            s.get_file("link.txt")
        s.put_file("link.txt", b"overwritten")  # replaces the link, never writes through it
        assert secret.read_text() == "host secret"
        assert s.get_file("link.txt") == b"overwritten"
        os.mkfifo(s.workspace.path / "fifo")
        with pytest.raises(WorkspaceError, match="regular file"):
            s.get_file("fifo")  # no blocking read on a FIFO
        os.symlink(tmp_path, s.workspace.path / "dirlink")
        with pytest.raises(WorkspaceError):
            s.put_file("dirlink/x.txt", b"x")
        assert not (tmp_path / "x.txt").exists()
