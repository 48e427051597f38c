"""Deny by default: every capability a guest could want, requested without the grant, and with it."""

from __future__ import annotations

import os

import pytest

from langchain_wasm import Capabilities, GuestMemory, HostFunction, Limits, Preopen, WasmModule
from langchain_wasm.errors import WasmCapabilityError, WasmHostFunctionError, WasmTrapError
from tests.runtime import wat

ERRNO_SUCCESS = 0
ERRNO_NOTCAPABLE = 76
ERRNO_PERM = 63


def test_ungranted_host_import_is_refused_with_its_name():
    mod = WasmModule.from_wat(wat.HOST_IMPORT)
    with pytest.raises(WasmCapabilityError, match=r"env::scale") as info:
        mod.call("run", 2)
    assert (info.value.module, info.value.name) == ("env", "scale")


def test_wasi_is_not_linked_without_the_grant():
    with pytest.raises(WasmCapabilityError, match=r"wasi_snapshot_preview1::fd_write.*'wasi' capability"):
        WasmModule.from_wat(wat.HELLO).call("_start")


@pytest.mark.parametrize(("source", "grant"), [(wat.RANDOM, "random"), (wat.SLEEP, "clocks")])
def test_random_and_clocks_are_separate_grants(source, grant):
    mod = WasmModule.from_wat(source)
    with pytest.raises(WasmCapabilityError, match=f"'{grant}' capability"):
        mod.check(Capabilities.command())
    mod.check(Capabilities.command(**{grant: True}))


def test_random_when_granted_works():
    assert WasmModule.from_wat(wat.RANDOM).call("f", capabilities=Capabilities(random=True)).value == 0


def test_network_is_never_granted():
    mod = WasmModule.from_wat(wat.SOCKET)
    everything = Capabilities(wasi=True, clocks=True, random=True)
    with pytest.raises(WasmCapabilityError, match=r"sock_send.*networking is never granted"):
        mod.call("f", capabilities=everything)


def test_host_function_when_granted_runs_and_sees_memory():
    seen = []

    def scale(mem: GuestMemory, x: int) -> int:
        seen.append(mem.size)
        return x * 10

    caps = Capabilities(host_functions=(HostFunction("env", "scale", ("i32",), ("i32",), scale, memory=True),))
    assert WasmModule.from_wat(wat.HOST_IMPORT).call("run", 7, capabilities=caps).value == 70
    assert seen == [65536]


def test_host_function_with_wrong_signature_is_refused():
    caps = Capabilities(host_functions=(HostFunction("env", "scale", ("i64",), ("i32",), lambda x: x),))
    with pytest.raises(WasmCapabilityError, match=r"as \(i32\) -> \(i32\).*signature \(i64\) -> \(i32\)"):
        WasmModule.from_wat(wat.HOST_IMPORT).call("run", 1, capabilities=caps)


def test_host_function_that_raises_stops_the_guest_with_the_cause():
    def boom(x: int) -> int:
        raise KeyError("no such item")

    caps = Capabilities(host_functions=(HostFunction("env", "scale", ("i32",), ("i32",), boom),))
    with pytest.raises(WasmHostFunctionError, match="KeyError") as info:
        WasmModule.from_wat(wat.HOST_IMPORT).call("run", 1, capabilities=caps)
    assert isinstance(info.value.__cause__, KeyError)
    assert info.value.metrics.trap == "host"


def test_env_not_granted_is_invisible(monkeypatch):
    monkeypatch.setenv("LCW_SECRET", "hunter2")
    mod = WasmModule.from_wat(wat.ENV)
    assert mod.call("count", capabilities=Capabilities(wasi=True)).value == 0
    assert mod.call("bytes", capabilities=Capabilities(wasi=True)).value == 0


def test_env_allow_list_passes_only_the_named_variables(monkeypatch):
    monkeypatch.setenv("LCW_SECRET", "hunter2")
    monkeypatch.setenv("LCW_LANG", "C")
    mod = WasmModule.from_wat(wat.ENV)
    caps = Capabilities(inherit_env=("LCW_LANG", "LCW_UNSET"))
    assert mod.call("count", capabilities=caps).value == 1
    assert mod.call("bytes", capabilities=caps).value == len("LCW_LANG=C\0")
    explicit = Capabilities(env={"ZETA": "1"})
    assert mod.call("first_char", capabilities=explicit).value == ord("Z")


@pytest.fixture
def sandbox_dirs(tmp_path):
    root = tmp_path / "root"
    work = root / "work"
    work.mkdir(parents=True)
    (work / "inside.txt").write_text("I am inside")
    (root / "secret.txt").write_text("top secret")
    os.symlink(root / "secret.txt", work / "link-out")
    return work, root


def _probe_offsets():
    return {
        "inside": (1000, 10),
        "dotdot": (1100, 13),
        "abs": (1200, 11),
        "new": (1300, 7),
        "link": (1400, 8),
    }


def test_preopen_reads_inside_but_never_outside(sandbox_dirs):
    work, _ = sandbox_dirs
    caps = Capabilities(preopens=(Preopen(str(work), "/work"),))
    mod = WasmModule.from_wat(wat.FS_PROBE)
    off = _probe_offsets()
    assert mod.call("read_at", *off["inside"], capabilities=caps).value == ERRNO_SUCCESS
    for escape in ("dotdot", "abs", "link"):
        errno = mod.call("read_at", *off[escape], capabilities=caps).value
        assert errno in (ERRNO_NOTCAPABLE, ERRNO_PERM), (escape, errno)


def test_read_only_preopen_refuses_writes(sandbox_dirs):
    work, _ = sandbox_dirs
    mod = WasmModule.from_wat(wat.FS_PROBE)
    ro = Capabilities(preopens=(Preopen(str(work), "/work"),))
    assert mod.call("create_at", *_probe_offsets()["new"], capabilities=ro).value != ERRNO_SUCCESS
    assert not (work / "new.txt").exists()
    assert mod.call("create_at", *_probe_offsets()["inside"], capabilities=ro).value != ERRNO_SUCCESS
    assert (work / "inside.txt").read_text() == "I am inside"


def test_writable_preopen_allows_writes_only_inside(sandbox_dirs):
    work, root = sandbox_dirs
    mod = WasmModule.from_wat(wat.FS_PROBE)
    rw = Capabilities(preopens=(Preopen(str(work), "/work", writable=True),))
    assert mod.call("create_at", *_probe_offsets()["new"], capabilities=rw).value == ERRNO_SUCCESS
    assert (work / "new.txt").read_bytes() == b"ins"  # the first 3 bytes of "inside.txt" at offset 1000
    assert mod.call("create_at", *_probe_offsets()["dotdot"], capabilities=rw).value != ERRNO_SUCCESS
    assert mod.call("create_at", *_probe_offsets()["link"], capabilities=rw).value != ERRNO_SUCCESS
    assert (root / "secret.txt").read_text() == "top secret"


def test_preopen_of_the_compile_cache_is_refused():
    mod = WasmModule.from_wat(wat.FS_PROBE)
    cache = mod.engine.cache_dir
    assert cache is not None
    with pytest.raises(WasmCapabilityError, match="compile cache"):
        mod.call("read_at", 1000, 10, capabilities=Capabilities(preopens=(Preopen(str(cache), "/c"),)))
    with pytest.raises(WasmCapabilityError, match="compile cache"):
        mod.call("read_at", 1000, 10, capabilities=Capabilities(preopens=(Preopen(str(cache.parent), "/c"),)))


def test_stdio_can_be_withheld():
    mod = WasmModule.from_wat(wat.HELLO)
    r = mod.run(capabilities=Capabilities.command(stdout=False))
    assert r.stdout == b""
    assert r.stderr == b"hello"


def test_guest_cannot_read_stdin_without_the_grant():
    mod = WasmModule.from_wat(wat.CAT)
    assert mod.run(stdin=b"abc", capabilities=Capabilities.command(stdin=False)).stdout == b""
    assert mod.run(stdin=b"abc").stdout == b"abc"


def test_capabilities_validate_their_input(tmp_path):
    with pytest.raises(ValueError, match="not a directory"):
        Preopen(str(tmp_path / "missing"), "/x")
    with pytest.raises(ValueError, match="duplicate guest paths"):
        Capabilities(preopens=(Preopen(str(tmp_path), "/x"), Preopen(str(tmp_path), "/x")))
    with pytest.raises(ValueError, match="invalid variable"):
        Capabilities(env={"A=B": "1"})
    with pytest.raises(ValueError, match="may not define functions in wasi_snapshot_preview1"):
        HostFunction("wasi_snapshot_preview1", "fd_write", ("i32",), (), print)
    assert Capabilities(clocks=True).wasi  # any WASI grant implies the base group


def test_trap_inside_guest_after_host_call_is_still_a_trap():
    src = wat.HOST_IMPORT.replace("(call $scale (local.get 0))", "(drop (call $scale (local.get 0))) unreachable")
    src = src.replace("(result i32) (drop", "(drop")
    caps = Capabilities(host_functions=(HostFunction("env", "scale", ("i32",), ("i32",), lambda x: x),))
    with pytest.raises(WasmTrapError) as info:
        WasmModule.from_wat(src).call("run", 1, capabilities=caps, limits=Limits())
    assert info.value.trap_code == "unreachable"


def test_stdio_works_and_stays_capped_when_directories_are_preopened(tmp_path):
    caps = Capabilities.command(preopens=(Preopen(str(tmp_path), "/work"),))
    r = WasmModule.from_wat(wat.CAT).run(stdin=b"x" * 100_000, capabilities=caps, limits=Limits(timeout_s=5))
    assert r.stdout == b"x" * 100_000
    from langchain_wasm.errors import WasmOutputLimitError

    with pytest.raises(WasmOutputLimitError) as info:
        WasmModule.from_wat(wat.FLOOD).run(capabilities=caps, limits=Limits(stdout_bytes=5000, timeout_s=30))
    assert info.value.stdout == b"\0" * 5000
    assert info.value.stream == "stdout"


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_calls_with_preopens_leak_no_descriptors_or_temp_files(tmp_path):
    import tempfile

    caps = Capabilities.command(preopens=(Preopen(str(tmp_path), "/work"),))
    cat = WasmModule.from_wat(wat.CAT)
    cat.run(stdin=b"warm", capabilities=caps)
    before_fds = _open_fds()
    before_tmp = set(os.listdir(tempfile.gettempdir()))
    for i in range(200):
        assert cat.run(stdin=f"call {i}".encode(), capabilities=caps).stdout == f"call {i}".encode()
    assert _open_fds() == before_fds
    assert {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("lcw-stdin-")} <= before_tmp


def test_host_functions_pass_every_value_type():
    src = """(module
      (import "env" "mix" (func $mix (param i32 i64 f32 f64) (result f64)))
      (func (export "go") (param i32 i64 f32 f64) (result f64)
        (call $mix (local.get 0) (local.get 1) (local.get 2) (local.get 3))))"""
    got = []

    def mix(a: int, b: int, c: float, d: float) -> float:
        got.append((a, b, c, d))
        return a + b + c + d

    caps = Capabilities(host_functions=(HostFunction("env", "mix", ("i32", "i64", "f32", "f64"), ("f64",), mix),))
    r = WasmModule.from_wat(src).call("go", -1, 2**40, 0.5, 0.25, capabilities=caps)
    assert got == [(-1, 2**40, 0.5, 0.25)]
    assert r.value == -1 + 2**40 + 0.75


def test_overlap_is_by_whole_path_components(tmp_path):
    """The compile-cache check (kept_linker.check_imports): a preopen may neither be, contain nor sit inside
    the cache, judged by whole components of resolved paths."""
    from langchain_wasm.runtime.capabilities import overlaps

    assert overlaps("/a/b", "/a/b")
    assert overlaps("/a/b", "/a/b/c")
    assert overlaps("/a/b/c", "/a/b")
    assert overlaps("/", "/a")
    assert overlaps("/a/b/", "/a/b/c")
    assert not overlaps("/a/b", "/a/bc")
    assert not overlaps("/a/bc", "/a/b")
    assert not overlaps("/a/b", "/a/c")
    (tmp_path / "cache").mkdir()
    (tmp_path / "work").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "cache")
    pre = Preopen(str(tmp_path / "work"), "/w")
    assert not pre.contains(tmp_path / "cache")
    assert Preopen(str(tmp_path / "link"), "/w").contains(tmp_path / "cache" / "x")  # resolved, not textual
    assert Preopen(str(tmp_path), "/w").contains(tmp_path / "link")
