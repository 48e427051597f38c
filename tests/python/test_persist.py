"""SessionStore: Python sessions saved to real LangGraph stores and restored, with integrity and bounds enforced."""

from __future__ import annotations

import base64
import json
import struct

import pytest
from langgraph.store.memory import InMemoryStore

from langchain_wasm.python import SnapshotError
from langchain_wasm.python.persist import SessionStore
from langchain_wasm.python.snapshot import MAGIC


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    if request.param == "memory":
        yield InMemoryStore()
        return
    from langgraph.store.sqlite import SqliteStore

    with SqliteStore.from_conn_string(str(tmp_path / "store.db")) as st:
        st.setup()
        yield st


def _items(store, *prefix):
    return list(store.search(("langchain_wasm", "python_sessions", *prefix), limit=1000))


def _put_raw(sessions: SessionStore, key: str, blob: bytes) -> str:
    """Store ``blob`` for ``key`` exactly as ``save`` would (a correctly hashed foreign or garbage blob)."""
    digest, ops = sessions._encode(key, blob)
    sessions._commit(key, digest, ops)
    return digest


def test_save_and_load_round_trip(store, sandbox):
    sessions = SessionStore(store)
    with sandbox.session() as s:
        s.run("x = 41\nnames = ['a', 'b']")
        s.put_file("notes.txt", "kept")
        digest = sessions.save("thread-1", s)
    assert digest.startswith("sha256:")
    assert len(digest) == len("sha256:") + 64
    record = sessions.record("thread-1")
    assert record is not None
    assert record.digest == digest
    assert record.size > 0
    restored = sessions.load("thread-1", sandbox)
    assert restored is not None
    with restored:
        assert restored.run("x + 1").result == 42
        assert restored.run("names").result == ["a", "b"]
        assert restored.get_file("notes.txt") == b"kept"
    assert sessions.load("never-saved", sandbox) is None
    assert sessions.record("never-saved") is None


async def test_async_round_trip(sandbox):
    sessions = SessionStore(InMemoryStore())
    with sandbox.session() as s:
        s.run("y = 'async'")
        digest = await sessions.asave("t", s)
    assert (await sessions.arecord("t")).digest == digest
    restored = await sessions.aload("t", sandbox)
    with restored:
        assert restored.run("y * 2").result == "asyncasync"
    assert await sessions.aload("other", sandbox) is None


def test_large_snapshot_is_chunked_and_verified(store, sandbox):
    sessions = SessionStore(store)
    with sandbox.session() as s:
        s.run("import random\nrandom.seed(7)\nbig = random.randbytes(9_000_000)\nh = hash(big)")
        digest = sessions.save("big", s)
    hexd = digest.removeprefix("sha256:")
    chunks = [it for it in _items(store, "chunks") if it.namespace[-1] == hexd]
    assert len(chunks) >= 3  # 4 MiB per chunk
    restored = sessions.load("big", sandbox)
    with restored:
        assert restored.run("len(big), hash(big) == h").result == [9_000_000, True]


def test_tampered_blob_is_refused(store, sandbox):
    sessions = SessionStore(store)
    with sandbox.session() as s:
        s.run("secret = 1")
        digest = sessions.save("t", s)
    hexd = digest.removeprefix("sha256:")
    (chunk,) = [it for it in _items(store, "chunks") if it.namespace[-1] == hexd]
    raw = bytearray(base64.b64decode(chunk.value["data"]))
    raw[len(raw) // 2] ^= 0xFF
    store.put(chunk.namespace, chunk.key, {"data": base64.b64encode(bytes(raw)).decode()})
    with pytest.raises(SnapshotError, match="does not match its digest"):
        sessions.load("t", sandbox)
    store.put(chunk.namespace, chunk.key, {"data": "not base64 !!"})
    with pytest.raises(SnapshotError, match="corrupt"):
        sessions.load("t", sandbox)
    store.delete(chunk.namespace, chunk.key)
    with pytest.raises(SnapshotError, match="missing or corrupt"):
        sessions.load("t", sandbox)


def test_foreign_and_garbage_blobs_are_refused(store, sandbox):
    sessions = SessionStore(store)
    with sandbox.session() as s:
        s.run("z = 3")
        blob = s.snapshot()
    (size,) = struct.unpack_from("<I", blob, len(MAGIC))
    start = len(MAGIC) + 4
    header = json.loads(blob[start : start + size])
    header["runtime"] = "0" * 64  # made by another build of the runtime
    raw = json.dumps(header).encode()
    foreign = MAGIC + struct.pack("<I", len(raw)) + raw + blob[start + size :]
    _put_raw(sessions, "foreign", foreign)
    with pytest.raises(SnapshotError, match="another build"):
        sessions.load("foreign", sandbox)
    _put_raw(sessions, "garbage", b"\x00asm not a snapshot at all")
    with pytest.raises(SnapshotError, match="not a langchain-wasm Python session snapshot"):
        sessions.load("garbage", sandbox)


def test_blob_of_another_key_is_refused(store, sandbox):
    sessions = SessionStore(store)
    with sandbox.session() as s:
        s.run("owner = 'alice'")
        sessions.save("alice", s)
    # Point bob's record at alice's digest: bob's namespaces hold no such blob.
    alice = store.get(("langchain_wasm", "python_sessions", "records"), "alice")
    store.put(("langchain_wasm", "python_sessions", "records"), "bob", alice.value)
    with pytest.raises(SnapshotError, match="missing from the store"):
        sessions.load("bob", sandbox)
    # Copy alice's blob into bob's namespaces too: the manifest names its owner.
    hexd = alice.value["digest"].removeprefix("sha256:")
    for it in _items(store, "manifests", sessions._manifests("alice")[-1]):
        store.put(sessions._manifests("bob"), it.key, it.value)
    for it in _items(store, "chunks"):
        if it.namespace[-1] == hexd:
            store.put(sessions._chunks("bob", hexd), it.key, it.value)
    with pytest.raises(SnapshotError, match="saved for another session"):
        sessions.load("bob", sandbox)


def test_oversized_snapshots_are_not_stored_nor_loaded(store, sandbox):
    small = SessionStore(store, max_bytes=1000)
    with sandbox.session() as s:
        s.run("v = 1")
        with pytest.raises(SnapshotError, match="above the store's limit of 1000"):
            small.save("t", s)
        assert small.record("t") is None
        assert _items(store) == []
        SessionStore(store).save("t", s)
    # A record claiming a huge blob is refused before any chunk is fetched.
    with pytest.raises(SnapshotError, match="above the limit of 1000"):
        small.load("t", sandbox)
    manifest = _items(store, "manifests")[0]
    store.put(manifest.namespace, manifest.key, {**manifest.value, "chunks": 10_000})
    with pytest.raises(SnapshotError, match="too many chunks"):
        SessionStore(store).load("t", sandbox)


def test_old_blobs_are_collected(store, sandbox):
    sessions = SessionStore(store, keep=2)
    digests = []
    with sandbox.session() as s:
        for n in range(5):
            s.run(f"n = {n}")
            digests.append(sessions.save("t", s))
        assert len(set(digests)) == 5
        again = sessions.save("t", s)  # nothing changed: the same content, the same blob, nothing new stored
    assert again == digests[-1]
    manifests = {it.key for it in _items(store, "manifests")}
    assert manifests == {d.removeprefix("sha256:") for d in digests[-2:]}
    chunk_owners = {it.namespace[-1] for it in _items(store, "chunks")}
    assert chunk_owners == manifests
    restored = sessions.load("t", sandbox)
    with restored:
        assert restored.run("n").result == 4


def test_delete_and_mark_ended(store, sandbox):
    sessions = SessionStore(store)
    with sandbox.session() as s:
        s.run("w = 1")
        sessions.save("a", s)
        sessions.save("b", s)
    sessions.delete("a")
    assert sessions.record("a") is None
    assert sessions.load("a", sandbox) is None
    sessions.mark_ended("b", "the run hit the time limit")
    record = sessions.record("b")
    assert record is not None
    assert record.ended == "the run hit the time limit"
    assert record.digest is None
    assert sessions.load("b", sandbox) is None
    assert _items(store, "manifests") == []
    assert _items(store, "chunks") == []


def test_bad_arguments(sandbox):
    with pytest.raises(ValueError, match="keep"):
        SessionStore(InMemoryStore(), keep=0)
    with pytest.raises(ValueError, match="namespace"):
        SessionStore(InMemoryStore(), namespace=("a.b",))
    with pytest.raises(ValueError, match="session key"):
        SessionStore(InMemoryStore()).record("")


def test_a_chunk_larger_than_its_manifest_claims_is_refused_before_decoding(store, sandbox):
    small = SessionStore(store, max_bytes=1000)
    digest, ops = small._encode("t", b"x" * 10)
    small._commit("t", digest, ops)
    hexd = digest.removeprefix("sha256:")
    store.put(small._chunks("t", hexd), "0", {"data": "A" * 8000})  # 6,000 bytes of base64 behind a 10-byte blob
    with pytest.raises(SnapshotError, match="above the limit of 1000 bytes"):
        small.load("t", sandbox)
