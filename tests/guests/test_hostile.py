"""The hostile corpus (guests/hostile/): each guest misbehaves and is contained with a typed error."""

from __future__ import annotations

import os

import pytest

from langchain_wasm import Capabilities, Limits, Preopen
from langchain_wasm.abi.buffer import BufferSpec
from langchain_wasm.errors import (
    ManifestError,
    WasmAbiError,
    WasmCapabilityError,
    WasmFuelExhaustedError,
    WasmGuestError,
    WasmMemoryLimitError,
    WasmOutputLimitError,
    WasmTimeoutError,
    WasmTrapError,
)
from langchain_wasm.guest.guest import Guest
from langchain_wasm.runtime import HostFunction, WasmModule
from tests.guests.conftest import GUESTS

HOSTILE = GUESTS / "hostile"


@pytest.fixture(scope="module")
def hostile():
    cache: dict[str, Guest] = {}

    def load(name: str) -> Guest:
        if name not in cache:
            cache[name] = Guest.load(HOSTILE / name)
        return cache[name]

    return load


def test_loop_is_stopped_by_fuel_then_by_the_deadline(hostile):
    loop = hostile("loop")
    with pytest.raises(WasmFuelExhaustedError):
        loop.call({})
    with pytest.raises(WasmTimeoutError):
        loop.call({}, limits=Limits(fuel=None, timeout_s=0.2))


def test_sleep_is_cut_at_the_deadline(hostile):
    with pytest.raises(WasmTimeoutError) as info:
        hostile("sleep").call({})
    assert info.value.metrics.wall_s < 30  # it asked for 1000 s


def test_sleep_without_clocks_is_refused(hostile):
    with pytest.raises(WasmCapabilityError, match="poll_oneoff"):
        hostile("sleep").call({}, capabilities=Capabilities.command())


def test_memory_bomb_hits_the_cap(hostile):
    with pytest.raises(WasmMemoryLimitError) as info:
        hostile("memory_bomb").call({})
    assert info.value.metrics.memory_peak_bytes <= 16 * 1024 * 1024


def test_stack_overflow_is_a_trap(hostile):
    with pytest.raises(WasmTrapError) as info:
        hostile("stack_overflow").call({})
    assert info.value.trap_code == "stack_overflow"


def test_output_flood_is_capped(hostile):
    with pytest.raises(WasmOutputLimitError) as info:
        hostile("output_flood").call({})
    assert info.value.stream == "stdout"
    assert len(info.value.stdout) == 65536


def test_liar_output_is_never_passed_on(hostile):
    with pytest.raises(WasmAbiError, match="breaks its declared output schema") as info:
        hostile("liar").call({})
    assert b"forty-two" in info.value.stdout  # kept for debugging, never returned as a result


def test_ungranted_import_is_refused_at_load(hostile):
    with pytest.raises(ManifestError, match="env::launch_missiles"):
        Guest.load(HOSTILE / "ungranted_import")
    mod = WasmModule.from_file(HOSTILE / "ungranted_import" / "ungranted_import.wasm")
    missiles = HostFunction("env", "launch_missiles", ("i32",), ("i32",), lambda n: 0)
    with pytest.raises(WasmCapabilityError, match=r"sock_send.*never granted"):
        mod.call("run", capabilities=Capabilities(wasi=True, host_functions=(missiles,)))


@pytest.mark.parametrize("export", ["echo", "huge", "wrap"])
def test_wild_pointers_are_abi_errors(hostile, export):
    guest = hostile("wild_pointer")
    spec = BufferSpec(export, _params(guest), "bytes")
    with pytest.raises(WasmAbiError, match="outside its"):
        spec.call(guest.module, [b"hello"], limits=guest.limits)


def _params(guest: Guest):
    from langchain_wasm.abi.buffer import BufferParam

    return tuple(BufferParam(p["name"], p["type"]) for p in guest.manifest["params"])


def test_exit_code_is_a_guest_error_with_the_message(hostile):
    with pytest.raises(WasmGuestError, match="exit status 3") as info:
        hostile("exit_code").call({})
    assert info.value.code == 3
    assert info.value.stderr


def test_steal_files_gets_nothing(hostile):
    assert hostile("steal_files").call({}).value["managed"] == []


def test_steal_files_with_a_preopen_and_a_planted_symlink(hostile, tmp_path):
    (tmp_path / "note.txt").write_text("inside")
    os.symlink("/etc", tmp_path / "escape")
    caps = Capabilities.command(preopens=(Preopen(str(tmp_path), "/sandbox"),))
    managed = hostile("steal_files").call({}, capabilities=caps).value["managed"]
    assert all("/sandbox" in m or "fd 3: ." in m for m in managed), managed
    assert not any("passwd" in m or "shadow" in m or "escape" in m or "environ" in m for m in managed), managed
