"""Compile with the in-Wasm clang and run the result: C, C++, functions as core guests, diagnostics, cache."""

from __future__ import annotations

import pytest

from langchain_wasm.compiler import (
    CompilerFlagError,
    WasmCompileError,
    WasmCompiler,
    WasmToolchainMissingError,
    find_toolchain,
)
from langchain_wasm.compiler.result_cache import ResultCache
from langchain_wasm.errors import WasmArgumentError, WasmFuelExhaustedError, WasmOutputLimitError, WasmTimeoutError
from langchain_wasm.runtime import Limits

HELLO = r"""
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    char line[128];
    int total = 0;
    while (fgets(line, sizeof line, stdin)) total += atoi(line);
    printf("%s %d\n", argc > 1 ? argv[1] : "sum", total);
    fprintf(stderr, "done\n");
    return total > 100 ? 3 : 0;
}
"""


def test_c_program_compiles_and_runs_with_stdin_argv_and_exit_status(compiler):
    prog = compiler.compile(HELLO)
    assert prog.wasm[:4] == b"\0asm"
    assert not prog.cached
    assert prog.mode == "command"
    result = prog.run(stdin="1\n2\n3\n", argv=["total"])
    assert (result.exit_code, result.stdout_text(), result.stderr_text()) == (0, "total 6\n", "done\n")
    assert prog.run(stdin="99\n9\n").exit_code == 3


def test_cpp_with_the_standard_library(compiler):
    src = r"""
    #include <iostream>
    #include <map>
    #include <string>
    #include <vector>
    #include <algorithm>
    int main() {
        std::map<std::string, int> m{{"b", 2}, {"a", 1}};
        std::vector<int> v{3, 1, 2};
        std::sort(v.begin(), v.end());
        for (auto& [k, x] : m) std::cout << k << x << ' ';
        std::cout << v[0] << v[2] << std::endl;
    }
    """
    prog = compiler.compile(src, language="c++", flags=("-O1", "-std=c++17"))
    assert prog.run().stdout_text() == "a1 b2 13\n"


def test_diagnostics_name_line_and_column_of_the_users_file(compiler):
    with pytest.raises(WasmCompileError) as err:
        compiler.compile("int main(void) {\n    return undefined_name;\n}\n")
    text = str(err.value)
    assert text.startswith("main.c:2:12: error: use of undeclared identifier 'undefined_name'")
    assert "/src/" not in text
    (diag,) = [d for d in err.value.diagnostics if d.severity == "error"]
    assert (diag.file, diag.line, diag.column) == ("main.c", 2, 12)
    assert "return undefined_name" in diag.snippet


def test_warnings_come_back_with_a_successful_compile(compiler):
    prog = compiler.compile("int main(void) { int unused = 1; return 0; }", flags=("-O0", "-Wall"))
    assert any(w.severity == "warning" and "unused" in w.message for w in prog.warnings)


def test_a_function_loads_as_a_core_guest(compiler):
    src = "#include <math.h>\ndouble hyp(double a, double b) { return sqrt(a * a + b * b); }\n"
    prog = compiler.compile(src, mode="function", exports=("hyp",))
    assert prog.module().imports == ()  # pure code: the guest needs no capability at all
    guest = prog.guest("hyp", param_names=["a", "b"])
    assert guest.call({"a": 3, "b": 4}).value == 5.0
    with pytest.raises(ValueError, match="functions"):
        prog.run()


def test_simd_flag_builds_a_module_using_simd(compiler):
    src = "void add(float *restrict a, const float *restrict b, int n) { for (int i = 0; i < n; i++) a[i] += b[i]; }"
    prog = compiler.compile(src, mode="function", exports=("add",), flags=("-O3", "-msimd128"))
    plain = compiler.compile(src, mode="function", exports=("add",), flags=("-O3",))
    assert prog.wasm != plain.wasm


def test_results_are_cached_by_source_and_flags(tmp_path):
    if (missing := _missing()) is not None:
        pytest.skip(missing)
    first = WasmCompiler(cache=ResultCache(tmp_path), quiet=True)
    a = first.compile(HELLO)
    assert not a.cached
    assert first.compile(HELLO).cached
    assert not first.compile(HELLO, flags=("-O1",)).cached  # other flags, other entry
    fresh = WasmCompiler(cache=ResultCache(tmp_path), quiet=True)  # a later process: the disk entry
    again = fresh.compile(HELLO)
    assert again.cached
    assert again.wasm == a.wasm
    assert again.key == a.key
    (tmp_path / f"{a.key}.wasm").write_bytes(b"\0asm damaged")
    assert not WasmCompiler(cache=ResultCache(tmp_path), quiet=True).compile(HELLO).cached  # damaged: rebuilt


def test_program_limits_apply(compiler):
    spin = compiler.compile("int main(void) { for (;;) {} }")
    with pytest.raises((WasmTimeoutError, WasmFuelExhaustedError)):
        spin.run(limits=Limits(timeout_s=0.5, fuel=50_000_000))
    chatty = compiler.compile('#include <stdio.h>\nint main(void) { for (;;) puts("spam"); }')
    with pytest.raises(WasmOutputLimitError):
        chatty.run(limits=Limits(timeout_s=5, fuel=None, stdout_bytes=10_000))


def test_bad_arguments_are_clear_errors(compiler):
    with pytest.raises(CompilerFlagError):
        compiler.compile(HELLO, flags=("-fplugin=/tmp/x.so",))
    with pytest.raises(ValueError, match="language"):
        compiler.compile(HELLO, language="rust")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="identifiers"):
        compiler.compile(HELLO, mode="function", exports=("a;b",))
    with pytest.raises(WasmCompileError, match="KiB"):
        compiler.compile("x" * 300_000)


def test_a_missing_toolchain_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("LANGCHAIN_WASM_CLANG_DIR", str(tmp_path))
    with pytest.raises(WasmToolchainMissingError, match="langchain-wasm toolchain install clang"):
        find_toolchain()
    with pytest.raises(WasmToolchainMissingError, match="langchain-wasm toolchain install clang"):
        WasmCompiler(cache=ResultCache(None), quiet=True).compile("int main(void){return 0;}")


def _missing() -> str | None:
    try:
        find_toolchain()
    except WasmToolchainMissingError as exc:
        return str(exc)
    return None


ADDER = r"""#include <stdio.h>
int main(void) {
    double a, b;
    if (scanf(" {\"a\": %lf, \"b\": %lf}", &a, &b) != 2) { fprintf(stderr, "bad input\n"); return 1; }
    printf("{\"sum\": %g}", a + b);
    return 0;
}
"""
TOTAL = r"""#include <stdlib.h>
void *alloc(int n) { return malloc(n); }
void dealloc(void *p, int n) { free(p); }
unsigned long long total(const double *x, unsigned len) {
    double *out = malloc(8), s = 0;
    for (unsigned i = 0; i < len / 8; i++) s += x[i];
    *out = s;
    return ((unsigned long long)(unsigned)out << 32) | 8;
}
"""


def test_a_program_loads_as_a_json_stdio_guest_validated_both_ways(compiler):
    guest = compiler.compile(ADDER).as_guest(
        {
            "name": "adder",
            "abi": "json-stdio",
            "input_schema": {
                "type": "object",
                "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                "required": ["a", "b"],
            },
            "output_schema": {"type": "object", "properties": {"sum": {"type": "number"}}, "required": ["sum"]},
        }
    )
    assert guest.call({"a": 1.5, "b": 2}).value == {"sum": 3.5}
    with pytest.raises(WasmArgumentError):
        guest.call({"a": "x"})


def test_functions_load_as_a_buffer_guest(compiler):
    prog = compiler.compile(TOTAL, mode="function", exports=("alloc", "dealloc", "total"))
    guest = prog.as_guest(
        {
            "name": "total",
            "abi": "buffer",
            "export": "total",
            "params": [{"name": "x", "type": "f64_array"}],
            "result": {"type": "f64_array"},
        }
    )
    assert guest.call({"x": [1.0, 2.5, 3.5]}).value == [7.0]
    with pytest.raises(ValueError, match="mode"):
        prog.as_guest({"name": "t", "abi": "json-stdio"})


def test_the_winch_tier_compiles_the_same_programs(tmp_path):
    """``LANGCHAIN_WASM_COMPILER_TIER=winch``: the fast-to-build baseline tier (what a first use runs on while
    the optimised build compiles in the background) gives the same diagnostics and a working program."""
    import os
    import subprocess
    import sys

    if (missing := _missing()) is not None:
        pytest.skip(missing)
    code = (
        "from langchain_wasm.compiler import WasmCompiler, WasmCompileError\n"
        "from langchain_wasm.compiler.result_cache import ResultCache\n"
        "from langchain_wasm.compiler.loader import load_compiler\n"
        "cc = WasmCompiler(cache=ResultCache(None), quiet=True)\n"
        "print(cc.compile(open(0).read()).run(stdin='4\\n5\\n').stdout_text(), end='')\n"
        "try:\n    cc.compile('int main(void){ return nope; }')\n"
        "except WasmCompileError as e:\n    print(str(e).splitlines()[0])\n"
        "print(load_compiler().tier)\n"
    )
    env = dict(os.environ, LANGCHAIN_WASM_COMPILER_TIER="winch")
    out = subprocess.run(
        [sys.executable, "-c", code], input=HELLO, capture_output=True, text=True, env=env, check=True, timeout=280
    ).stdout
    assert out.splitlines() == ["sum 9", "main.c:1:24: error: use of undeclared identifier 'nope'", "winch"]
