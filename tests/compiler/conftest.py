"""The compiler tests need the toolchain (``langchain-wasm toolchain install clang``, a CI step)."""

from __future__ import annotations

import pytest

from langchain_wasm.compiler import WasmCompiler, WasmToolchainMissingError, find_toolchain
from langchain_wasm.compiler.result_cache import ResultCache


def _installed() -> str | None:
    try:
        find_toolchain()
    except WasmToolchainMissingError as exc:
        return str(exc)
    return None


MISSING = _installed()
needs_clang = pytest.mark.skipif(MISSING is not None, reason=f"{MISSING}")


@pytest.fixture
def compiler() -> WasmCompiler:
    """A compiler with a memory-only result cache, so every test really runs clang."""
    if MISSING is not None:
        pytest.skip(MISSING)
    return WasmCompiler(cache=ResultCache(None), quiet=True)
