"""The driver template on disk: new processes start interpreters from it, and a bad file is never used."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import textwrap

import pytest

from langchain_wasm import WasmPythonSandbox
from langchain_wasm.python.template import _RESET
from langchain_wasm.python.template_file import MAGIC, load_pages, store_pages, template_key, template_path

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def stored(runtime):
    """The driver template's key, path and pages (built and stored by the first sandbox that needs it)."""
    WasmPythonSandbox(quiet=True).template()
    key = template_key(runtime, (), _RESET)
    path = template_path(runtime, key)
    pages = load_pages(path, key, 1024 * MIB)
    assert pages is not None, "the driver template was not stored"
    return key, path, pages


def test_the_template_is_the_driver_installed_and_small(stored):
    _, path, (size, runs, sent) = stored
    assert sent is not None  # the options the driver in the pages holds
    assert sent["stdout_bytes"] > 0
    assert os.stat(path).st_mode & 0o077 == 0  # private, like the rest of the runtime's folder
    assert size % 4096 == 0
    assert runs
    assert sum(len(chunk) for _, chunk in runs) < 16 * MIB


def test_a_new_process_runs_without_installing_the_driver(stored):
    """The next process starts its interpreters from the stored pages: the driver install is never called."""
    code = textwrap.dedent(
        """
        from langchain_wasm.python import interpreter
        def refuse(self, limits):
            raise AssertionError("the driver was installed although a template was stored")
        interpreter.Interpreter._install = refuse
        from langchain_wasm import WasmPythonSandbox
        sb = WasmPythonSandbox(quiet=True, prewarm=False)
        r = sb.run("import sys\\nprint(1 + 1)\\n'_lcw' in sys.modules")
        assert r.stdout == "2\\n" and r.result is True, r
        s = sb.session()
        s.run("x = 41")
        assert s.run("x + 1").result == 42
        s.close()
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")


def _rewrite(blob: bytes, header: dict[str, object]) -> bytes:
    """``blob`` with another header and a valid checksum (what someone who can write the file could make)."""
    (hlen,) = struct.unpack_from("<I", blob, len(MAGIC))
    payload = blob[len(MAGIC) + 4 + hlen : -32]
    text = json.dumps(header).encode()
    body = MAGIC + struct.pack("<I", len(text)) + text + payload
    return body + hashlib.sha256(body).digest()


def test_damaged_or_foreign_templates_are_refused(stored, tmp_path):
    key, path, (size, runs, sent) = stored
    blob = path.read_bytes()
    (hlen,) = struct.unpack_from("<I", blob, len(MAGIC))
    header = json.loads(blob[len(MAGIC) + 4 : len(MAGIC) + 4 + hlen])
    bad = tmp_path / "t.bin"

    def refused(data: bytes, cap: int = 1024 * MIB, k: str = key) -> bool:
        bad.write_bytes(data)
        return load_pages(bad, k, cap) is None

    assert not refused(blob)
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 1
    assert refused(bytes(flipped))  # a damaged page: its checksum fails
    for cut in (blob[:-1], blob[: len(blob) // 2], b"", b"junk" * 100):
        assert refused(cut)
    assert refused(blob, k="0" * 64)  # another runtime, engine or driver
    assert refused(blob, cap=size - 4096)  # needs more memory than the sandbox allows
    assert refused(_rewrite(blob, {**header, "format": 99}))
    assert refused(_rewrite(blob, {**header, "memory": 4 * 1024**3}))
    first = header["runs"][0]
    assert refused(_rewrite(blob, {**header, "runs": [[size, first[1]], *header["runs"][1:]]}))  # past memory
    assert refused(_rewrite(blob, {**header, "runs": [[-4096, first[1]], *header["runs"][1:]]}))
    assert refused(_rewrite(blob, {**header, "runs": [[first[0] + 1, first[1]], *header["runs"][1:]]}))
    assert refused(_rewrite(blob, {**header, "runs": header["runs"][1:]}))  # lengths no longer add up
    assert refused(_rewrite(blob, {**header, "runs": [[0, len(blob) * 2]]}))
    # a stored copy round-trips; a store into a folder we cannot write is a no-op, not an error
    assert refused(_rewrite(blob, {**header, "sent": ["not", "a", "mapping"]}))
    assert refused(_rewrite(blob, {**header, "sent": {"stdout_bytes": "many"}}))
    store_pages(tmp_path / "copy.bin", key, size, runs, sent)
    assert load_pages(tmp_path / "copy.bin", key, 1024 * MIB) == (size, runs, sent)
    store_pages(tmp_path / "missing" / "t.bin", key, size, runs)
    assert not (tmp_path / "missing").exists()


def test_a_damaged_stored_template_is_rebuilt(runtime, stored):
    """A new process finding a damaged file ignores it, installs the driver, and stores a good one again."""
    key, path, _ = stored
    good = path.read_bytes()
    path.write_bytes(good[:-7] + b"garbage")
    try:
        code = (
            "from langchain_wasm import WasmPythonSandbox\n"
            "print(WasmPythonSandbox(quiet=True).run('print(6*7)').stdout)"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        assert out.stdout.strip() == "42"
        assert load_pages(path, key, 1024 * MIB) is not None  # stored again (stack leftovers differ run to run)
    finally:
        if load_pages(path, key, 1024 * MIB) is None:
            path.write_bytes(good)


def test_interpreters_from_the_template_share_no_state_or_randomness(runtime):
    """Every interpreter is a new instance with the same pages written in: what one run leaves is gone in the
    next, and each run seeds its own random numbers (``random`` is not in the template)."""
    sb = WasmPythonSandbox(quiet=True)
    code = (
        "import sys, os\nfresh = 'random' not in sys.modules and not hasattr(sys.modules['_lcw'], 'leak')\n"
        "sys.modules['_lcw'].leak = 1\nimport random\n[fresh, random.getrandbits(64), os.urandom(8).hex()]"
    )
    try:
        results = [sb.run(code).result for _ in range(3)]
        with sb.session() as s:
            results.append(s.run(code).result)
    finally:
        sb.close()
    assert all(r[0] is True for r in results), results
    assert len({r[1] for r in results}) == len(results)
    assert len({r[2] for r in results}) == len(results)


def test_a_template_cannot_write_outside_memory_or_past_the_cap(runtime, tmp_path):
    """``write_runs`` checks every run against the memory before copying any, and growth against the cap."""
    from langchain_wasm.errors import WasmMemoryLimitError
    from langchain_wasm.python.interpreter import Interpreter
    from langchain_wasm.python.template import Template
    from langchain_wasm.python.workspace import Workspace
    from langchain_wasm.runtime.limits import Limits

    workspace = Workspace(tmp_path)
    interp = Interpreter(runtime, workspace, Limits(timeout_s=30, fuel=None, memory_bytes=64 * MIB), install=False)
    try:
        size = interp.kept.memory_size()
        before = interp.read_memory()[:4096]
        for bad in (((0, b"\xff" * 4096), (size, b"x")), ((-1, b"x"),), ((size - 1, b"xy"),)):
            with pytest.raises(WasmMemoryLimitError):
                Template((), size, bad).apply(interp)
        assert interp.read_memory()[:4096] == before  # nothing was copied
        with pytest.raises(WasmMemoryLimitError):
            Template((), 128 * MIB, ()).apply(interp)
    finally:
        interp.close()
        workspace.remove()
