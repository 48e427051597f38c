"""The workspace quota of plain ``WasmModule`` calls: bytes and entries in writable preopens are bounded while the
guest writes (``EDQUOT`` for the one write or create too many, nothing written, the guest goes on), what the
directory already holds counts, every call is measured afresh, and a guest that ignores ``EDQUOT`` still ends at
its budget. First a WAT guest (one export per operation), then a C guest that sees ``errno == EDQUOT``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from langchain_wasm import Capabilities, Limits, Preopen, WasmModule
from langchain_wasm.abi.component import WasmComponent
from langchain_wasm.errors import WasmCapabilityError, WasmFuelExhaustedError, WasmOutputLimitError, WasmTimeoutError
from langchain_wasm.runtime.wasi_forward import EDQUOT
from langchain_wasm.runtime.workspace_quota import call_quota, quota_applies

from . import quota_wat as q

ROOT = Path(__file__).resolve().parents[2]
KIB = 1024


@pytest.fixture(scope="module")
def guest():
    return WasmModule.from_wat(q.QUOTA_GUEST, name="quota")


def _caps(*dirs: Path, writable: bool = True) -> Capabilities:
    return Capabilities(wasi=True, preopens=tuple(Preopen(str(d), f"/w{i}", writable) for i, d in enumerate(dirs)))


def _limits(nbytes: int | None = None, entries: int | None = None) -> Limits:
    return Limits(timeout_s=5, workspace_bytes=nbytes, workspace_entries=entries)


def test_defaults_match_the_python_sandbox_and_bad_values_are_refused():
    from langchain_wasm.python.interpreter import WORKSPACE_BYTES, WORKSPACE_ENTRIES

    assert (Limits().workspace_bytes, Limits().workspace_entries) == (WORKSPACE_BYTES, WORKSPACE_ENTRIES)
    for bad in (-1, 1.5, "10", True):
        with pytest.raises(ValueError, match="workspace_bytes must be an int >= 0 or None"):
            Limits(workspace_bytes=bad)  # type: ignore[arg-type]
    merged = Limits(workspace_entries=3).over(Limits(workspace_bytes=7, workspace_entries=None))
    assert (merged.workspace_bytes, merged.workspace_entries) == (7, 3)


def test_bytes_up_to_the_quota_pass_and_the_write_past_it_fails_with_nothing_written(guest, tmp_path):
    limits = _limits(100 * KIB)
    assert (
        guest.call("write_file", q.A, q.O_CREAT, 10, 10 * KIB, capabilities=_caps(tmp_path), limits=limits).value == 0
    )
    assert (tmp_path / "a").stat().st_size == 100 * KIB  # exactly at the quota: every write passed
    assert guest.call("write_file", q.B, q.O_CREAT, 1, 1, capabilities=_caps(tmp_path), limits=limits).value == EDQUOT
    assert (tmp_path / "b").stat().st_size == 0  # created (an entry), but the byte was refused


def test_one_write_larger_than_the_quota_writes_nothing(guest, tmp_path):
    res = guest.call("write_file", q.A, q.O_CREAT, 1, 64 * KIB, capabilities=_caps(tmp_path), limits=_limits(1000))
    assert res.value == EDQUOT
    assert (tmp_path / "a").stat().st_size == 0


def test_many_small_writes_stop_at_the_quota(guest, tmp_path):
    res = guest.call("write_file", q.A, q.O_CREAT, 5000, 7, capabilities=_caps(tmp_path), limits=_limits(10_000))
    assert res.value == EDQUOT
    assert (tmp_path / "a").stat().st_size == 10_000 // 7 * 7


def test_what_the_directory_holds_counts_and_each_call_is_measured_afresh(guest, tmp_path):
    (tmp_path / "old").write_bytes(b"x" * 60 * KIB)
    caps, limits = _caps(tmp_path), _limits(100 * KIB)
    assert guest.call("write_file", q.A, q.O_CREAT, 5, 10 * KIB, capabilities=caps, limits=limits).value == EDQUOT
    assert (tmp_path / "a").stat().st_size == 40 * KIB  # 60 KiB there + 40 KiB written = the quota
    # the next call starts from what is there now: full, so even one byte fails
    assert guest.call("write_file", q.B, q.O_CREAT, 1, 1, capabilities=caps, limits=limits).value == EDQUOT
    (tmp_path / "old").unlink()  # room again for the next call
    assert guest.call("write_file", q.B, q.O_CREAT, 6, 10 * KIB, capabilities=caps, limits=limits).value == 0


def test_pwrite_is_counted(guest, tmp_path):
    caps, limits = _caps(tmp_path), _limits(1000)
    assert guest.call("pwrite_file", q.A, 1000, 5000, capabilities=caps, limits=limits).value == 0
    assert (tmp_path / "a").read_bytes()[5000:] == b"\0" * 1000
    assert guest.call("pwrite_file", q.B, 1001, 0, capabilities=caps, limits=limits).value == EDQUOT
    assert (tmp_path / "b").stat().st_size == 0


def test_an_o_trunc_rewrite_gives_the_old_bytes_back(guest, tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 90 * KIB)
    caps, limits = _caps(tmp_path), _limits(100 * KIB)
    trunc = q.O_CREAT | q.O_TRUNC
    assert guest.call("write_file", q.A, trunc, 10, 10 * KIB, capabilities=caps, limits=limits).value == 0
    assert (tmp_path / "a").stat().st_size == 100 * KIB  # the 90 KiB it held came back when it was truncated
    assert guest.call("write_file", q.A, trunc, 11, 10 * KIB, capabilities=caps, limits=limits).value == EDQUOT
    assert (tmp_path / "a").stat().st_size == 100 * KIB
    # without O_TRUNC, rewriting counts again: the file is full, so the quota is too
    assert guest.call("write_file", q.A, q.O_CREAT, 1, 1, capabilities=caps, limits=limits).value == EDQUOT


def test_truncating_a_sparse_file_gives_back_only_what_was_counted(guest, tmp_path):
    res = guest.call("sparse_then_rewrite", 20, 10 * KIB, capabilities=_caps(tmp_path), limits=_limits(100 * KIB))
    assert res.value == EDQUOT  # the 1 GiB hole was never counted, so truncating it gave back 1 byte, not 1 GiB
    assert (tmp_path / "a").stat().st_size == 100 * KIB


def test_disk_cannot_be_reserved_without_writing_and_a_grown_file_is_a_hole_counted_next_call(guest, tmp_path):
    caps, limits = _caps(tmp_path), _limits(100 * KIB)
    assert guest.call("grow", 0, 1 << 30, capabilities=caps, limits=limits).value != 0  # fd_allocate: ENOTSUP
    assert (tmp_path / "a").stat().st_size == 0
    assert guest.call("grow", 1, 1 << 30, capabilities=caps, limits=limits).value == 0  # ftruncate grows a hole
    info = (tmp_path / "a").stat()
    assert info.st_size == 1 << 30
    assert info.st_blocks * 512 < 1 << 20  # no disk taken
    # the next call measures its size: the workspace is full until the file shrinks
    assert guest.call("write_file", q.B, q.O_CREAT, 1, 1, capabilities=caps, limits=limits).value == EDQUOT


@pytest.mark.parametrize("kind", [q.FILES, q.DIRS, q.SYMLINKS, q.LINKS])
def test_entries_past_the_quota_fail_with_edquot(guest, tmp_path, kind):
    (tmp_path / "a").write_bytes(b"target")  # what links point at; it counts as one entry
    res = guest.call("make_entries", 50, kind, capabilities=_caps(tmp_path), limits=_limits(entries=6))
    assert res.value == 5 * 100 + EDQUOT
    assert len(os.listdir(tmp_path)) == 6


def test_opening_an_existing_file_costs_no_entry(guest, tmp_path):
    (tmp_path / "a").write_bytes(b"")
    caps, limits = _caps(tmp_path), _limits(entries=1)  # full: the one entry is "a"
    assert guest.call("write_file", q.A, q.O_CREAT, 1, 10, capabilities=caps, limits=limits).value == 0
    assert guest.call("write_file", q.B, q.O_CREAT, 1, 10, capabilities=caps, limits=limits).value == EDQUOT
    assert sorted(os.listdir(tmp_path)) == ["a"]


def test_a_guest_looping_on_writes_after_edquot_ends_at_its_deadline_or_fuel(guest, tmp_path):
    caps = _caps(tmp_path)
    with pytest.raises(WasmTimeoutError):
        guest.call("flood", capabilities=caps, limits=Limits(timeout_s=0.3, fuel=None, workspace_bytes=256 * KIB))
    assert (tmp_path / "h").stat().st_size == 256 * KIB
    with pytest.raises(WasmFuelExhaustedError):
        guest.call("flood", capabilities=caps, limits=Limits(timeout_s=None, fuel=200_000, workspace_bytes=0))
    assert (tmp_path / "h").stat().st_size == 256 * KIB  # nothing more


def test_nested_writable_preopens_are_counted_once_and_outward_symlinks_never(guest, tmp_path):
    work, outside = tmp_path / "work", tmp_path / "outside"
    (work / "sub").mkdir(parents=True)
    outside.mkdir()
    (work / "sub" / "old").write_bytes(b"x" * 60 * KIB)
    (outside / "huge").write_bytes(b"x" * 200 * KIB)
    os.symlink(outside, work / "escape")  # left by an earlier guest or user: never followed when measuring
    caps = _caps(work, work / "sub")
    quota = call_quota(caps, _limits(100 * KIB, 10))
    assert quota is not None
    assert (quota.bytes, quota.entries) == (40 * KIB, 7)  # sub, sub/old, escape: once each
    res = guest.call("write_file", q.A, q.O_CREAT, 5, 10 * KIB, capabilities=caps, limits=_limits(100 * KIB))
    assert res.value == EDQUOT
    assert (work / "a").stat().st_size == 40 * KIB


def test_without_a_writable_preopen_or_a_bound_there_is_no_quota_path(guest, tmp_path):
    assert not quota_applies(_caps(tmp_path, writable=False), Limits())
    assert not quota_applies(_caps(tmp_path), _limits(None, None))
    assert quota_applies(_caps(tmp_path), Limits())
    # no bound asked for: nothing is counted
    res = guest.call("write_file", q.A, q.O_CREAT, 20, 64 * KIB, capabilities=_caps(tmp_path), limits=_limits())
    assert res.value == 0
    assert (tmp_path / "a").stat().st_size == 20 * 64 * KIB


def test_stdio_on_the_quota_path_is_captured_and_capped(tmp_path):
    cat = WasmModule.from_file(ROOT / "guests" / "wat" / "cat.wat")
    caps = Capabilities.command(preopens=(Preopen(str(tmp_path), "/w", writable=True),))
    assert cat.run(stdin=b"hello quota", capabilities=caps).stdout == b"hello quota"
    with pytest.raises(WasmOutputLimitError) as info:
        cat.run(stdin=b"x" * 10_000, capabilities=caps, limits=Limits(stdout_bytes=100))
    assert info.value.stream == "stdout"


FILL = ROOT / "guests" / "hostile" / "fill_disk" / "fill_disk.wasm"


@pytest.fixture(scope="module")
def fill_disk():
    return WasmModule.from_file(FILL)


def test_a_c_guest_sees_errno_edquot_for_each_kind_of_write(fill_disk, tmp_path):
    caps = Capabilities.command(preopens=(Preopen(str(tmp_path), "/w", writable=True),))
    limits = Limits(timeout_s=5, workspace_bytes=1_000_000, workspace_entries=20)
    got = json.loads(fill_disk.run(capabilities=caps, limits=limits, check=True).stdout)
    assert got == {
        "written": 15 * 64 * KIB,  # a 16th chunk would pass 1,000,000 bytes
        "write": "EDQUOT",
        "files": 19,  # big + 19 files = 20 entries
        "create": "EDQUOT",
        "mkdir": "EDQUOT",
        "symlink": "EDQUOT",
        "link": "EDQUOT",
        "edquot": EDQUOT,
    }
    assert len(os.listdir(tmp_path)) == 20
    assert (tmp_path / "big").stat().st_size == 15 * 64 * KIB


def test_the_c_guest_looping_after_edquot_is_stopped(fill_disk, tmp_path):
    caps = Capabilities.command(preopens=(Preopen(str(tmp_path), "/w", writable=True),))
    with pytest.raises(WasmTimeoutError) as info:
        fill_disk.run(
            argv=["loop"],
            capabilities=caps,
            limits=Limits(timeout_s=0.5, fuel=None, workspace_bytes=KIB, workspace_entries=1),
        )
    assert b'"write": "EDQUOT"' in info.value.stdout
    assert (tmp_path / "big").stat().st_size == 0


def test_a_component_with_a_writable_preopen_is_refused_unless_unbounded(tmp_path):
    calc = WasmComponent.from_file(ROOT / "tests" / "fixtures" / "calc" / "calc.wasm")
    rw = Capabilities(preopens=(Preopen(str(tmp_path), "/w", writable=True),))
    with pytest.raises(WasmCapabilityError, match=r"workspace_bytes=None, workspace_entries=None"):
        calc.call_json("add", {"a": 1, "b": 2}, capabilities=rw)
    unbounded = Limits(workspace_bytes=None, workspace_entries=None)
    assert calc.call_json("add", {"a": 1, "b": 2}, capabilities=rw, limits=unbounded).value == 3
    ro = Capabilities(preopens=(Preopen(str(tmp_path), "/w"),))
    assert calc.call_json("add", {"a": 1, "b": 2}, capabilities=ro).value == 3
