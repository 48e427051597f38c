"""Issue 14: the Python sandbox as documented: own defaults kept, files reported, errors and figures as such."""

from __future__ import annotations

import base64

import pytest
from langchain_core.messages import ToolMessage

from langchain_wasm import Limits, WasmPythonSandbox, WasmPythonTool
from langchain_wasm.errors import WasmFuelExhaustedError
from langchain_wasm.python.sandbox import PYTHON_LIMITS

MIB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n"

FIGURE = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nprint('drawn')"


@pytest.fixture(scope="module")
def sandbox(python_runtime_compiled):
    return WasmPythonSandbox(limits=Limits(timeout_s=60), quiet=True)


def test_limits_the_user_did_not_set_keep_the_sandbox_defaults(python_runtime_compiled):
    sb = WasmPythonSandbox(limits=Limits(timeout_s=3), quiet=True)
    assert sb.limits.timeout_s == 3
    assert sb.limits.fuel is None  # not the tool default of 1e9 instructions
    assert sb.limits.memory_bytes == PYTHON_LIMITS.memory_bytes  # not the tool default of 256 MiB
    assert sb._limits(Limits(memory_bytes=512 * MIB), None).timeout_s == 3  # per run: over the sandbox's own


NUMPY_WORK = "import numpy as np\nm = np.random.rand(300, 300)\nfloat(np.linalg.svd(m)[1].sum()) > 0"


def test_numpy_work_runs_with_only_a_timeout_given(sandbox):
    r = sandbox.run(NUMPY_WORK)
    assert r.ok, r.error
    assert r.result is True
    # The budget a bare Limits() carries (1e9 instructions) would have stopped it: the defaults matter.
    with pytest.raises(WasmFuelExhaustedError):
        sandbox.run(NUMPY_WORK, limits=Limits(timeout_s=60, fuel=1_000_000_000))


def test_a_session_reports_the_files_each_run_wrote(sandbox):
    with sandbox.session() as s:
        first = s.run("open('out.txt', 'w').write('hi')\nimport os\nos.makedirs('d', exist_ok=True)")
        assert first.files == {"out.txt": b"hi"}
        second = s.run("open('d/table.csv', 'w').write('a,b\\n1,2\\n')")
        assert second.files == {"d/table.csv": b"a,b\n1,2\n"}
        assert s.run("x = 1").files == {}  # nothing new written
        third = s.run("open('out.txt', 'w').write('changed!')")
        assert third.files == {"out.txt": b"changed!"}


def test_a_session_run_that_writes_a_file_reports_it_in_the_same_run(sandbox):
    with sandbox.session() as s:
        assert s.run("open('out.txt', 'w').write('hi')").files == {"out.txt": b"hi"}


def _call(tool, code, call_id="c1", thread=None):
    config = {"configurable": {"thread_id": thread}} if thread else None
    return tool.invoke({"type": "tool_call", "id": call_id, "name": "python", "args": {"code": code}}, config=config)


def test_a_python_exception_is_an_error_tool_message_with_its_artifact(sandbox):
    tool = WasmPythonTool(sandbox=sandbox, stateful=False)
    msg = _call(tool, "print('before')\n1 / 0")
    assert isinstance(msg, ToolMessage)
    assert msg.status == "error"
    assert "ZeroDivisionError" in msg.content
    assert "before" in msg.content
    assert msg.artifact["error"]["type"] == "ZeroDivisionError"
    assert msg.tool_call_id == "c1"
    ok = _call(tool, "6 * 7")
    assert ok.status == "success"
    assert ok.content == "42"


async def test_async_errors_are_error_messages_too(sandbox):
    tool = WasmPythonTool(sandbox=sandbox, stateful=False)
    msg = await tool.ainvoke({"type": "tool_call", "id": "a1", "name": "python", "args": {"code": "raise KeyError(1)"}})
    assert msg.status == "error"
    assert "KeyError" in msg.content


def test_figures_reach_the_model_as_image_blocks_unless_turned_off(sandbox):
    tool = WasmPythonTool(sandbox=sandbox, stateful=False)
    msg = _call(tool, FIGURE)
    assert msg.status == "success"
    text, image = msg.content
    assert text["type"] == "text"
    assert "drawn" in text["text"]
    assert image["type"] == "image"
    assert image["mime_type"] == "image/png"
    assert base64.b64decode(image["base64"]).startswith(PNG)
    plain = _call(WasmPythonTool(sandbox=sandbox, stateful=False, image_blocks=False), FIGURE)
    assert isinstance(plain.content, str)
    assert "figure(s)" in plain.content


def test_a_stateful_tool_artifact_lists_the_files_written(sandbox):
    tool = WasmPythonTool(sandbox=sandbox)
    try:
        msg = _call(tool, "open('report.md', 'w').write('# hi')", thread="t-files")
        assert msg.artifact["files"] == {"report.md": b"# hi"}
        assert "report.md" in msg.content
        assert msg.artifact["session"]["alive"]
    finally:
        tool.close()


def test_cli_python_takes_inputs_and_saves_outputs_and_figures(python_runtime_compiled, tmp_path, capsys):
    from langchain_wasm.cli import main

    data = tmp_path / "in.csv"
    data.write_text("a,b\n1,2\n3,4\n")
    code = (
        "import pandas as pd\ndf = pd.read_csv('data.csv')\ndf.sum().to_csv('sums.csv')\n"
        "import matplotlib.pyplot as plt\nplt.plot(df['a'])\nprint(int(df['b'].sum()))"
    )
    out = tmp_path / "out"
    assert main(["python", "-c", code, "--input", f"{data}:data.csv", "--output-dir", str(out)]) == 0
    assert capsys.readouterr().out.strip() == "6"
    assert (out / "sums.csv").read_text().splitlines()[1:] == ["a,4", "b,6"]
    assert (out / "figure-1.png").read_bytes().startswith(PNG)
    assert main(["python", "-c", "1/0"]) == 1
    assert "ZeroDivisionError" in capsys.readouterr().err
    assert main(["python", "missing.py"]) == 2


def test_cli_python_memory_flag_works_without_timeout(python_runtime_compiled, capsys):
    from langchain_wasm.cli import main

    # 80 MiB is enough to start; a 200 MiB allocation is then refused, which only holds if the flag applied.
    assert main(["python", "--memory-mb", "80", "-c", "b = bytearray(200 * 2**20)"]) in (1, 3)
    err = capsys.readouterr().err
    assert "MemoryError" in err or "memory" in err.lower()


def test_cli_python_with_no_code_on_a_terminal_says_what_to_give(python_runtime_compiled):
    import os
    import pty
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    primary, secondary = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "langchain_wasm.cli", "python"],
            stdin=secondary,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
    finally:
        os.close(primary)
        os.close(secondary)
    assert done.returncode == 2
    assert "nothing to run" in done.stderr
