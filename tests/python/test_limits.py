"""Every limit, tried by code that wants to break it: time (sleeps too), memory, output, fuel."""

from __future__ import annotations

import pytest

from langchain_wasm import Limits
from langchain_wasm.errors import (
    WasmFuelExhaustedError,
    WasmMemoryLimitError,
    WasmOutputLimitError,
    WasmTimeoutError,
    WasmTrapError,
)

MIB = 1024 * 1024


# The deadline tests below run code that never ends on its own (no fuel limit either): only the deadline can
# stop it, so the typed error is the proof; a deadline that failed would hang until pytest-timeout fails it.


def test_busy_loop_is_stopped_at_the_deadline_with_partial_output(sandbox):
    with pytest.raises(WasmTimeoutError) as info:
        sandbox.run("print('started')\nwhile True:\n    pass", timeout_s=1.5)
    err = info.value
    assert err.stdout == b"started\n"  # what it printed before it hung
    assert err.metrics.trap == "timeout"
    assert "1.5 s" in str(err)


def test_sleep_is_cut_off_at_the_deadline(sandbox):
    with pytest.raises(WasmTimeoutError) as info:
        sandbox.run("import time\ntime.sleep(10**6)", timeout_s=0.5)
    assert info.value.metrics.trap == "timeout"


def test_a_short_sleep_really_sleeps(sandbox):
    # the guest's own clock, read on waking, has passed the instant the sleep was asked to last until
    code = "import time\nuntil = time.monotonic() + 0.2\ntime.sleep(0.2)\ntime.monotonic() >= until"
    assert sandbox.run(code).result is True


def test_memory_cap_is_a_memory_error_inside_python(sandbox):
    lim = Limits(timeout_s=10, fuel=None, memory_bytes=128 * MIB)
    r = sandbox.run("b = bytearray(512 * 1024 * 1024)", limits=lim)
    assert r.error.type == "MemoryError"
    r = sandbox.run("chunks = []\nwhile True:\n    chunks.append(bytearray(8 * 1024 * 1024))", limits=lim)
    assert r.error.type == "MemoryError"
    assert r.metrics.memory_peak_bytes <= 128 * MIB


def test_string_bomb_is_contained(sandbox):
    r = sandbox.run("'x' * 10**10")  # more than wasm32 can index
    assert r.error.type in ("OverflowError", "MemoryError")
    r = sandbox.run("s = 'x' * (600 * 1024 * 1024)")  # fits an index, not the 512 MiB cap
    assert r.error.type == "MemoryError"


def test_output_cap_ends_the_cell_not_the_session(sandbox):
    lim = Limits(timeout_s=10, fuel=None, memory_bytes=512 * MIB, stdout_bytes=64 * 1024)
    with sandbox.session(limits=lim) as s:
        r = s.run("print('x' * 10**6)")
        assert r.error.type == "OutputLimitExceeded"
        assert "65536" in r.error.message
        assert len(r.stdout) == 64 * 1024
        assert set(r.stdout) == {"x"}
        r = s.run("while True:\n    print('flood')")
        assert r.error.type == "OutputLimitExceeded"
        assert len(r.stdout) <= 64 * 1024
        assert s.alive
        assert s.run("'still here'").result == "still here"


def test_output_cap_holds_when_python_is_bypassed(sandbox):
    lim = Limits(timeout_s=10, fuel=None, memory_bytes=512 * MIB, stdout_bytes=64 * 1024)
    with pytest.raises(WasmOutputLimitError) as info:
        sandbox.run("import os\nwhile True:\n    os.write(1, b'y' * 100_000)", limits=lim)
    assert info.value.stdout == b"y" * 64 * 1024  # the host's hard cap: never more than the cap is kept
    with pytest.raises(WasmOutputLimitError):
        sandbox.run("import sys\nwhile True:\n    sys.__stderr__.write('z' * 100_000)", limits=lim)


def test_stderr_cap(sandbox):
    lim = Limits(timeout_s=10, fuel=None, memory_bytes=512 * MIB, stderr_bytes=1000)
    r = sandbox.run("import sys\nsys.stderr.write('e' * 5000)", limits=lim)
    assert r.error.type == "OutputLimitExceeded"
    assert len(r.stderr) == 1000


def test_fuel_budget(sandbox):
    with pytest.raises(WasmFuelExhaustedError):
        sandbox.run("while True:\n    pass", limits=Limits(timeout_s=10, fuel=50_000_000, memory_bytes=512 * MIB))
    r = sandbox.run("sum(range(1000))", limits=Limits(timeout_s=10, fuel=500_000_000, memory_bytes=512 * MIB))
    assert r.result == 499500
    assert 0 < r.metrics.fuel_used < 500_000_000


def test_limit_errors_are_typed_and_carry_metrics(sandbox):
    with pytest.raises(WasmTimeoutError) as info:
        sandbox.run("while True: pass", timeout_s=0.2)
    assert isinstance(info.value, WasmTrapError)
    assert info.value.metrics is not None
    assert info.value.metrics.trap == "timeout"
    assert info.value.metrics.wall_s > 0
    assert not isinstance(info.value, WasmMemoryLimitError)


def test_file_writes_are_capped_so_the_disk_cannot_be_filled(runtime):
    from langchain_wasm import WasmPythonSandbox

    sb = WasmPythonSandbox(file_write_bytes=4 * MIB, quiet=True)
    with pytest.raises(WasmOutputLimitError, match="to files") as info:
        sb.run("with open('big.bin', 'wb') as f:\n    while True:\n        f.write(b'0' * 65536)")
    assert info.value.stream == "files"
    assert sb.run("open('ok.bin', 'wb').write(b'1' * 1024 * 1024)").result == 1024 * 1024
