"""``langchain-wasm cc`` and ``langchain-wasm toolchain``: exit status, program output, one diagnostics block."""

from __future__ import annotations

import json

import pytest

from langchain_wasm.cli import main
from tests.compiler.conftest import MISSING

pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"{MISSING}")

PROGRAM = r"""#include <stdio.h>
int main(int argc, char **argv) {
    char line[64];
    while (fgets(line, sizeof line, stdin)) printf("%s: %s", argc > 1 ? argv[1] : "?", line);
    fprintf(stderr, "bye\n");
    return 7;
}
"""


def test_cc_runs_the_program_with_stdin_and_args(tmp_path, capsys):
    src, data = tmp_path / "echo.c", tmp_path / "in.txt"
    src.write_text(PROGRAM)
    data.write_text("a\nb\n")
    assert main(["cc", str(src), "--stdin", str(data), "--", "tag", "--not-an-option"]) == 7
    out = capsys.readouterr()
    assert (out.out, out.err) == ("tag: a\ntag: b\n", "bye\n")
    assert main(["--json", "cc", str(src)]) == 7
    assert json.loads(capsys.readouterr().out)["stderr"] == "bye\n"


def test_cc_prints_diagnostics_as_one_block_named_after_the_file(tmp_path, capsys):
    src = tmp_path / "broken.cpp"
    src.write_text("#include <vector>\nint main() { std::vector<int> v; return v.nope(); }\n")
    assert main(["cc", str(src)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("broken.cpp: compile failed\nbroken.cpp:2:")
    assert "no member named 'nope'" in err


def test_cc_refuses_forbidden_flags(tmp_path, capsys):
    src = tmp_path / "ok.c"
    src.write_text("int main(void){return 0;}")
    assert main(["cc", str(src), "--flag=-fplugin=/tmp/x.so"]) == 1
    assert "not allowed" in capsys.readouterr().err


def test_toolchain_status_and_a_missing_toolchain(tmp_path, capsys, monkeypatch):
    assert main(["toolchain", "status", "clang"]) == 0
    assert "installed" in capsys.readouterr().out
    monkeypatch.setenv("LANGCHAIN_WASM_CLANG_DIR", str(tmp_path))
    assert main(["toolchain", "status", "clang"]) == 4
    assert "langchain-wasm toolchain install clang" in capsys.readouterr().err


def test_install_refuses_a_tarball_that_does_not_match_the_pinned_integrity(tmp_path, capsys, monkeypatch):
    import io
    import tarfile

    fake = tmp_path / "fake.tgz"
    with tarfile.open(fake, "w:gz") as tar:
        data = b"\0asm\x01\0\0\0"
        info = tarfile.TarInfo("package/gen/llvm.core.wasm")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    monkeypatch.setenv("LANGCHAIN_WASM_CLANG_DIR", str(tmp_path / "tc"))
    assert main(["toolchain", "install", "clang", "--from", str(fake)]) == 4
    assert "does not match the pinned integrity" in capsys.readouterr().err
    assert not (tmp_path / "tc" / "22.0.0-git20542-10" / "llvm.core.wasm").exists()
