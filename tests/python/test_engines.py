"""Which build of the runtime a run gets: without fuel metering by default (deadlines stop it), the
fuel-metering build when a run or the sandbox sets a fuel budget, and a session keeps the build it was made on."""

from __future__ import annotations

import time

import pytest

from langchain_wasm import Limits, WasmPythonSandbox
from langchain_wasm.errors import WasmFuelExhaustedError, WasmTimeoutError

MIB = 1024 * 1024
RUNAWAYS = [
    "while True:\n    pass",
    "sum(range(10**12))",
    "import re\nre.match('(a+)+$', 'a' * 40 + 'b')",
    "import itertools\nmax(itertools.count())",
]


def test_the_default_runs_on_the_build_without_fuel(sandbox):
    assert sandbox.limits.fuel is None
    assert sandbox.runtime.engine.consume_fuel is False
    r = sandbox.run("print(sum(range(1000)))")
    assert r.stdout == "499500\n"
    assert r.metrics.fuel_used == 0  # not counted, not made up


@pytest.mark.parametrize("code", RUNAWAYS)
def test_without_fuel_every_runaway_is_stopped_by_its_deadline(sandbox, code):
    """Pure-Python loops and tight loops inside C (``sum`` over a huge range, regex backtracking, an endless
    ``max`` over a C iterator) alike: the epoch deadline is the only bound, and it holds."""
    t0 = time.monotonic()
    with pytest.raises(WasmTimeoutError) as info:
        sandbox.run(code, timeout_s=0.3)
    assert info.value.metrics.trap == "timeout"
    assert time.monotonic() - t0 < 15  # stopped, not merely slow: a hang would hit pytest's timeout


def test_a_session_without_fuel_is_stopped_by_its_deadline_in_c_code(sandbox):
    with sandbox.session(timeout_s=0.3) as s:
        s.run("n = 10**12")
        with pytest.raises(WasmTimeoutError):
            s.run("sum(range(n))")
        assert not s.alive


def test_a_fuel_budget_gets_the_fuel_build(sandbox):
    lim = Limits(timeout_s=30, fuel=50_000_000, memory_bytes=512 * MIB)
    with pytest.raises(WasmFuelExhaustedError):
        sandbox.run("while True:\n    pass", limits=lim)
    r = sandbox.run("sum(range(1000))", limits=lim)
    assert r.result == 499500
    assert 0 < r.metrics.fuel_used < 50_000_000
    assert sandbox.run("1 + 1").metrics.fuel_used == 0  # the next default run is back on the fast build


def test_a_sandbox_level_budget_makes_every_run_and_session_metered(runtime):
    with WasmPythonSandbox(limits=Limits(fuel=200_000_000, memory_bytes=512 * MIB), quiet=True) as sb:
        assert sb.runtime.engine.consume_fuel is True
        assert sb.run("x = 1").metrics.fuel_used > 0
        with sb.session() as s, pytest.raises(WasmFuelExhaustedError):
            s.run("while True:\n    pass")


def test_a_session_without_fuel_refuses_a_budget_and_goes_on(session):
    session.run("x = 41")
    with pytest.raises(ValueError, match="made without a fuel budget") as info:
        session.run("x += 1", limits=Limits(fuel=10**9))
    assert "sandbox.session(limits=Limits(fuel=" in str(info.value)  # what to do instead
    assert session.alive
    assert session.run("x + 1").result == 42  # the refused run never ran


def test_a_session_made_with_fuel_meters_every_run(sandbox):
    with sandbox.session(limits=Limits(fuel=10**9)) as s:
        assert s.run("x = [i for i in range(1000)]").metrics.fuel_used > 0
        assert s.run("len(x)", limits=Limits(fuel=None)).result == 1000  # no budget: still fine on this build
        with pytest.raises(WasmFuelExhaustedError):
            s.run("while True:\n    pass", limits=Limits(fuel=1_000_000))
        assert not s.alive


def test_a_snapshot_moves_between_the_two_builds(sandbox):
    with sandbox.session() as s:
        s.run("import json\nstate = {'a': [1, 2, 3]}")
        blob = s.snapshot()
    with sandbox.restore(blob, limits=Limits(fuel=10**9)) as metered:
        r = metered.run("json.dumps(state)")
        assert r.result == '{"a": [1, 2, 3]}'
        assert r.metrics.fuel_used > 0
