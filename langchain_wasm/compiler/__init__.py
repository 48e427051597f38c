"""C and C++ compiled by clang running inside the sandbox, then run inside the sandbox.

The compiler (``@yowasp/clang``, LLVM built for WASI) is installed once with
``langchain-wasm toolchain install clang`` and runs with only its sysroot (read-only), a scratch folder and a
``/tmp`` of its own, so hostile source cannot read or write the host. ``WasmCompiler`` compiles (flags on an
allow-list, results cached by a hash of source and flags); ``CompiledProgram`` runs the result as a WASI
command or loads it as a core, buffer or json-stdio guest. ``WasmCompilerTool`` (in ``.tool``) wraps it for
LangChain.
"""

from __future__ import annotations

from .compiler import PROGRAM_LIMITS, CompiledProgram, WasmCompiler
from .diagnostics import Diagnostic
from .driver import CompilerLimits, WasmCompileError
from .flags import CompilerFlagError
from .toolchain import WasmToolchainMissingError, find_toolchain, install_toolchain

__all__ = [
    "PROGRAM_LIMITS",
    "CompiledProgram",
    "CompilerFlagError",
    "CompilerLimits",
    "Diagnostic",
    "WasmCompileError",
    "WasmCompiler",
    "WasmToolchainMissingError",
    "find_toolchain",
    "install_toolchain",
]
