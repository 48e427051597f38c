"""Loading the compiler: the tier picked, and the progress lines of a first compile."""

from __future__ import annotations

import pytest

from langchain_wasm.compiler.loader import compiler_engine, load_compiler, wait_for_optimised
from langchain_wasm.runtime.compile_progress import CompileProgress
from langchain_wasm.runtime.file_cache import is_cached
from tests.compiler.conftest import MISSING


def test_progress_explains_the_one_time_compile_and_reports_the_end(capsys):
    progress = CompileProgress("the C/C++ compiler")
    progress("compile-start", {"bytes": 75_532_134, "cache_dir": "/cache"})
    progress("compile-done", {"seconds": 41.2})
    err = capsys.readouterr().err
    assert "compiling the C/C++ compiler (76 MB of WebAssembly) to native code. This happens once" in err
    assert "load it from /cache" in err
    assert "compiled in 41 s; cached." in err
    quiet = CompileProgress("x", quiet=True)
    quiet("compile-start", {"bytes": 1, "cache_dir": "/c"})
    assert capsys.readouterr().err == ""


@pytest.mark.skipif(MISSING is not None, reason=f"{MISSING}")
def test_auto_uses_the_optimised_build_once_it_is_cached():
    loaded = load_compiler(quiet=True, tier="cranelift")
    assert is_cached(compiler_engine("cranelift"), loaded.toolchain.wasm)
    assert load_compiler(quiet=True).tier == "cranelift"
    assert wait_for_optimised(0)


def test_an_unknown_tier_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("LANGCHAIN_WASM_COMPILER_TIER", "llvm-jit")
    if MISSING is not None:
        pytest.skip(MISSING)
    with pytest.raises(ValueError, match="LANGCHAIN_WASM_COMPILER_TIER"):
        load_compiler(quiet=True)
