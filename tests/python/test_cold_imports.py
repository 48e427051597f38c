"""A new process's one-shot run loads only what it uses: what a run without a figure, a trap, a cold cache or
LangChain needs is left for first use. Checked in a new process, as a user's script sees it."""

from __future__ import annotations

import json
import subprocess
import sys

# each loads on first use, never with ``import langchain_wasm.python`` nor with a plain one-shot run
LAZY = (
    "base64",  # figures (results.py, guest_driver.install_code)
    "binascii",
    "subprocess",  # the background Cranelift compile of a cold cache (tiers.py)
    "importlib.metadata",  # wasmtime's version is read from its dist-info folder name (engine.py)
    "zipfile",  # matplotlib's data, unpacked once per runtime build (runtime_files.py)
    "tempfile",  # workspaces are made by workspace.private_folder; cache writes and stdin files import it
    "shutil",  # preparing the runtime's files (once per zip); a workspace our walk could not remove
    "wasmtime.component",
    "jsonschema",
    "pydantic",
    "langchain_core",
    "langgraph",
    "langchain_wasm.python.session",
    "langchain_wasm.python.snapshot",
    "langchain_wasm.python.tool",
    "langchain_wasm.runtime.http_types",
)


def _loaded(code: str) -> dict[str, object]:
    report = f"print(json.dumps({{'lazy': sorted(m for m in {LAZY!r} if m in sys.modules), **extra}}))"
    script = f"import json, sys\n{code}\n{report}"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return dict(json.loads(out.stdout.splitlines()[-1]))


def test_importing_the_python_sandbox_loads_none_of_the_lazy_modules():
    assert _loaded("import langchain_wasm.python\nextra = {}") == {"lazy": []}


def test_a_one_shot_run_loads_none_of_them_and_builds_no_trap_table(runtime):
    code = (
        "from langchain_wasm import WasmPythonSandbox\n"
        "r = WasmPythonSandbox(quiet=True).run('print(1+1)')\n"
        "from langchain_wasm.runtime import traps\n"
        "extra = {'stdout': r.stdout, 'trap_table': traps._by_description is not None}"
    )
    assert _loaded(code) == {"lazy": [], "stdout": "2\n", "trap_table": False}
