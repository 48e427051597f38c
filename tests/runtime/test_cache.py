"""The compile cache: survives a new process, rejects corrupted or mismatched entries, degrades safely."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from langchain_wasm import WasmEngine, WasmModule
from tests.runtime import wat

_CHILD = textwrap.dedent(
    """
    import json, sys
    from langchain_wasm import WasmEngine, WasmModule
    engine = WasmEngine(cache_dir=sys.argv[1])
    mod = WasmModule.from_wat(sys.argv[2], engine=engine)
    value = mod.call("add", 20, 22).value
    print(json.dumps({"value": value, "hits": engine.cache.hits, "misses": engine.cache.misses}))
    """
)


def _child(cache_dir, source=wat.ADD):
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(cache_dir), source], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_cache_survives_a_new_process(tmp_path):
    first = _child(tmp_path / "c")
    second = _child(tmp_path / "c")
    assert first == {"value": 42, "hits": 0, "misses": 1}
    assert second == {"value": 42, "hits": 1, "misses": 0}


def test_cache_files_are_owner_only(tmp_path):
    engine = WasmEngine(cache_dir=tmp_path / "c")
    WasmModule.from_wat(wat.ADD, engine=engine)
    assert stat.S_IMODE((tmp_path / "c").stat().st_mode) == 0o700
    files = list((tmp_path / "c").iterdir())
    assert {f.suffix for f in files} == {".cwasm", ".json"}
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


@pytest.mark.parametrize("damage", ["flip", "truncate", "sidecar", "fingerprint"])
def test_corrupted_cache_entry_is_rejected_and_rebuilt(tmp_path, damage):
    cache = tmp_path / "c"
    _child(cache)
    (artifact,) = cache.glob("*.cwasm")
    sidecar = artifact.with_suffix(".json")
    if damage == "flip":
        data = bytearray(artifact.read_bytes())
        data[len(data) // 2] ^= 0xFF
        artifact.write_bytes(bytes(data))
    elif damage == "truncate":
        artifact.write_bytes(artifact.read_bytes()[:100])
    elif damage == "sidecar":
        sidecar.write_text("{not json")
    else:
        meta = json.loads(sidecar.read_text())
        meta["fingerprint"] = "another engine"
        sidecar.write_text(json.dumps(meta))
    engine = WasmEngine(cache_dir=cache)
    with pytest.warns(RuntimeWarning, match="rejected compile cache entry"):
        mod = WasmModule.from_wat(wat.ADD, engine=engine)
    assert mod.call("add", 1, 2).value == 3
    assert (engine.cache.rejected, engine.cache.misses) == (1, 1)
    # rebuilt: the next process loads it cleanly
    assert _child(cache)["hits"] == 1


def test_unsafe_cache_directory_falls_back_to_memory(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    with pytest.warns(RuntimeWarning, match="writable by group or others"):
        engine = WasmEngine(cache_dir=shared)
    assert engine.cache_dir is None
    assert WasmModule.from_wat(wat.ADD, engine=engine).call("add", 2, 2).value == 4
    assert list(shared.iterdir()) == []


def test_unwritable_cache_directory_falls_back_to_memory(tmp_path):
    target = tmp_path / "file-not-dir"
    target.write_text("x")
    with pytest.warns(RuntimeWarning, match="compile cache disabled"):
        engine = WasmEngine(cache_dir=target / "sub")
    assert WasmModule.from_wat(wat.ADD, engine=engine).call("add", 2, 3).value == 5


def test_in_memory_engine_compiles_each_module_once(tmp_path):
    engine = WasmEngine(cache_dir=None)
    for _ in range(3):
        WasmModule.from_wat(wat.ADD, engine=engine)
    assert (engine.cache.misses, engine.cache_dir) == (1, None)
