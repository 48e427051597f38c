"""Which compiled Python runtime a run gets: the fuel-free or the fuel engine, and Winch first on a cold cache.

Two engines compile the runtime: one without fuel metering (runs without a ``Limits.fuel`` budget, the
sandbox's default: deadlines stop them, and tight loops run faster) and one with it (runs that set a budget).
Each is its own compiled artifact, compiled on its first use.

On the first-ever use of the default build (its Cranelift artifact not in the compile cache yet) the runtime is
compiled with Winch, wasmtime's baseline compiler, instead (measured here: 29 s idle, 47 s at load ~5, against
Cranelift's 2-3.5 min; Python on it ran ~1.3-1.7x slower). Runs are served from it at once while a
low-priority subprocess (``nice -n 19 python -m langchain_wasm.python compile``) builds the Cranelift artifact
into the cache; new interpreters switch to Cranelift once it is there (an interpreter, hence a session, keeps
the engine it was made on). The subprocess is its own process: it cannot take the caller down, does not hold
its GIL, and finishes the cache entry even if the caller exits; an exclusive lock makes concurrent first uses
share one compile, and once its build is cached it deletes the Winch artifact (~400 MB). The process that
compiled Winch gives the compile's heap back (``malloc_trim``: 2.0 GB of RSS down to 0.45 GB, measured), so the
two do not hold ~4.4 GB together. Opt out with ``LANGCHAIN_WASM_WINCH_FIRST=0`` (or
``WasmPythonSandbox(winch_first=False)``): the first use then compiles Cranelift in-process, as
``langchain-wasm warmup --python`` always does.

The fuel-metering build has no Winch tier: wasmtime 49's Winch refuses to compile this runtime with fuel
("Winch internal error: Illegal fuel state", measured), so a first run with a fuel budget waits for its
Cranelift compile.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TYPE_CHECKING

from .runtime_files import PythonRuntime, load_runtime, loaded_runtime, runtime_is_compiled

if TYPE_CHECKING:  # subprocess loads with the first background compile (a warm cache never starts one)
    import subprocess

__all__ = ["ENV_WINCH_FIRST", "background_compiles", "current_runtime", "winch_first_default"]

#: Set to ``0`` (or ``false``/``no``/``off``) to compile Cranelift in-process on the first use instead.
ENV_WINCH_FIRST = "LANGCHAIN_WASM_WINCH_FIRST"
_RECHECK_S = 1.0  # while on Winch: how often a run looks whether the Cranelift artifact has landed

_lock = threading.Lock()
_background: dict[bool, subprocess.Popen[bytes]] = {}
_checked: dict[bool, float] = {}


def winch_first_default() -> bool:
    """Whether the first-ever use serves runs from a Winch build (``$LANGCHAIN_WASM_WINCH_FIRST``, default on)."""
    return os.environ.get(ENV_WINCH_FIRST, "1").strip().lower() not in ("0", "false", "no", "off")


def background_compiles() -> dict[bool, subprocess.Popen[bytes]]:
    """The Cranelift compiles this process started, by ``fuel`` (for tests and diagnostics)."""
    with _lock:
        return dict(_background)


def current_runtime(*, fuel: bool, quiet: bool = False, winch_first: bool | None = None) -> PythonRuntime:
    """The runtime a new interpreter should use now (see the module docstring).

    Args:
        fuel: whether the run sets a fuel budget (it then needs the fuel-metering engine).
        quiet: do not print the one-time compile notice.
        winch_first: serve a cold cache's first runs from Winch; ``None`` reads ``$LANGCHAIN_WASM_WINCH_FIRST``.
    """
    fast = loaded_runtime(fuel=fuel)
    if fast is not None:
        return fast
    tiered = winch_first_default() if winch_first is None else winch_first
    if fuel or not tiered:  # Winch cannot compile the runtime with fuel metering ("Illegal fuel state")
        return load_runtime(quiet=quiet, fuel=fuel)
    winch = loaded_runtime(fuel=fuel, strategy="winch")
    if winch is not None:
        now = time.monotonic()
        if now - _checked.get(fuel, 0.0) < _RECHECK_S:
            return winch
        _checked[fuel] = now
    if runtime_is_compiled(fuel=fuel):
        return load_runtime(quiet=True, fuel=fuel)  # in the cache (another process, or our background compile)
    if winch is None:
        winch = load_runtime(quiet=quiet, fuel=fuel, strategy="winch")
    if winch.engine.cache_dir is None:  # no disk cache to hand the Cranelift build over: compile it here
        return load_runtime(quiet=quiet, fuel=fuel)
    _start_background(fuel, quiet)
    return winch


def _start_background(fuel: bool, quiet: bool) -> None:
    """Start (once per process, again only if the last one failed) the low-priority Cranelift compile."""
    import shutil
    import subprocess

    with _lock:
        running = _background.get(fuel)
        if running is not None and running.poll() in (None, 0):
            return
        command = [sys.executable, "-m", "langchain_wasm.python", "compile", *(["--fuel"] if fuel else [])]
        nice = shutil.which("nice")
        if nice is not None:
            command = [nice, "-n", "19", *command]
        env = {**os.environ, ENV_WINCH_FIRST: "0"}
        _background[fuel] = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # a Ctrl-C of the caller does not kill a compile half-way
            close_fds=True,
        )
        if not quiet:
            print(
                "langchain-wasm: serving Python from the quick Winch build; the optimised build compiles in the "
                f"background (pid {_background[fuel].pid}, low priority) and new interpreters switch to it",
                file=sys.stderr,
            )
