"""The compiler module, compiled to native code once per machine and mapped from the compile cache after that.

Tiers (``$LANGCHAIN_WASM_COMPILER_TIER``): ``auto`` (the default) uses the optimised Cranelift build if it is in
the cache; if not, it compiles a Winch build first (a baseline compiler: about 5x faster to produce, slower
code), serves compiles with it at once, and compiles the Cranelift build in a background thread that replaces
it when ready (both land in the compile cache). ``cranelift`` always waits for the Cranelift build (what
``langchain-wasm toolchain warmup clang`` and CI use); ``winch`` uses only the Winch build.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

import wasmtime

from langchain_wasm.errors import WasmLoadError
from langchain_wasm.runtime.compile_progress import CompileProgress
from langchain_wasm.runtime.engine import WasmEngine
from langchain_wasm.runtime.file_cache import compile_file, is_cached
from langchain_wasm.runtime.limits import MIB
from langchain_wasm.runtime.module import WasmModule

from .toolchain import Toolchain, find_toolchain

__all__ = ["COMPILER_WASM_STACK", "LoadedCompiler", "compiler_engine", "load_compiler", "wait_for_optimised"]

#: deep template instantiation recurses deeply in clang: 8 MiB of wasm stack (measured need).
COMPILER_WASM_STACK = 8 * MIB
_TIERS = ("auto", "cranelift", "winch")


@dataclass(frozen=True)
class LoadedCompiler:
    """The compiler ready to run: its module (on the engine of its tier), the toolchain, how long loading took."""

    module: WasmModule
    toolchain: Toolchain
    load_seconds: float
    tier: str


_engines: dict[str, WasmEngine] = {}
_loaded: LoadedCompiler | None = None
_background: threading.Thread | None = None
_lock = threading.Lock()


def compiler_engine(strategy: str = "cranelift") -> WasmEngine:
    """The process-wide engine for the compiler of one tier (default cache, 8 MiB of wasm stack)."""
    engine = _engines.get(strategy)
    if engine is None:
        engine = _engines.setdefault(strategy, WasmEngine(max_wasm_stack=COMPILER_WASM_STACK, strategy=strategy))
    return engine


def _tier() -> str:
    tier = os.environ.get("LANGCHAIN_WASM_COMPILER_TIER", "auto")
    if tier not in _TIERS:
        raise ValueError(f"LANGCHAIN_WASM_COMPILER_TIER must be one of {_TIERS}, got {tier!r}")
    return tier


def _build(toolchain: Toolchain, strategy: str, quiet: bool, what: str) -> LoadedCompiler:
    engine = compiler_engine(strategy)
    t0 = time.perf_counter()
    try:
        native = compile_file(engine, toolchain.wasm, on_event=CompileProgress(what, quiet=quiet))
    except wasmtime.WasmtimeError as exc:
        raise WasmLoadError(f"cannot compile {toolchain.wasm}: {exc}") from exc
    module = WasmModule(native, toolchain.wasm.read_bytes(), engine=engine, name="yowasp-llvm")
    return LoadedCompiler(module, toolchain, time.perf_counter() - t0, strategy)


def load_compiler(*, quiet: bool = False, tier: str | None = None) -> LoadedCompiler:
    """The compiler, compiled on first use (progress on stderr) and cached on disk; see the module docstring."""
    global _loaded, _background
    toolchain = find_toolchain()  # every compile: a removed or altered toolchain is noticed (memoized hash)
    tier = tier or _tier()
    current = _loaded
    if current is not None and current.toolchain == toolchain and (tier == "auto" or current.tier == tier):
        return current
    with _lock:
        current = _loaded
        if current is not None and current.toolchain == toolchain and (tier == "auto" or current.tier == tier):
            return current
        cranelift_ready = is_cached(compiler_engine("cranelift"), toolchain.wasm)
        if tier == "cranelift" or (tier == "auto" and cranelift_ready):
            _loaded = _build(toolchain, "cranelift", quiet, "the C/C++ compiler")
        else:
            _loaded = _build(toolchain, "winch", quiet, "the C/C++ compiler (fast Winch tier first)")
            if tier == "auto" and (_background is None or not _background.is_alive()):
                _background = threading.Thread(target=_upgrade, args=(toolchain,), daemon=True)
                _background.start()
        return _loaded


def _upgrade(toolchain: Toolchain) -> None:
    """Compile the Cranelift build in the background and switch to it (the Winch build keeps serving)."""
    global _loaded
    try:
        better = _build(toolchain, "cranelift", True, "")
    except (WasmLoadError, OSError):  # the Winch build keeps working; the next process tries again
        return
    with _lock:
        if _loaded is not None and _loaded.toolchain == toolchain:
            _loaded = better


def wait_for_optimised(timeout: float | None = None) -> bool:
    """Wait for a background Cranelift compile, if one runs; True if the optimised build is in use."""
    thread = _background
    if thread is not None:
        thread.join(timeout)
    return _loaded is not None and _loaded.tier == "cranelift"
