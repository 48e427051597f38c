"""The flag allow-list: what a model may pass, and everything that could reach the host is refused."""

from __future__ import annotations

import pytest

from langchain_wasm.compiler.flags import CompilerFlagError, check_flags

ALLOWED = [
    "-O0", "-O2", "-O3", "-Os", "-Oz", "-std=c11", "-std=c++20", "-DN=10", "-DDEBUG", "-UNDEBUG", "-Wall",
    "-Wextra", "-Werror", "-Wno-unused-variable", "-Werror=format", "-w", "-pedantic", "-msimd128",
    "-ffast-math", "-funroll-loops", "-fno-exceptions", "-fno-rtti", "-lm",
]  # fmt: skip

REFUSED = [
    "@/etc/passwd", "@flags.txt", "-o", "-o/tmp/x", "-I/", "-I/etc", "-isystem/etc", "-iquote/etc",
    "-include/etc/passwd", "-include", "-fplugin=/tmp/evil.so", "-fpass-plugin=/tmp/x.so", "-MF/tmp/deps",
    "-MD", "-MMD", "-M", "-Xclang", "-Xlinker", "-Wl,--export-all", "-Wl,-o,/tmp/x", "-Wa,-x", "-Wp,-MD,/tmp/x",
    "--sysroot=/", "-isysroot/", "-resource-dir=/", "-B/tmp", "-save-temps", "-save-temps=obj", "--target=x86_64",
    "-fprofile-generate=/tmp", "-ftime-trace=/tmp/t", "-fembed-dir=/etc", "--embed-dir=/etc", "-v", "-###",
    "-DX=$(id)", "-DX=`id`", "-D X", "-DX=a b", "-std=c++99x", "-O9", "-fsanitize=address", "",
    "-mllvm", "-fmodules", "-fmodule-map-file=/etc/x", "-frandom-seed=1",
]  # fmt: skip


@pytest.mark.parametrize("flag", ALLOWED)
def test_allowed_flags_pass_unchanged(flag):
    assert check_flags([flag]) == (flag,)


@pytest.mark.parametrize("flag", REFUSED)
def test_everything_else_is_refused_with_a_message_naming_it(flag):
    with pytest.raises(CompilerFlagError, match="not allowed") as err:
        check_flags(["-O2", flag])
    assert isinstance(err.value, ValueError)


def test_too_many_flags_and_non_strings_are_refused():
    with pytest.raises(CompilerFlagError, match="at most"):
        check_flags(["-O2"] * 65)
    with pytest.raises(CompilerFlagError, match="strings"):
        check_flags([1])  # type: ignore[list-item]
