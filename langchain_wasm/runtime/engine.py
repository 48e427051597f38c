"""``WasmEngine``: one wasmtime engine with its configuration, epoch ticker, compile cache and linkers.

Everything expensive and shareable lives here and is built once: the engine, the compiled modules, the linkers
(WASI plus our shims plus granted host functions). Per call only a store and an instance are created.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import wasmtime
from wasmtime import _ffi as ffi

from .cache import CompileCache, default_cache_dir
from .capabilities import HostFunction
from .hostcall import define_host_function
from .ticker import EpochTicker
from .wasi_shims import install_wasi_shims

if TYPE_CHECKING:  # wasmtime.component loads on first component use (it costs ~20 ms of import)
    import wasmtime.component

__all__ = ["WasmEngine", "default_engine", "WASMTIME_VERSION"]


def _wasmtime_version() -> str:
    """wasmtime-py's version from its ``.dist-info`` folder name (``importlib.metadata`` costs ~20-60 ms of
    every cold start); ``importlib.metadata`` when the folder is not unambiguous."""
    site = Path(wasmtime.__file__).resolve().parent.parent
    try:  # a plain listing: ``Path.glob`` costs ~0.5 ms more here
        names = os.listdir(site)
    except OSError:
        names = []
    found = [
        n[len("wasmtime-") : -len(".dist-info")]
        for n in names
        if n.startswith("wasmtime-") and n.endswith(".dist-info")
    ]
    if len(found) == 1 and found[0].replace(".", "").isalnum():
        return found[0]
    from importlib.metadata import version

    return version("wasmtime")


WASMTIME_VERSION = _wasmtime_version()


def _machine() -> str:
    """``platform.machine()`` without importing ``platform`` (~2 ms of every cold start)."""
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform

    return platform.machine()


_UNSET = object()
_ASYNC_STACK_DEFAULT = 2 * 1024 * 1024


class WasmEngine:
    """A configured wasmtime engine shared by modules, with its ticker, cache and linkers.

    Args:
        cache_dir: compile cache directory; ``None`` keeps compiled modules in memory only. By default
            ``$LANGCHAIN_WASM_CACHE_DIR`` or ``~/.cache/langchain-wasm``.
        tick_s: epoch ticker interval, the granularity of deadlines.
        max_wasm_stack: bytes of native stack wasm may use before a stack-overflow trap.
        strategy: ``"cranelift"`` (optimising, the default) or ``"winch"`` (fast to compile, slower code).
        consume_fuel: meter fuel (instruction budgets). ``False`` compiles code without the fuel counter
            (tight loops ~15-25% faster); calls are then bounded by their deadline only and a ``Limits.fuel``
            budget is refused with a ``ValueError``.
    """

    def __init__(
        self,
        *,
        cache_dir: str | os.PathLike[str] | object | None = _UNSET,
        tick_s: float = 0.005,
        max_wasm_stack: int = 512 * 1024,
        strategy: str = "cranelift",
        consume_fuel: bool = True,
    ) -> None:
        settings: dict[str, object] = {
            "consume_fuel": True,
            "epoch_interruption": True,
            "cranelift_opt_level": "speed",
            "max_wasm_stack": max_wasm_stack,
            "wasm_component_model": True,
        }
        config = wasmtime.Config()
        config.consume_fuel = consume_fuel
        if not consume_fuel:
            settings["consume_fuel"] = False  # only then: existing cache keys stay valid (True was always there)
        config.epoch_interruption = True
        config.cranelift_opt_level = "speed"
        if max_wasm_stack > _ASYNC_STACK_DEFAULT:
            # wasmtime refuses (and its C API aborts the process on) a max_wasm_stack above async_stack_size.
            ffi.wasmtime_config_async_stack_size_set(config.ptr(), max_wasm_stack)
        config.max_wasm_stack = max_wasm_stack
        config.wasm_component_model = True
        config.parallel_compilation = True
        if strategy == "winch":
            # Winch: a baseline compiler, ~5x faster to compile, slower code; reachable only through the ffi.
            ffi.wasmtime_config_strategy_set(config.ptr(), 2)
            settings["strategy"] = "winch"  # only then: existing cache keys stay valid
        elif strategy != "cranelift":
            raise ValueError(f"strategy must be 'cranelift' or 'winch', got {strategy!r}")
        self.engine = wasmtime.Engine(config)
        self.max_wasm_stack = max_wasm_stack
        #: whether stores of this engine meter fuel (``False``: deadlines only)
        self.consume_fuel = consume_fuel
        self.strategy = strategy
        self.fingerprint = json.dumps({"wasmtime": WASMTIME_VERSION, "machine": _machine(), **settings}, sort_keys=True)
        directory = default_cache_dir() if cache_dir is _UNSET else cache_dir
        self.cache = CompileCache(directory, self.fingerprint)  # type: ignore[arg-type]
        self.ticker = EpochTicker(self.engine, tick_s)
        self._linkers: dict[tuple[bool, tuple[HostFunction, ...]], wasmtime.Linker] = {}
        self._lock = threading.Lock()
        self._component_linker: wasmtime.component.Linker | None = None

    @property
    def cache_dir(self) -> Path | None:
        """Where compiled modules are cached on disk (None if in memory only)."""
        return self.cache.directory

    def compile(self, wasm: bytes) -> wasmtime.Module:
        """Compile (or fetch from cache) a core module. Raises ``wasmtime.WasmtimeError`` if invalid."""
        module: wasmtime.Module = self.cache.get_or_compile(
            wasm, self.engine, lambda: wasmtime.Module(self.engine, wasm)
        )
        return module

    def compile_component(self, wasm: bytes) -> wasmtime.component.Component:
        """Compile (or fetch from cache) a component. Raises ``wasmtime.WasmtimeError`` if invalid."""
        import wasmtime.component

        component: wasmtime.component.Component = self.cache.get_or_compile(
            wasm,
            self.engine,
            lambda: wasmtime.component.Component(self.engine, wasm),
            kind="component",
            deserialize_file=wasmtime.component.Component.deserialize_file,
        )
        return component

    def component_linker(self) -> wasmtime.component.Linker:
        """The shared component linker with WASI preview 2 (each import is checked against the grant first)."""
        if self._component_linker is None:
            with self._lock:
                if self._component_linker is None:
                    import wasmtime.component

                    linker = wasmtime.component.Linker(self.engine)
                    linker.add_wasip2()
                    self._component_linker = linker
        return self._component_linker

    def linker(self, key: tuple[bool, tuple[HostFunction, ...]]) -> wasmtime.Linker:
        """The shared linker for ``(stdio_shims, host_functions)``: WASI, our shims, then the host functions."""
        linker = self._linkers.get(key)
        if linker is not None:
            return linker
        stdio_shims, host_functions = key
        with self._lock:
            linker = self._linkers.get(key)
            if linker is None:
                linker = wasmtime.Linker(self.engine)
                linker.allow_shadowing = True
                linker.define_wasi()
                install_wasi_shims(linker, stdio=stdio_shims)
                for hf in host_functions:
                    define_host_function(linker, hf.module, hf.name, hf.params, hf.results, hf.func, memory=hf.memory)
                self._linkers[key] = linker
        return linker


_default: WasmEngine | None = None
_default_lock = threading.Lock()


def default_engine() -> WasmEngine:
    """The process-wide engine used when none is given."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = WasmEngine()
    return _default
