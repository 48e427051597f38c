"""Snapshots: a session's state saved as bytes and restored into a fresh instance, here or in a new process."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import textwrap
import zlib

import pytest

from langchain_wasm.python import SnapshotError
from langchain_wasm.python.snapshot import MAGIC


def _resign(body: bytes) -> bytes:
    """A crafted blob with a valid checksum: the checksum is integrity, so the other checks must still hold."""
    return body + hashlib.sha256(body).digest()


def _with_header(blob: bytes, *, resign: bool = True, **changes: object) -> bytes:
    (size,) = struct.unpack_from("<I", blob, len(MAGIC))
    start = len(MAGIC) + 4
    header = json.loads(blob[start : start + size])
    header.update(changes)
    raw = json.dumps(header).encode()
    body = MAGIC + struct.pack("<I", len(raw)) + raw + blob[start + size : -32]
    return _resign(body) if resign else body + blob[-32:]


@pytest.fixture(scope="module")
def blob(sandbox):
    with sandbox.session() as s:
        s.run(
            "import numpy as np, pandas as pd\n"
            "df = pd.DataFrame({'a': np.arange(100)})\n"
            "counter = 41\n"
            "def bump():\n"
            "    global counter\n"
            "    counter += 1\n"
            "    return counter"
        )
        s.put_file("kept.txt", b"workspace file")
        return s.snapshot()


def test_restore_brings_back_variables_imports_functions_and_files(sandbox, blob):
    with sandbox.restore(blob) as s:
        assert s.run("bump()").result == 42
        assert s.run("int(df.a.sum()), np.__name__, open('kept.txt').read()").result == [
            4950,
            "numpy",
            "workspace file",
        ]
        assert s.list_files() == {"kept.txt": 14}
    with sandbox.restore(blob) as again:  # the blob is reusable: each restore is independent
        assert again.run("bump()").result == 42


def test_snapshot_is_compressed_and_small(blob):
    # pandas and numpy imported: ~63 MiB of linear memory, of which only the pages that changed are kept
    assert blob.startswith(MAGIC)
    assert len(blob) < 24 * 1024 * 1024


def test_restore_survives_a_process_restart(blob, tmp_path):
    path = tmp_path / "session.snap"
    path.write_bytes(blob)
    script = textwrap.dedent(
        f"""
        from langchain_wasm import WasmPythonSandbox
        sb = WasmPythonSandbox(quiet=True)
        with sb.restore(open({str(path)!r}, "rb").read()) as s:
            print(s.run("bump(), len(df)").result)
        """
    )
    env = dict(os.environ)  # the same compile cache (the session's), so the new process does not recompile
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=240)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[42, 100]"


def test_bad_snapshots_are_refused(sandbox, blob):
    with pytest.raises(SnapshotError, match="not a langchain-wasm"):
        sandbox.restore(b"nonsense")
    header_end = blob.index(b"}", len(MAGIC)) + 1
    with pytest.raises(SnapshotError, match="another build"):
        sandbox.restore(_resign(blob[:-32].replace(sandbox.runtime.digest.encode(), b"0" * 64, 1)))
    with pytest.raises(SnapshotError, match=r"corrupt|does not match"):
        sandbox.restore(_resign(blob[:header_end] + zlib.compress(b"short")))
    with pytest.raises(SnapshotError, match="format 1"):
        sandbox.restore(_with_header(blob, format=1))
    with pytest.raises(SnapshotError, match="above the limit"):
        sandbox.restore(_with_header(blob, memory=2**31))
    with pytest.raises(SnapshotError, match="page map"):
        sandbox.restore(_with_header(blob, runs=[[2**20, 4]]))
    truncated = blob[: len(blob) // 2]
    with pytest.raises(SnapshotError):
        sandbox.restore(truncated)


def test_altered_or_damaged_snapshots_never_restore(sandbox, blob):
    # Moving a run of pages keeps sizes and zlib happy; only the checksum can tell the state would be wrong.
    (size,) = struct.unpack_from("<I", blob, len(MAGIC))
    header = json.loads(blob[len(MAGIC) + 4 : len(MAGIC) + 4 + size])
    (page, count), *_ = header["runs"]
    moved = _with_header(blob, resign=False, runs=[[page + 1, count], *header["runs"][1:]])
    with pytest.raises(SnapshotError, match="SHA-256 does not match"):
        sandbox.restore(moved)
    for offset in (len(blob) // 3, len(blob) - 40, len(blob) - 1):
        damaged = bytearray(blob)
        damaged[offset] ^= 0x10
        with pytest.raises(SnapshotError):
            sandbox.restore(bytes(damaged))
    with pytest.raises(SnapshotError):
        sandbox.restore(blob + b"trailing")


def test_a_snapshot_of_a_session_that_ended_is_refused(sandbox):
    s = sandbox.session()
    s.close()
    with pytest.raises(Exception, match="has ended"):
        s.snapshot()
