"""SessionStore on a real PostgreSQL store (sync PostgresStore and AsyncPostgresStore): round trips across
store connections, tampering refused, old blobs collected."""

from __future__ import annotations

import base64

import pytest

from langchain_wasm.python import SnapshotError, WasmPythonSandbox
from langchain_wasm.python.persist import SessionStore

pytest.importorskip("langgraph.store.postgres", reason="needs the extra: pip install 'langchain-wasm[postgres]'")
from langgraph.store.postgres import AsyncPostgresStore, PostgresStore


@pytest.fixture(scope="module")
def sandbox(runtime):
    sb = WasmPythonSandbox(quiet=True)
    yield sb
    sb.close()


def test_round_trip_tamper_and_collection(postgres, sandbox):
    with PostgresStore.from_conn_string(postgres.dsn) as store:
        store.setup()
        sessions = SessionStore(store, keep=2)
        with sandbox.session() as s:
            s.run("import random\nrandom.seed(3)\nblob = random.randbytes(6_000_000)\nn = 0")
            for n in range(1, 4):
                s.run(f"n = {n}")
                digest = sessions.save("pg-thread", s)
    with PostgresStore.from_conn_string(postgres.dsn) as store:  # another connection, as another worker would
        sessions = SessionStore(store, keep=2)
        assert sessions.record("pg-thread").digest == digest
        with sessions.load("pg-thread", sandbox) as restored:
            assert restored.run("n, len(blob)").result == [3, 6_000_000]
        manifests = list(store.search(("langchain_wasm", "python_sessions", "manifests"), limit=100))
        assert len(manifests) == 2
        hexd = digest.removeprefix("sha256:")
        chunk = next(
            it
            for it in store.search(("langchain_wasm", "python_sessions", "chunks"), limit=100)
            if it.namespace[-1] == hexd
        )
        raw = bytearray(base64.b64decode(chunk.value["data"]))
        raw[7] ^= 0x10
        store.put(chunk.namespace, chunk.key, {"data": base64.b64encode(bytes(raw)).decode()})
        with pytest.raises(SnapshotError, match="does not match its digest"):
            sessions.load("pg-thread", sandbox)
        sessions.delete("pg-thread")
        assert list(store.search(("langchain_wasm", "python_sessions"), limit=100)) == []


async def test_async_store(postgres, sandbox):
    async with AsyncPostgresStore.from_conn_string(postgres.dsn) as store:
        await store.setup()
        sessions = SessionStore(store)
        with sandbox.session() as s:
            s.run("word = 'async pg'")
            await sessions.asave("pg-async", s)
        restored = await sessions.aload("pg-async", sandbox)
        with restored:
            assert restored.run("word").result == "async pg"
        await store.adelete(("langchain_wasm", "python_sessions", "records"), "pg-async")
        assert await sessions.aload("pg-async", sandbox) is None
