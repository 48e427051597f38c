"""The peers a user would pick instead, run with the same code in their own interpreter (they pin other deps).

``make peers`` installs them once (it needs PyPI and npm; nothing is fetched when the benchmarks run): a venv in
``bench/.peers/venv`` with ``llm-wasm-sandbox``, ``langchain-sandbox`` and ``deno`` from PyPI, and Deno's cache of
the Pyodide that langchain-sandbox runs (``bench/.peers/deno``). ``--peer-python PATH`` names that interpreter
(``bench/report.py`` uses ``bench/.peers/venv/bin/python`` when it exists).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
import textwrap
import time


def llm_wasm_sandbox_peer(python: str, runs: int) -> float | None:
    """llm-wasm-sandbox's median seconds per ``print(1+1)`` (a fresh sandbox per call, as its README shows)."""
    code = textwrap.dedent(
        f"""
        import logging, time
        logging.disable(logging.CRITICAL)
        from sandbox import create_sandbox, RuntimeType
        out = []
        for _ in range({runs}):
            sb = create_sandbox(runtime=RuntimeType.PYTHON)
            t = time.perf_counter()
            r = sb.execute("print(1+1)")
            out.append(time.perf_counter() - t)
            assert r.stdout.strip() == "2", r
        print("LCW-PEER", " ".join(map(str, out)))
        """
    )
    with tempfile.TemporaryDirectory(prefix="lcw-bench-peer-") as cwd:  # it writes a workspace/ into its cwd
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=1800, cwd=cwd)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("LCW-PEER ")]
    if out.returncode != 0 or not lines:
        print(f"peer llm-wasm-sandbox: could not run here: {out.stderr.strip().splitlines()[-1:]}")
        return None
    return statistics.median(float(v) for v in lines[-1].split()[1:])


def langchain_sandbox_peer(python: str, runs: int) -> tuple[float | None, str | None]:
    """langchain-sandbox's median seconds per ``print(1+1)``, or why it could not run (it fetches Pyodide)."""
    code = textwrap.dedent(
        f"""
        import asyncio, os, time
        try:
            import deno
            os.environ["PATH"] = os.path.dirname(deno.find_deno_bin()) + os.pathsep + os.environ["PATH"]
        except ImportError:
            pass
        from langchain_sandbox import PyodideSandbox

        async def main():
            sb, out = PyodideSandbox(allow_net=True), []
            for _ in range({runs}):
                t = time.perf_counter()
                r = await sb.execute("print(1+1)")
                out.append(time.perf_counter() - t)
                if r.status != "success" or (r.stdout or "").strip() != "2":
                    err = [ln for ln in (r.stderr or "").splitlines() if "error" in ln.lower()]
                    print("LCW-PEER-ERROR", (err or [str(r.stderr)])[0][-300:])
                    return
            print("LCW-PEER", " ".join(map(str, out)))

        asyncio.run(main())
        """
    )
    with tempfile.TemporaryDirectory(prefix="lcw-bench-peer-") as cwd:
        try:
            out = subprocess.run(
                [python, "-c", code], capture_output=True, text=True, timeout=900, cwd=cwd, env=dict(os.environ)
            )
        except subprocess.TimeoutExpired:
            return None, "timed out after 900 s"
    for line in out.stdout.splitlines():
        if line.startswith("LCW-PEER "):
            return statistics.median(float(v) for v in line.split()[1:]), None
        if line.startswith("LCW-PEER-ERROR "):
            text = line[len("LCW-PEER-ERROR ") :]
            return None, re.sub(r"\x1b\[[0-9;]*m", "", text)
    return None, (out.stderr.strip().splitlines() or ["no output"])[-1][-300:]


#: The Pyodide langchain-sandbox 0.0.x runs (its JSR package pins ``npm:pyodide@^0.28.0``); `make peers` caches it.
PYODIDE_NPM = "npm:pyodide@0.28.3"
PEERS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".peers")
_PYODIDE_RUNNER = f"""\
import {{ loadPyodide }} from "{PYODIDE_NPM}";
const py = await loadPyodide();
let out = "";
py.setStdout({{ batched: (s) => {{ out += s + "\\n"; }} }});
py.runPython(Deno.args[0]);
console.log("LCW-PEER-OUT " + JSON.stringify(out));
"""


def pyodide_runner(folder: str = PEERS_DIR) -> str:
    """Write the runner script into ``folder`` (``make peers`` runs it once online so Deno caches Pyodide)."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "pyodide_run.js")
    with open(path, "w") as f:
        f.write(_PYODIDE_RUNNER)
    return path


def pyodide_deno_peer(deno: str, runs: int, folder: str = PEERS_DIR) -> tuple[float | None, str | None]:
    """Median seconds per ``print(1+1)`` on Pyodide in Deno, one process per run with the permissions
    langchain-sandbox's ``deno run`` grants (``-R``/``-W`` on node_modules, its default without network).

    This is langchain-sandbox's engine and process model without its JSR wrapper (which cannot be fetched
    offline here); ``--cached-only`` makes a missing cache an error instead of a download.
    """
    script = pyodide_runner(folder)
    env = dict(os.environ, DENO_DIR=os.path.join(folder, "deno"), DENO_NO_UPDATE_CHECK="1", NO_COLOR="1")
    cmd = [
        os.path.abspath(deno),
        "run",
        "--cached-only",
        "--node-modules-dir=auto",
        "-R=node_modules",
        "-W=node_modules",
        script,
    ]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run([*cmd, "print(1+1)"], capture_output=True, text=True, timeout=300, cwd=folder, env=env)
        times.append(time.perf_counter() - t)
        if out.returncode != 0 or 'LCW-PEER-OUT "2\\n"' not in out.stdout:
            return None, (out.stderr.strip().splitlines() or ["no output"])[-1][-300:] + " (run `make peers`)"
    return statistics.median(times), None
