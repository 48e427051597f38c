"""``KeptInstance`` (runtime/kept.py) with small WAT guests: per-call limits, the end after a stop, memory
access, and stdio with a hard cap alongside writable preopens (the fd_write forwarder)."""

from __future__ import annotations

import os
import threading

import pytest
import wasmtime

from langchain_wasm import Capabilities, Limits, Preopen, WasmEngine
from langchain_wasm.errors import (
    WasmCallError,
    WasmCapabilityError,
    WasmFuelExhaustedError,
    WasmMemoryLimitError,
    WasmOutputLimitError,
    WasmTimeoutError,
)
from langchain_wasm.runtime.guest_thread import GuestThreads
from langchain_wasm.runtime.kept import KeptInstance
from langchain_wasm.runtime.signatures import FuncSignature

WASI = "wasi_snapshot_preview1"

# A counter kept across calls, a spin loop, a sleep (absolute monotonic deadline, as wasi-libc sleeps), a writer
# to any fd, and a file creator in the preopen at fd 3.
GUEST = f"""(module
  (import "{WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "{WASI}" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "{WASI}" "clock_time_get" (func $now (param i32 i64 i32) (result i32)))
  (import "{WASI}" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "{WASI}" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "out.txt")
  (global $n (mut i32) (i32.const 0))
  (func (export "bump") (result i32) (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n))
  (func (export "spin") (loop $l (br $l)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "accept") (result i32) (call $accept (i32.const 3) (i32.const 0) (i32.const 0)))
  ;; write(fd, ptr=1024, len): iovec at 0
  (func (export "write") (param i32 i32) (result i32)
    (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (local.get 1))
    (call $fd_write (local.get 0) (i32.const 0) (i32.const 1) (i32.const 8)))
  ;; open out.txt for writing in the preopen (fd 3); returns errno, the new fd is at 12
  (func (export "create") (result i32)
    (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 7) (i32.const 9)
      (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 12)))
  (func (export "fd") (result i32) (i32.load (i32.const 12)))
  ;; sleep until now + ms (absolute monotonic subscription)
  (func (export "sleep_ms") (param i32) (result i32)
    (drop (call $now (i32.const 1) (i64.const 0) (i32.const 200)))
    (i64.store (i32.const 104) (i64.const 0))
    (i32.store8 (i32.const 112) (i32.const 0))
    (i32.store (i32.const 120) (i32.const 1))
    (i64.store (i32.const 128) (i64.add (i64.load (i32.const 200))
      (i64.mul (i64.extend_i32_u (local.get 0)) (i64.const 1000000))))
    (i64.store (i32.const 136) (i64.const 0))
    (i32.store16 (i32.const 144) (i32.const 1))
    (call $poll (i32.const 104) (i32.const 300) (i32.const 1) (i32.const 400))
    (drop (call $now (i32.const 1) (i64.const 0) (i32.const 208))))
  ;; 1 if the clock read right after the last sleep_ms had reached the deadline it slept until
  (func (export "woke_after_deadline") (result i32) (i64.ge_u (i64.load (i32.const 208)) (i64.load (i32.const 128))))
)"""

SIGS = {
    "bump": FuncSignature((), ("i32",)),
    "spin": FuncSignature((), ()),
    "grow": FuncSignature(("i32",), ("i32",)),
    "accept": FuncSignature((), ("i32",)),
    "write": FuncSignature(("i32", "i32"), ("i32",)),
    "create": FuncSignature((), ("i32",)),
    "fd": FuncSignature((), ("i32",)),
    "sleep_ms": FuncSignature(("i32",), ("i32",)),
    "woke_after_deadline": FuncSignature((), ("i32",)),
}
IMPORTS = [(WASI, n) for n in ("fd_write", "path_open", "clock_time_get", "poll_oneoff", "sock_accept")]


@pytest.fixture(scope="module")
def kengine(tmp_path_factory):
    return WasmEngine(cache_dir=tmp_path_factory.mktemp("kcache"), max_wasm_stack=4 * 1024 * 1024)


@pytest.fixture(scope="module")
def module(kengine):
    return wasmtime.Module(kengine.engine, GUEST)


def kept(kengine, module, tmp_path, limits=None, **caps):
    caps.setdefault("clocks", True)
    caps.setdefault("preopens", (Preopen(str(tmp_path), "/work", writable=True),))
    return KeptInstance(
        kengine,
        module,
        name="kept",
        imports=IMPORTS,
        signatures=SIGS,
        limits=limits or Limits(timeout_s=1),
        capabilities=Capabilities(**caps),
        stub_sockets=True,
    )


def test_state_persists_across_calls(kengine, module, tmp_path):
    with kept(kengine, module, tmp_path) as k:
        assert [k.call("bump", limits=Limits()).value for _ in range(3)] == [1, 2, 3]


def test_each_call_has_its_own_fuel_and_a_stop_ends_the_instance(kengine, module, tmp_path):
    with kept(kengine, module, tmp_path) as k:
        assert k.call("bump", limits=Limits(fuel=1000)).value == 1
        with pytest.raises(WasmFuelExhaustedError):
            k.call("spin", limits=Limits(fuel=10_000, timeout_s=None))
        assert k.ended is not None
        assert "fuel" in k.ended
        with pytest.raises(WasmCallError, match="has ended"):
            k.call("bump", limits=Limits())


def test_each_call_has_its_own_deadline(kengine, module, tmp_path):
    with kept(kengine, module, tmp_path) as k:
        for _ in range(10 * kengine.ticker.ticks_for(1.0)):  # the instance ages 10x a call's deadline, in ticks
            kengine.engine.increment_epoch()
        assert k.call("bump", limits=Limits(timeout_s=1)).value == 1  # its age does not count against a call
        with pytest.raises(WasmTimeoutError):  # an endless loop without fuel: only the deadline ends it
            k.call("spin", limits=Limits(timeout_s=0.2, fuel=None))
        assert k.ended is not None


def test_absolute_sleeps_sleep_and_are_cut_at_the_deadline(kengine, module, tmp_path):
    with kept(kengine, module, tmp_path) as k:
        assert k.call("sleep_ms", 150, limits=Limits(timeout_s=30)).value == 0
        # it really slept: the guest's own clock, read on waking, had reached the deadline it asked for
        assert k.call("woke_after_deadline", limits=Limits()).value == 1
    # a ~11-day sleep: only our poll_oneoff's deadline check ends it
    with kept(kengine, module, tmp_path) as k, pytest.raises(WasmTimeoutError):
        k.call("sleep_ms", 10**9, limits=Limits(timeout_s=0.2))


def test_stdout_is_captured_with_a_hard_cap_next_to_a_writable_preopen(kengine, module, tmp_path):
    with kept(kengine, module, tmp_path) as k:
        k.memory().write(1024, b"hello\n")
        r = k.call("write", 1, 6, limits=Limits(stdout_bytes=100))
        assert (r.value, r.stdout) == (0, b"hello\n")
        r = k.call("write", 2, 3, limits=Limits())
        assert r.stderr == b"hel"
        with pytest.raises(WasmOutputLimitError) as info:
            k.call("write", 1, 6, limits=Limits(stdout_bytes=4))
        assert info.value.stdout == b"hell"


def test_file_writes_reach_the_preopen_through_the_forwarder(kengine, module, tmp_path):
    with kept(kengine, module, tmp_path) as k:
        assert k.call("create", limits=Limits()).value == 0
        fd = k.call("fd", limits=Limits()).value
        k.memory().write(1024, b"data in a file")
        assert k.call("write", fd, 14, limits=Limits(stdout_bytes=0)).value == 0
    assert (tmp_path / "out.txt").read_bytes() == b"data in a file"


def test_sockets_are_stubbed_not_granted(kengine, module, tmp_path):
    with kept(kengine, module, tmp_path) as k:
        assert k.call("accept", limits=Limits()).value == 58  # ENOTSUP, never wasmtime's implementation
    with pytest.raises(WasmCapabilityError, match="networking is never granted"):
        KeptInstance(
            kengine, module, name="k", imports=IMPORTS, signatures=SIGS, limits=Limits(),
            capabilities=Capabilities(clocks=True), stub_sockets=False,
        )  # fmt: skip


def test_ungranted_imports_and_cache_overlap_are_refused(kengine, module, tmp_path):
    with pytest.raises(WasmCapabilityError, match="clocks"):
        kept(kengine, module, tmp_path, clocks=False)
    with pytest.raises(WasmCapabilityError, match="compile cache"):
        kept(kengine, module, tmp_path, preopens=(Preopen(str(kengine.cache_dir), "/c"),))


def test_memory_read_write_and_cap(kengine, module, tmp_path):
    with kept(kengine, module, tmp_path, limits=Limits(memory_bytes=4 * 65536)) as k:
        k.write_memory(b"xyz", 70_000)  # grows memory to fit
        assert k.memory_size() == 2 * 65536
        assert k.read_memory()[70_000:70_003] == b"xyz"
        with pytest.raises(WasmMemoryLimitError):
            k.write_memory(b"x", 5 * 65536)
        assert k.call("grow", 10, limits=Limits(memory_bytes=4 * 65536)).value == -1  # the store cap holds


def test_engine_with_a_large_wasm_stack_does_not_abort(tmp_path):
    engine = WasmEngine(cache_dir=None, max_wasm_stack=8 * 1024 * 1024)  # above wasmtime's 2 MiB async stack
    assert engine.max_wasm_stack == 8 * 1024 * 1024


def test_guest_threads_have_the_stack_they_were_made_with():
    pool = GuestThreads(32 * 1024 * 1024, max_workers=2)
    names = {pool.submit(lambda: threading.current_thread().name).result() for _ in range(8)}
    assert names == {"langchain-wasm-guest"}
    assert pool.run(lambda: pool.run(lambda: 7)) == 7  # re-entrant on its own threads
    with pytest.raises(ZeroDivisionError):
        pool.run(lambda: 1 / 0)
    assert len(pool._threads) <= 2


def test_close_is_idempotent(kengine, module, tmp_path):
    k = kept(kengine, module, tmp_path)
    k.close()
    k.close()
    assert k.ended == "closed"
    assert os.path.isdir(tmp_path)


def test_file_write_budget_stops_the_guest(kengine, module, tmp_path):
    with kept(kengine, module, tmp_path) as k:
        k.call("create", limits=Limits())
        fd = k.call("fd", limits=Limits()).value
        assert k.drive(lambda live: live.call("write", fd, 100), limits=Limits(), file_write_bytes=100).value == 0
        with pytest.raises(WasmOutputLimitError, match="to files"):
            k.drive(lambda live: live.call("write", fd, 101), limits=Limits(), file_write_bytes=100)
    assert (tmp_path / "out.txt").stat().st_size == 100
