"""Workspace quotas: bytes written and entries created in writable preopens are bounded while the guest writes,
with ``EDQUOT`` for the one write or create too many (nothing written), first with a WAT guest on a
``KeptInstance``, then inside the Python interpreter."""

from __future__ import annotations

import pytest
import wasmtime

from langchain_wasm import Capabilities, Limits, Preopen, WasmEngine
from langchain_wasm.runtime.kept import KeptInstance
from langchain_wasm.runtime.kept_linker import EDQUOT, WorkspaceQuota
from langchain_wasm.runtime.signatures import FuncSignature

WASI = "wasi_snapshot_preview1"
FUNCS = {
    "fd_write": "i32 i32 i32 i32",
    "fd_pwrite": "i32 i32 i32 i64 i32",
    "fd_close": "i32",
    "path_open": "i32 i32 i32 i32 i32 i64 i64 i32 i32",
    "path_create_directory": "i32 i32 i32",
    "path_symlink": "i32 i32 i32 i32 i32",
}
# Names at 16 ("a", "b", "c", "d"), one byte each; write/pwrite 8 bytes from 1024; the opened fd lands at 12.
GUEST = (
    "(module\n"
    + "".join(f'  (import "{WASI}" "{n}" (func ${n} (param {p}) (result i32)))\n' for n, p in FUNCS.items())
    + """  (memory (export "memory") 1)
  (data (i32.const 16) "abcd")
  (data (i32.const 1024) "12345678")
  (func (export "create") (param $name i32) (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.add (i32.const 16) (local.get $name)) (i32.const 1)
      (i32.const 1) (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 12)))
  (func (export "write") (result i32)
    (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 8))
    (call $fd_write (i32.load (i32.const 12)) (i32.const 0) (i32.const 1) (i32.const 8)))
  (func (export "pwrite") (result i32)
    (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 8))
    (call $fd_pwrite (i32.load (i32.const 12)) (i32.const 0) (i32.const 1) (i64.const 100) (i32.const 8)))
  (func (export "close") (result i32) (call $fd_close (i32.load (i32.const 12))))
  (func (export "mkdir") (param $name i32) (result i32)
    (call $path_create_directory (i32.const 3) (i32.add (i32.const 16) (local.get $name)) (i32.const 1)))
  (func (export "symlink") (param $name i32) (result i32)
    (call $path_symlink (i32.const 16) (i32.const 1) (i32.const 3) (i32.add (i32.const 16) (local.get $name))
      (i32.const 1)))
)"""
)
SIGS = {
    "create": FuncSignature(("i32",), ("i32",)),
    "write": FuncSignature((), ("i32",)),
    "pwrite": FuncSignature((), ("i32",)),
    "close": FuncSignature((), ("i32",)),
    "mkdir": FuncSignature(("i32",), ("i32",)),
    "symlink": FuncSignature(("i32",), ("i32",)),
}
A, B, C, D = 0, 1, 2, 3


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return WasmEngine(cache_dir=tmp_path_factory.mktemp("qcache"))


@pytest.fixture
def instance(engine, tmp_path):
    k = KeptInstance(
        engine,
        wasmtime.Module(engine.engine, GUEST),
        name="quota",
        imports=[(WASI, n) for n in FUNCS],
        signatures=SIGS,
        limits=Limits(timeout_s=2),
        capabilities=Capabilities(wasi=True, preopens=(Preopen(str(tmp_path), "/w", writable=True),)),
    )
    yield k
    k.close()


def _call(k, export, *args, quota=None):
    return k.drive(lambda live: live.call(export, *args), limits=Limits(timeout_s=2), quota=quota).value


def test_new_entries_past_the_quota_fail_with_edquot_and_leave_nothing(instance, tmp_path):
    quota = WorkspaceQuota(entries=2)
    assert _call(instance, "create", A, quota=quota) == 0
    assert _call(instance, "close", quota=quota) == 0
    assert _call(instance, "create", A, quota=quota) == 0  # it exists: opening it again costs nothing
    assert _call(instance, "close", quota=quota) == 0
    assert quota.entries == 1
    assert _call(instance, "mkdir", B, quota=quota) == 0
    assert quota.entries == 0
    assert _call(instance, "create", C, quota=quota) == EDQUOT
    assert _call(instance, "mkdir", C, quota=quota) == EDQUOT
    assert _call(instance, "symlink", D, quota=quota) == EDQUOT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]
    assert _call(instance, "create", A, quota=quota) == 0  # existing names still open at zero quota


def test_bytes_past_the_quota_fail_with_edquot_and_are_not_written(instance, tmp_path):
    quota = WorkspaceQuota(bytes=12)
    assert _call(instance, "create", A, quota=quota) == 0
    assert _call(instance, "write", quota=quota) == 0
    assert _call(instance, "write", quota=quota) == EDQUOT  # 8 more would pass 12
    assert _call(instance, "pwrite", quota=quota) == EDQUOT  # fd_pwrite is counted too
    assert quota.bytes == 4
    assert (tmp_path / "a").read_bytes() == b"12345678"


def test_one_shot_runs_have_the_quota_too(runtime):
    from langchain_wasm.python import WasmPythonSandbox

    sb = WasmPythonSandbox(quiet=True, workspace_entries=2)
    code = (
        "import errno\nout = []\nfor i in range(4):\n    try:\n        open(f'{i}', 'w').close(); out.append(i)\n"
        "    except OSError as e:\n        out.append(e.errno == errno.EDQUOT)\nout"
    )
    r = sb.run(code)
    assert r.result == [0, 1, True, True]
    sb.close()


def test_no_quota_means_no_bound(instance, tmp_path):
    for name in (A, B, C):
        assert _call(instance, "create", name) == 0
        assert _call(instance, "write") == 0
        assert _call(instance, "pwrite") == 0
        assert _call(instance, "close") == 0
    assert _call(instance, "mkdir", D) == 0
    assert (tmp_path / "c").stat().st_size == 108


# -- inside the Python interpreter ------------------------------------------------------------------------------


def test_python_sees_disk_quota_exceeded_and_the_session_goes_on(runtime):
    from langchain_wasm.python import WasmPythonSandbox

    quota = WasmPythonSandbox(quiet=True, workspace_entries=3, workspace_bytes=64 * 1024)
    with quota.session() as s:
        out = s.run(
            "import errno\n"
            "made = []\n"
            "try:\n"
            "    for i in range(10):\n"
            "        open(f'f{i}.txt', 'w').close(); made.append(i)\n"
            "except OSError as e:\n"
            "    code = e.errno\n"
            "(made, code == errno.EDQUOT)"
        )
        assert out.result == [[0, 1, 2], True]
        big = s.run(
            "try:\n    open('big.bin', 'wb').write(b'x' * 200_000); r = 'written'\n"
            "except OSError as e:\n    r = e.strerror\nr"
        )
        assert big.result == "Quota exceeded"  # EDQUOT, as wasi-libc words it
        # deleting frees room for the next run: the quota is measured at the start of each run, not tallied
        s.run("import os\nfor i in range(3): os.remove(f'f{i}.txt')")
        assert s.run("open('again.txt', 'w').close(); sorted(os.listdir('.'))").result == ["again.txt"]


def test_python_can_rewrite_a_file_bigger_than_half_the_quota(runtime):
    from langchain_wasm.python import WasmPythonSandbox

    quota = WasmPythonSandbox(quiet=True, workspace_bytes=100 * 1024)
    with quota.session() as s:
        code = (
            "for _ in range(5):\n    open('out.bin', 'wb').write(b'x' * 70_000)\nimport os\nos.path.getsize('out.bin')"
        )
        assert s.run(code).result == 70_000  # each open(..., 'wb') truncates: the old bytes come back
        assert s.run(code).result == 70_000  # and in the next run, measured at its start
