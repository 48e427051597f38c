"""Async tools (many concurrent ainvoke, cancellation bounded by the deadline) and the toolkit."""

from __future__ import annotations

import asyncio
import json
import shutil
import time

import pytest

from langchain_wasm import Limits, WasmTool, WasmToolkit
from langchain_wasm.errors import ManifestError
from tests.guests.conftest import GUESTS
from tests.guests.test_weather import TABLE, reference


async def test_many_concurrent_ainvokes_are_all_correct():
    tool = WasmTool.from_manifest(GUESTS / "weather")
    cities = sorted(TABLE) * 3
    results = await asyncio.gather(*(tool.ainvoke({"city": c}) for c in cities))
    assert [json.loads(r) for r in results] == [reference(c) for c in cities]


async def test_the_event_loop_stays_free_while_a_guest_runs():
    slow = WasmTool.from_manifest(GUESTS / "hostile" / "loop", limits=Limits(fuel=None, timeout_s=1.0))
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    t = asyncio.create_task(ticker())
    content = await slow.ainvoke({})
    t.cancel()
    assert "ran out of time" in content
    assert ticks >= 2  # the loop kept running while the guest spun on a worker thread (1 s: ~100 turns)


async def test_cancelling_the_awaiting_task_does_not_leak_a_running_guest():
    import threading

    slow = WasmTool.from_manifest(GUESTS / "hostile" / "loop", limits=Limits(fuel=None, timeout_s=0.5))
    before = threading.active_count()
    task = asyncio.create_task(slow.ainvoke({}))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The worker thread still runs the guest, but the deadline stops it.
    give_up = time.monotonic() + 60  # a bail-out, not a measurement
    while threading.active_count() > before + 1 and time.monotonic() < give_up:  # +1: the epoch ticker
        await asyncio.sleep(0.05)
    assert threading.active_count() <= before + 1


def test_toolkit_loads_the_repo_guests_without_the_hostile_ones():
    tools = WasmToolkit.from_directory().get_tools()
    names = {t.name for t in tools}
    assert {"weather", "text_stats", "matmul", "sha256"} <= names
    assert not names & {"loop", "liar", "memory_bomb", "wild_pointer"}


def test_toolkit_duplicate_names_and_broken_manifests(tmp_path):
    shutil.copytree(GUESTS / "sha256", tmp_path / "a")
    shutil.copytree(GUESTS / "sha256", tmp_path / "b")
    with pytest.raises(ManifestError, match="two guests are named 'sha256'"):
        WasmToolkit.from_directory(tmp_path)
    shutil.rmtree(tmp_path / "b")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "manifest.toml").write_text('name = "c"\n')
    with pytest.raises(ManifestError, match=r"c/manifest.toml.*'description' is a required property"):
        WasmToolkit.from_directory(tmp_path)
    with pytest.raises(ManifestError, match="does not exist"):
        WasmToolkit.from_directory(tmp_path / "nope")


def test_toolkit_from_entry_points(tmp_path, monkeypatch):
    from importlib.metadata import EntryPoint

    shutil.copytree(GUESTS / "sha256", tmp_path / "pack" / "sha256")
    ep = EntryPoint(name="pack", value="tests.tools.test_async_and_toolkit:_PACK", group="langchain_wasm.guests")
    monkeypatch.setattr(
        "langchain_wasm.tools.toolkit.entry_points", lambda group: [ep] if group == "langchain_wasm.guests" else []
    )
    global _PACK
    _PACK = str(tmp_path / "pack")
    assert [t.name for t in WasmToolkit.from_entry_points().get_tools()] == ["sha256"]
    assert WasmToolkit.from_entry_points(group="nothing.here").get_tools() == []


_PACK = ""
