"""Shared test setup.

The tests use the same compile cache as everything else (``$LANGCHAIN_WASM_CACHE_DIR``, else
``~/.cache/langchain-wasm``; ``langchain-wasm cache`` shows it), so the Python runtime is compiled once per
machine, not once for the tests and again for the user. Entries are content-keyed and verified before use, so
sharing is safe; tests of the cache itself use their own directories (the ``engine`` fixture).
"""

from __future__ import annotations

import pytest


@pytest.fixture
def engine(tmp_path):
    """A fresh engine with its own cache directory."""
    from langchain_wasm import WasmEngine

    return WasmEngine(cache_dir=tmp_path / "cache")
