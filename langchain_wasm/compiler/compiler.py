"""``WasmCompiler``: C or C++ source in, a sandboxed program out; compiled by clang running in Wasm, cached.

.. code-block:: python

    prog = WasmCompiler().compile('#include <stdio.h>\nint main(){puts("hi");}')
    prog.run().stdout_text()  # 'hi\n'
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_wasm.guest.guest import Guest
from langchain_wasm.runtime.capabilities import Capabilities
from langchain_wasm.runtime.engine import WasmEngine
from langchain_wasm.runtime.limits import Limits
from langchain_wasm.runtime.module import WasmModule
from langchain_wasm.runtime.result import CallResult

from .diagnostics import Diagnostic
from .driver import ClangDriver, CompilerLimits, Language, Mode, WasmCompileError
from .flags import check_flags
from .result_cache import ResultCache, request_key
from .toolchain import CLANG_VERSION

__all__ = ["CompiledProgram", "WasmCompiler", "PROGRAM_LIMITS"]

#: Limits of a compiled program's run: 2 s, 2e9 fuel, 256 MiB, 1 MiB of output.
PROGRAM_LIMITS = Limits(timeout_s=2.0, fuel=2_000_000_000)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_MAX_SOURCE = 256 * 1024


@dataclass(frozen=True)
class CompiledProgram:
    """A compiled module, ready to run as a WASI command or to load as a core guest.

    Attributes:
        wasm: the module's bytes.
        warnings: the compiler's warnings (``main.c:LINE:COL: warning: ...``).
        key: the cache key of the request (SHA-256 of toolchain, language, mode, exports, flags and source).
        cached: True if no compiler ran for this result.
        mode: ``command`` (has ``main``) or ``function`` (exports the named functions).
    """

    wasm: bytes
    warnings: tuple[Diagnostic, ...]
    key: str
    cached: bool
    mode: Mode
    exports: tuple[str, ...] = ()
    language: Language = "c"
    _modules: dict[int, WasmModule] = field(default_factory=dict, repr=False, compare=False)

    def module(self, engine: WasmEngine | None = None) -> WasmModule:
        """The program as a ``WasmModule`` (compiled once per engine, through the engine's compile cache)."""
        from langchain_wasm.runtime.engine import default_engine

        engine = engine or default_engine()
        found = self._modules.get(id(engine))
        if found is None:
            found = WasmModule.from_bytes(self.wasm, engine=engine, name=f"cc-{self.key[:12]}")
            self._modules[id(engine)] = found
        return found

    def run(
        self,
        *,
        stdin: bytes | str = b"",
        argv: Sequence[str] = (),
        limits: Limits | None = None,
        capabilities: Capabilities | None = None,
    ) -> CallResult:
        """Run a ``command`` program in a fresh instance: stdin in, exit status and captured stdout/stderr out.

        Capabilities default to ``Capabilities.command()``: captured stdio and argv, no files, clocks or env.
        """
        if self.mode != "command":
            raise ValueError("this program was compiled as functions; call them through .guest(name)")
        return self.module().run(stdin=stdin, argv=argv, limits=limits or PROGRAM_LIMITS, capabilities=capabilities)

    def guest(
        self,
        export: str,
        *,
        name: str | None = None,
        description: str | None = None,
        param_names: list[str] | None = None,
        limits: Limits | None = None,
    ) -> Guest:
        """One exported function as a core ``Guest`` (numbers in, numbers out), e.g. for ``WasmTool``."""
        return Guest.from_module(
            self.module(),
            export=export,
            name=name,
            description=description,
            limits=limits or PROGRAM_LIMITS,
            capabilities=Capabilities(),
            param_names=param_names,
        )

    def as_guest(self, manifest: Mapping[str, Any]) -> Guest:
        """The program as a guest described by a manifest mapping (the keys of ``manifest.toml``, schemas
        inline): ``abi = "json-stdio"`` (a command; JSON on stdin and stdout, validated both ways), ``"buffer"``
        (functions exporting ``alloc``/``dealloc``/``memory``) or ``"core"``. ``module`` is not needed."""
        data = {"description": "A compiled C/C++ program.", **dict(manifest), "module": f"cc-{self.key[:12]}"}
        abi = data.get("abi")
        abis = ("buffer", "core", "json-stdio")
        if abi not in abis or "name" not in data:
            raise ValueError(f"as_guest needs `name` and `abi` one of {list(abis)}, got {abi!r}")
        if (abi == "json-stdio") != (self.mode == "command"):
            raise ValueError(f"an abi={abi!r} guest needs mode={'command' if abi == 'json-stdio' else 'function'}")
        grant: dict[str, Any] = {"wasi": True} if abi == "json-stdio" else {}
        grant.update(data.get("capabilities", {}))
        limits = Limits(**data["limits"]) if "limits" in data else PROGRAM_LIMITS
        return Guest.from_manifest_data(data, self.module(), limits=limits, capabilities=Capabilities(**grant))


@dataclass
class WasmCompiler:
    """Compiles C and C++ with clang running in the sandbox (see ``langchain_wasm.compiler``).

    Setup:
        ``langchain-wasm toolchain install clang`` once (fetches the pinned npm tarball); nothing downloads later.

    Args:
        limits: the compiler's own limits, per clang job.
        cache: the result cache (``ResultCache(None)`` keeps results in memory only).
        quiet: no progress lines on stderr when the compiler itself is compiled on first use.
    """

    limits: CompilerLimits = field(default_factory=CompilerLimits)
    cache: ResultCache = field(default_factory=ResultCache)
    quiet: bool = False

    def compile(
        self,
        source: str,
        *,
        language: Language = "c",
        flags: Sequence[str] = ("-O2",),
        mode: Mode = "command",
        exports: Sequence[str] = (),
    ) -> CompiledProgram:
        """Compile ``source``; ``WasmCompileError`` (diagnostics a model can fix) if it does not compile.

        Raises:
            CompilerFlagError: a flag outside the allow-list (a ``ValueError``).
            WasmCompileError: compile errors, or the compiler hit one of its limits.
            WasmToolchainMissingError: the toolchain is not installed (the message says the command).
        """
        if language not in ("c", "c++"):
            raise ValueError(f"language must be 'c' or 'c++', got {language!r}")
        if mode not in ("command", "function"):
            raise ValueError(f"mode must be 'command' or 'function', got {mode!r}")
        if not isinstance(source, str):
            raise TypeError(f"source must be a str, got {type(source).__name__}")
        if len(source.encode("utf-8", "replace")) > _MAX_SOURCE:
            raise WasmCompileError(f"the source is over {_MAX_SOURCE // 1024} KiB", reason="limit")
        if "\0" in source:
            raise WasmCompileError("the source contains a NUL character", reason="refused")
        checked = check_flags(flags)
        names = tuple(exports)
        if mode == "function":
            if not names:
                raise ValueError("mode='function' needs the names of the functions to export")
            bad = [n for n in names if not _IDENT.fullmatch(n)]
            if bad:
                raise ValueError(f"export names must be C identifiers, got {bad}")
        key = request_key(
            toolchain=CLANG_VERSION, language=language, mode=mode, exports=names, flags=checked, source=source
        )
        hit = self.cache.get(key)
        if hit is not None:
            warnings = tuple(Diagnostic(**w) for w in hit[1])
            return CompiledProgram(hit[0], warnings, key, True, mode, names, language)
        driver = ClangDriver(limits=self.limits, quiet=self.quiet)
        wasm, found = driver.build(source, language=language, flags=checked, mode=mode, exports=names)
        self.cache.put(key, wasm, [dataclasses.asdict(w) for w in found])
        return CompiledProgram(wasm, tuple(found), key, False, mode, names, language)

    def warm_up(self) -> dict[str, Any]:
        """Compile the optimised compiler build (once; cached on disk) and a tiny program; timings in seconds."""
        import time

        from .loader import load_compiler

        t0 = time.perf_counter()
        load_compiler(quiet=self.quiet, tier="cranelift")
        t1 = time.perf_counter()
        self.compile("int main(void){return 0;}", flags=("-O0",))
        return {"load_s": round(t1 - t0, 3), "first_compile_s": round(time.perf_counter() - t1, 3)}
