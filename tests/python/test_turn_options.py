"""A session turn sends the driver's options (output caps, result sizes) only when they change; the driver keeps
the last ones. Changed options must take effect on the very next turn, and code that rewrites what the driver
keeps gains nothing: the host enforces every cap again."""

from __future__ import annotations

import pytest

from langchain_wasm import Limits
from langchain_wasm.errors import WasmOutputLimitError

MIB = 1024 * 1024


def test_changed_caps_apply_on_the_next_turn_and_revert_after(session):
    session.run("x = 0")
    assert session.run("x += 1").ok  # a turn that sent no options
    small = session.run("print('a' * 5000)", limits=Limits(stdout_bytes=100))
    assert small.error is not None
    assert small.error.type == "OutputLimitExceeded"
    assert len(small.stdout) == 100
    back = session.run("print('b' * 5000)")  # the session's own caps again, not the last run's
    assert back.ok, back.error
    assert len(back.stdout) == 5001
    assert session.run("x").result == 1


def test_rewriting_the_kept_options_does_not_lift_the_hosts_cap(sandbox):
    with sandbox.session(limits=Limits(stdout_bytes=4096)) as s:
        s.run("None")
        s.run("import sys\nsys.modules['_lcw']._opts = dict(sys.modules['_lcw']._opts, stdout_bytes=10**9)")
        with pytest.raises(WasmOutputLimitError):  # the guest's writer let it through; the host's cap did not
            s.run("print('z' * 100_000)")
        assert not s.alive


def test_a_restored_session_answers_with_its_caps(sandbox):
    with sandbox.session() as s:
        s.run("y = 7")
        blob = s.snapshot()
    with sandbox.restore(blob) as r:
        assert r.run("y * 6").result == 42
        capped = r.run("print('c' * 500)", limits=Limits(stdout_bytes=50))
        assert len(capped.stdout) == 50
        assert r.run("y").result == 7
