"""One-shot runs: a fresh CPython-on-WASI interpreter per call, through our runtime."""

from __future__ import annotations

import pytest

from langchain_wasm import Limits, WasmPythonSandbox
from langchain_wasm.python import PythonResult


def test_print_and_newlines_are_preserved(sandbox):
    r = sandbox.run("print(1 + 1)\nprint('a\\n\\nb', end='')\nprint()")
    assert isinstance(r, PythonResult)
    assert r.stdout == "2\na\n\nb\n"
    assert r.ok
    assert r.exit_code == 0
    assert r.error is None
    assert r.result is None


def test_final_expression_is_the_result_like_a_repl(sandbox):
    assert sandbox.run("x = 20\nx * 2 + 2").result == 42
    r = sandbox.run("{'a': [1, 2.5, None, True], 'b': 'text'}")
    assert r.result == {"a": [1, 2.5, None, True], "b": "text"}
    assert r.result_type == "builtins.dict"
    r = sandbox.run("import numpy as np\nnp.arange(10).sum()")
    assert r.result == 45
    assert r.result_type == "numpy.int32"
    r = sandbox.run("import pandas as pd\npd.DataFrame({'a': [1, 2], 'b': ['x', 'y']})")
    assert r.result_type == "pandas.DataFrame"
    assert r.result == r.result_repr
    assert "a  b" in r.result_repr
    assert "1  x" in r.result_repr
    assert sandbox.run("x = 1").result_repr is None  # no final expression, no result
    assert sandbox.run("None").result_repr is None


def test_each_run_is_a_fresh_interpreter(sandbox):
    sandbox.run("secret = 'left behind'; open('f.txt', 'w').write('x')")
    r = sandbox.run("import os\nprint('secret' in globals(), os.listdir('.'))")
    assert r.stdout == "False []\n"


def test_exception_comes_back_with_its_traceback(sandbox):
    r = sandbox.run("def f():\n    return 1 / 0\n\nf()")
    assert not r.ok
    assert r.exit_code == 1
    assert r.error.type == "ZeroDivisionError"
    assert r.error.message == "division by zero"
    tb = r.error.traceback
    assert tb.startswith("Traceback (most recent call last):")
    assert 'File "<cell 1>", line 4' in tb
    assert "return 1 / 0" in tb
    assert "lcw-driver" not in tb  # the driver's own frames are hidden
    r = sandbox.run("def broken(:\n    pass")
    assert r.error.type == "SyntaxError"
    assert "line 1" in r.error.traceback


def test_exit_status(sandbox):
    assert sandbox.run("import sys; sys.exit(3)").exit_code == 3
    assert sandbox.run("exit()").exit_code == 0
    r = sandbox.run("raise SystemExit('bye')")
    assert r.exit_code == 1
    assert r.stderr == "bye\n"
    assert sandbox.run("import os; os._exit(7)").exit_code == 7


def test_stderr_is_separate(sandbox):
    r = sandbox.run("import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.stderr.write('more\\n')")
    assert r.stdout == "out\n"
    assert r.stderr == "err\nmore\n"


def test_files_in_and_out(sandbox):
    r = sandbox.run(
        "import pandas as pd\n"
        "df = pd.read_csv('data.csv')\n"
        "df['c'] = df.a * df.b\n"
        "df.to_csv('out/result.csv', index=False) if __import__('os').makedirs('out', exist_ok=True) is None else 0\n"
        "open('notes.txt', 'w').write('done')\n"
        "int(df.c.sum())",
        files={"data.csv": "a,b\n1,2\n3,4\n", "unchanged.txt": b"same"},
    )
    assert r.ok, r.error
    assert r.result == 14
    assert r.files == {"out/result.csv": b"a,b,c\n1,2,2\n3,4,12\n", "notes.txt": b"done"}  # only new/changed


def test_unflushed_files_are_flushed_at_the_end_of_a_run(sandbox):
    r = sandbox.run("f = open('partial.txt', 'w')\nf.write('not closed')")
    assert r.files == {"partial.txt": b"not closed"}


def test_results_are_capped(runtime):
    from langchain_wasm.python import ResultCaps

    sb = WasmPythonSandbox(result_caps=ResultCaps(result_chars=100, error_chars=400, max_files=1), quiet=True)
    r = sb.run("'y' * 10_000")
    assert r.result_repr.startswith("'yyyy")
    assert len(r.result_repr) < 200
    assert "characters in all" in r.result_repr
    assert r.result == r.result_repr  # too long for the JSON value too
    r = sb.run("def f(n): return f(n + 1)\nf(0)")
    assert r.error.type == "RecursionError"
    assert len(r.error.traceback) < 500
    r = sb.run("open('a', 'w').write('1'); open('b', 'w').write('2')")
    assert len(r.files) == 1
    assert any("more changed file" in n for n in r.notes)


def test_text_report_for_models(sandbox):
    r = sandbox.run("print('hello')\n1 / 0")
    text = r.text()
    assert text.startswith("hello\n")
    assert "ZeroDivisionError" in text
    assert sandbox.run("pass").text() == "[no output]"


def test_limits_are_per_call_and_validated(sandbox):
    with pytest.raises(ValueError, match="64 MiB"):
        WasmPythonSandbox(limits=Limits(memory_bytes=16 * 1024 * 1024))
    with pytest.raises(TypeError):
        sandbox.run(b"print(1)")  # type: ignore[arg-type]
    assert sandbox.run("1", timeout_s=5).result == 1


def test_the_interpreter_is_cpython_315_on_wasi(sandbox):
    r = sandbox.run("import sys, platform\n(sys.version_info[:2], sys.platform, __import__('os').getcwd())")
    assert r.result == [[3, 15], "wasi", "/workspace"]


def test_warm_up_reports_timings(sandbox):
    info = sandbox.warm_up()
    assert info["compiled_now"] is False
    assert info["first_run_s"] < 5
