"""Shared test setup: a private compile cache so tests never touch the user's cache."""

from __future__ import annotations

import os
import tempfile

import pytest

# Must happen before langchain_wasm creates its default engine.
os.environ.setdefault("LANGCHAIN_WASM_CACHE_DIR", tempfile.mkdtemp(prefix="lcw-test-cache-"))


@pytest.fixture
def engine(tmp_path):
    """A fresh engine with its own cache directory."""
    from langchain_wasm import WasmEngine

    return WasmEngine(cache_dir=tmp_path / "cache")
