"""The Winch first tier: on a cold compile cache the first runs come from a quick Winch build while a
low-priority subprocess compiles the Cranelift build; new interpreters switch to it once it is in the cache,
and an interpreter (a session) keeps the build it was made on.

The scenario runs in a subprocess with its own empty cache (the engines are process-wide). It really compiles
the runtime with Winch (~30-60 s, ~2.8 GB); the background Cranelift compile is started for real, checked, and
killed (its ~2-3 min are not this test's business), then the Cranelift artifact the test session already has
is put into the new cache, as the background compile would have."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from langchain_wasm.python import tiers

SCENARIO = textwrap.dedent(
    """
    import json, shutil, sys, time
    from pathlib import Path
    from langchain_wasm.python import WasmPythonSandbox, tiers
    from langchain_wasm.python.runtime_files import _artifacts, python_engine
    from langchain_wasm.runtime import file_cache

    out = {}
    sb = WasmPythonSandbox(quiet=True)
    r = sb.run("print(6 * 7)")
    out["first"] = [r.stdout, sb.runtime_for(sb.limits).engine.strategy]
    bg = tiers.background_compiles()[False]
    print(bg.pid, flush=True)
    out["bg"] = [bg.poll(), bg.args]
    session = sb.session()
    session.run("x = 41")
    out["winch_turn"] = session.run("x + 1").result
    bg.kill()
    bg.wait()
    engine = python_engine(fuel=False)
    key = file_cache._key(engine, file_cache.file_sha256(_artifacts().snapshot, engine.cache_dir))
    for ext in ("cwasm", "json"):  # what the background compile would have written
        shutil.copyfile(Path(sys.argv[1]) / f"{key}.{ext}", engine.cache_dir / f"{key}.{ext}")
    time.sleep(tiers._RECHECK_S + 0.1)
    r = sb.run("print(1 + 1)")
    out["after"] = [r.stdout, sb.runtime_for(sb.limits).engine.strategy]
    out["session"] = [session.run("x + 1").result, session._interp.runtime.engine.strategy]
    session.close()
    sb.close()
    print(json.dumps(out), flush=True)
    """
)


def test_first_runs_come_from_winch_then_new_interpreters_switch(runtime, tmp_path):
    shared = runtime.engine.cache_dir
    if shared is None:
        pytest.skip("the test session keeps compiled modules in memory only")
    env = {**os.environ, "LANGCHAIN_WASM_CACHE_DIR": str(tmp_path / "cache")}
    env.pop(tiers.ENV_WINCH_FIRST, None)
    env.pop("LANGCHAIN_WASM_PYTHON_DIR", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", SCENARIO, str(shared)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=280)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    first_line = out.splitlines()[0] if out.strip() else ""
    if first_line.isdigit():  # the background compile, if the scenario died before killing it
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(first_line), signal.SIGKILL)
    assert proc.returncode == 0, err[-3000:]
    got = json.loads(out.splitlines()[-1])
    assert got["first"] == ["42\n", "winch"]
    code, args = got["bg"]
    assert code is None  # still compiling when the first result was back
    assert args[:3] == ["nice", "-n", "19"] or args[0].endswith("nice"), args
    assert args[-3:] == ["-m", "langchain_wasm.python", "compile"] or args[-2:] == ["langchain_wasm.python", "compile"]
    assert got["winch_turn"] == 42
    assert got["after"] == ["2\n", "cranelift"]  # a new interpreter, on the optimised build
    assert got["session"] == [42, "winch"]  # the session keeps its interpreter, on the build it was made on
    # What the background compile does once its build is cached: drop the Winch one (~400 MB nobody loads again).
    winch = [
        p
        for p in (tmp_path / "cache").glob("*.json")
        if '"strategy": "winch"' in str(json.loads(p.read_text()).get("fingerprint", ""))
        and json.loads(p.read_text()).get("size", 0) > 100 * 2**20  # the runtime's, not the small helper modules'
    ]
    assert len(winch) == 1
    done = subprocess.run(
        [sys.executable, "-m", "langchain_wasm.python", "compile"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert not winch[0].exists()
    assert not winch[0].with_suffix(".cwasm").exists()


def test_the_opt_out_is_read_from_the_environment(monkeypatch):
    for value, expected in (("0", False), ("false", False), ("off", False), ("1", True), ("", True)):
        monkeypatch.setenv(tiers.ENV_WINCH_FIRST, value)
        assert tiers.winch_first_default() is expected
    monkeypatch.delenv(tiers.ENV_WINCH_FIRST)
    assert tiers.winch_first_default() is True
