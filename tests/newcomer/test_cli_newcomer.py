"""Issue 14: the command line as a newcomer meets it: flags, errors, exit codes, guests, Ctrl-C, the cache."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from langchain_wasm.cli import build_parser, main
from tests.guests.conftest import GUESTS

WAT = GUESTS / "wat"
ROOT = Path(__file__).resolve().parents[2]

CLOCK_AND_RANDOM = """(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $t (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $r (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "f") (result i32) (call $r (i32.const 0) (i32.const 8))))"""

ENV_PROBE = """(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "count") (result i32) (drop (call $sizes (i32.const 0) (i32.const 4))) (i32.load (i32.const 0))))"""


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_json_flag_works_after_the_subcommand_and_errors_are_json(capsys, tmp_path):
    assert main(["call", str(WAT / "add.wat"), "add", "40", "2", "--json"]) == 0
    assert _json(capsys)["value"] == 42
    assert main(["call", str(tmp_path / "missing.wasm"), "add", "--json"]) == 4
    err = _json(capsys)["error"]
    assert err["exit_code"] == 4
    assert "no such file" in err["message"]
    assert main(["--json", "call", str(WAT / "add.wat"), "add", "x"]) == 2
    assert _json(capsys)["error"]["message"] == "'x' is not a number"
    assert main(["--json", "frobnicate"]) == 2  # argparse's own errors follow --json too
    assert "invalid choice" in _json(capsys)["error"]["message"]


def test_exit_codes_are_consistent(capsys, tmp_path):
    assert main(["inspect", str(tmp_path / "nope.wasm")]) == 4  # missing: not loadable, no traceback
    err = capsys.readouterr().err
    assert err.startswith("langchain-wasm: no such file")
    assert err.count("\n") == 1
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"junk")
    assert main(["inspect", str(bad)]) == 4
    capsys.readouterr()
    assert main(["run", str(WAT / "cat.wat"), "--stdin", str(tmp_path / "none.txt")]) == 2
    assert "--stdin: no such file" in capsys.readouterr().err


def test_env_flag_without_a_value_passes_the_hosts_or_says_why(capsys, monkeypatch, tmp_path):
    mod = tmp_path / "env.wat"
    mod.write_text(ENV_PROBE)
    monkeypatch.setenv("LCW_TEST_VALUE", "from-host")
    assert main(["call", str(mod), "count", "--wasi", "--env", "A=1", "--env", "LCW_TEST_VALUE"]) == 0
    assert capsys.readouterr().out.strip() == "2"  # both reached the guest
    monkeypatch.delenv("LCW_TEST_VALUE")
    assert main(["call", str(mod), "count", "--wasi", "--env", "LCW_TEST_VALUE"]) == 2
    assert "host has no variable 'LCW_TEST_VALUE'" in capsys.readouterr().err


def test_capability_errors_come_at_once_with_the_flags_to_grant(capsys, tmp_path):
    mod = tmp_path / "both.wat"
    mod.write_text(CLOCK_AND_RANDOM)
    assert main(["call", str(mod), "f"]) == 4
    err = capsys.readouterr().err
    assert "clock_time_get" in err
    assert "random_get" in err
    assert "Grant with: --clocks --random" in err
    assert "Capabilities(" not in err
    assert main(["call", str(mod), "f", "--clocks", "--random"]) == 0


def test_call_a_guest_directory_with_json_or_pairs(capsys):
    assert main(["--json", "call", str(GUESTS / "quadratic"), '{"a": 1, "b": -3, "c": 2}']) == 0
    assert _json(capsys)["value"] == {"count": 2, "x1": 1.0, "x2": 2.0}
    assert main(["call", str(GUESTS / "weather"), "city=Cairo", "units=imperial"]) == 0
    assert json.loads(capsys.readouterr().out)["city"] == "Cairo"
    assert main(["call", str(GUESTS / "quadratic"), "[1, 2]"]) == 2
    assert "JSON object" in capsys.readouterr().err
    assert main(["call", str(GUESTS / "weather"), "{}"]) == 2  # arguments that do not fit the schema: usage
    capsys.readouterr()


def test_call_with_a_too_small_fuel_budget_fails(capsys):
    assert main(["--json", "call", str(WAT / "add.wat"), "add", "1", "2", "--fuel", "2"]) == 3
    assert _json(capsys)["error"]["type"] == "WasmFuelExhaustedError"


def test_bench_without_arguments_parses_and_unknown_names_are_refused(capsys):
    ns = build_parser().parse_args(["bench"])
    assert ns.which == []
    assert main(["bench", "nope"]) == 2
    assert "unknown benchmark" in capsys.readouterr().err


def test_inspect_prints_a_readable_block(capsys):
    assert main(["inspect", str(GUESTS / "weather")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("guest: weather\n")
    assert "\ninput_schema:\n  {\n" in out
    assert len(out.splitlines()) > 10


def test_warmup_on_a_checkout_skips_the_hostile_guests(capsys):
    assert main(["warmup"]) == 0
    err = capsys.readouterr().err
    assert "failed" not in err
    assert "weather" in err
    assert "ungranted_import" not in err


def test_cache_info_and_clear_touch_only_cache_entries(capsys, monkeypatch, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    entry = cache / ("ab" * 32 + ".cwasm")
    entry.write_bytes(b"x" * 100)
    (cache / ("ab" * 32 + ".json")).write_text("{}")
    keep = cache / "notes.txt"
    keep.write_text("mine")
    py = tmp_path / "cache-python"
    (py / ("0" * 24)).mkdir(parents=True)
    (py / ("0" * 24) / "lib.zip").write_bytes(b"z" * 50)
    monkeypatch.setenv("LANGCHAIN_WASM_CACHE_DIR", str(cache))
    monkeypatch.delenv("LANGCHAIN_WASM_PYTHON_DIR", raising=False)
    assert main(["--json", "cache"]) == 0
    info = _json(capsys)
    assert info["compile_cache"]["path"] == str(cache)
    assert info["python_files"]["path"] == str(py)
    assert main(["--json", "cache", "clear"]) == 0
    assert _json(capsys)["bytes_freed"] == 152
    assert not entry.exists()
    assert keep.read_text() == "mine"
    assert not py.exists()


def test_agent_resume_on_a_thread_that_is_not_paused_is_refused(capsys, tmp_path):
    assert main(["agent", "--resume", "approve"]) == 2
    assert "is not paused" in capsys.readouterr().err
    db = str(tmp_path / "a.sqlite")
    assert main(["agent", "--db", db, "--thread", "t"]) == 0
    capsys.readouterr()
    assert main(["agent", "--db", db, "--thread", "t", "--resume", "approve"]) == 2
    assert "not paused" in capsys.readouterr().err
    assert main(["agent", "--db", db, "--thread", "t"]) == 0  # finished: its answer, not a replay
    out = capsys.readouterr().out
    assert "already finished" in out
    assert "Answer: Reykjavik: 39.7 F" in out
    assert "end of recording" not in out


def test_a_pause_without_db_says_the_state_ends_with_the_process(capsys):
    assert main(["agent", "--approve", "ask"]) == 5
    out = capsys.readouterr().out
    assert "without --db" in out
    assert "Continue with" not in out


def test_resumed_thread_shows_its_own_question(capsys, tmp_path):
    import sqlite3

    from langchain_core.messages import HumanMessage
    from langgraph.checkpoint.sqlite import SqliteSaver

    from langchain_wasm import WasmToolkit, create_wasm_agent
    from langchain_wasm.chat_models import demo_planner

    db = tmp_path / "q.sqlite"
    saver = SqliteSaver(sqlite3.connect(str(db), check_same_thread=False))
    app = create_wasm_agent(demo_planner(), WasmToolkit.from_directory(), checkpointer=saver, approve=lambda s, t: True)
    config = {"configurable": {"thread_id": "q"}}
    app.invoke({"messages": [HumanMessage("Is it warmer in Cairo than in Reykjavik?")]}, config)
    assert app.get_state(config).next  # paused for the approval
    assert main(["agent", "--db", str(db), "--thread", "q", "--approve", "ask", "--resume", "approve"]) == 5
    out = capsys.readouterr().out
    assert "Question: Is it warmer in Cairo than in Reykjavik?" in out  # the thread's, not the demo's


# An endless guest that first says it is running, by creating `ready` in its first preopen (fd 3).
SPIN_WHEN_READY = """(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "ready")
  (func (export "spin")
    (drop (call $open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 1)
      (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 12)))
    (loop $l (br $l))))"""


def _interrupt(argv: list[str], ready: Callable[[], bool], tmp: Path) -> tuple[int, str]:
    """Start the CLI, wait until the guest says it is in its endless loop, then Ctrl-C it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "langchain_wasm.cli", *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
        # as in a terminal: a test runner started in the background (`cmd &`) ignores SIGINT, and children
        # inherit that, so Python would never turn Ctrl-C into KeyboardInterrupt
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    give_up = time.monotonic() + 120  # a bail-out for a broken start, never a measurement
    while not ready() and proc.poll() is None and time.monotonic() < give_up:
        time.sleep(0.05)
    if not ready() or proc.poll() is not None:
        proc.kill()
        pytest.fail(f"{argv}: the guest never said it was running: {proc.communicate()}")
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"{argv}: Ctrl-C did not stop the guest")
    return proc.returncode, err


def test_ctrl_c_stops_an_endless_guest_at_once_and_exits_130(tmp_path):
    (tmp_path / "spin.wat").write_text(SPIN_WHEN_READY)
    (tmp_path / "work").mkdir()
    argv = ["call", str(tmp_path / "spin.wat"), "spin", "--timeout", "0", "--fuel", "0", "--wasi"]
    argv += ["--dir", f"{tmp_path / 'work'}:/work:rw"]
    code, err = _interrupt(argv, lambda: (tmp_path / "work" / "ready").exists(), tmp_path)
    assert code == 130
    assert "interrupted" in err
    assert "Traceback" not in err


def test_ctrl_c_stops_endless_python_code(python_runtime_compiled, tmp_path):
    source = "open('/workspace/ready', 'w').close()\nwhile True: pass"
    argv = ["python", "-c", source, "--timeout", "0"]  # the session's workspace is made under $TMPDIR
    code, err = _interrupt(argv, lambda: any(tmp_path.glob("lcw-python-*/workspace/ready")), tmp_path)
    assert code == 130
    assert "interrupted" in err
    assert "Traceback" not in err
