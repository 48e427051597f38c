"""``compile_file``: a large module file compiled once, loaded by stamp, rebuilt when tampered with."""

from __future__ import annotations

import json
import os

import pytest
import wasmtime

from langchain_wasm import WasmEngine
from langchain_wasm.runtime import file_cache
from langchain_wasm.runtime.file_cache import compile_file, file_sha256, is_cached

WAT = '(module (func (export "f") (result i32) i32.const 7))'


@pytest.fixture
def wasm_file(tmp_path):
    path = tmp_path / "m.wasm"
    path.write_bytes(wasmtime.wat2wasm(WAT))
    return path


def _events():
    seen: list[str] = []
    return seen, lambda event, info: seen.append(event)


def test_compiles_once_then_loads_from_disk_in_a_new_engine(tmp_path, wasm_file):
    cache = tmp_path / "cache"
    seen, on_event = _events()
    first = WasmEngine(cache_dir=cache)
    assert not is_cached(first, wasm_file)
    compile_file(first, wasm_file, on_event=on_event)
    assert seen == ["compile-start", "compile-done"]
    assert compile_file(first, wasm_file, on_event=on_event) is compile_file(first, wasm_file)  # in memory
    second = WasmEngine(cache_dir=cache)  # a "new process": same config, empty memory
    assert is_cached(second, wasm_file)
    compile_file(second, wasm_file, on_event=on_event)
    assert seen == ["compile-start", "compile-done"]  # no second compile
    sidecars = list(cache.glob("*.json"))
    meta = json.loads(next(p for p in sidecars if p.name != "file-digests.json").read_text())
    assert meta["stamp"]
    assert meta["sha256"]


def test_a_tampered_artifact_is_rejected_and_rebuilt(tmp_path, wasm_file):
    cache = tmp_path / "cache"
    compile_file(WasmEngine(cache_dir=cache), wasm_file)
    artifact = next(cache.glob("*.cwasm"))
    data = bytearray(artifact.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, new content: the stamp changes, the hash check catches it
    artifact.write_bytes(bytes(data))
    seen, on_event = _events()
    with pytest.warns(RuntimeWarning, match="rejected compile cache entry"):
        compile_file(WasmEngine(cache_dir=cache), wasm_file, on_event=on_event)
    assert seen == ["compile-start", "compile-done"]


def test_a_touched_but_intact_artifact_is_rehashed_and_kept(tmp_path, wasm_file):
    cache = tmp_path / "cache"
    compile_file(WasmEngine(cache_dir=cache), wasm_file)
    artifact = next(cache.glob("*.cwasm"))
    os.utime(artifact, ns=(1, 1))  # new stamp, same bytes
    seen, on_event = _events()
    compile_file(WasmEngine(cache_dir=cache), wasm_file, on_event=on_event)
    assert seen == []


def test_the_module_digest_is_memoized_by_stamp_and_redone_when_the_file_changes(tmp_path, wasm_file):
    cache = tmp_path / "cache"
    cache.mkdir()
    first = file_sha256(wasm_file, cache)
    calls = []
    real = file_cache._hash
    file_cache._hash = lambda p: calls.append(p) or real(p)  # type: ignore[assignment]
    try:
        assert file_sha256(wasm_file, cache) == first
        assert calls == []
        wasm_file.write_bytes(wasmtime.wat2wasm(WAT.replace("7", "8")))
        assert file_sha256(wasm_file, cache) != first
        assert len(calls) == 1
    finally:
        file_cache._hash = real  # type: ignore[assignment]


def test_without_a_cache_dir_it_still_compiles(wasm_file):
    engine = WasmEngine(cache_dir=None)
    assert not is_cached(engine, wasm_file)
    assert compile_file(engine, wasm_file) is not None
