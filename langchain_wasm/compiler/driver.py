"""Run clang inside the sandbox: ``clang -###`` for the job list, then each ``-cc1`` and ``wasm-ld`` in a fresh
instance, as the YoWASP JavaScript runtime does (WASI cannot spawn processes).

Each instance sees three directories and nothing else: the sysroot read-only at ``/usr``, a fresh scratch
folder at ``/src`` holding only the source, and a fresh ``/tmp`` for the object files. Every instance runs under
the compiler's own limits (deadline, fuel, memory, output caps). The job list is checked before anything runs:
only ``clang -cc1`` and ``wasm-ld`` jobs, writing only under ``/tmp`` or to ``/src/out.wasm``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from langchain_wasm.errors import (
    LangChainWasmError,
    WasmLimitError,
    WasmOutputLimitError,
    WasmTrapError,
)
from langchain_wasm.runtime.capabilities import Capabilities, Preopen
from langchain_wasm.runtime.limits import MIB, Limits
from langchain_wasm.runtime.module import WasmModule
from langchain_wasm.runtime.result import CallResult

from .diagnostics import Diagnostic, format_diagnostics, parse_diagnostics
from .loader import load_compiler

__all__ = ["CompilerLimits", "WasmCompileError", "ClangDriver", "Language", "Mode"]
Language = Literal["c", "c++"]
#: ``command``: a WASI command (``main``); ``function``: no entry point, the named functions exported.
Mode = Literal["command", "function"]
_QUOTED = re.compile(r' (?:([^ "]+)|"((?:[^"\\$]|\\["\\$])*)")')


class WasmCompileError(LangChainWasmError):
    """The source did not compile (``diagnostics`` holds clang's messages) or the compiler hit a limit.

    ``str(error)`` is one block a model can act on: ``main.c:LINE:COL: error: ...`` lines, trimmed.
    """

    def __init__(self, message: str, *, diagnostics: tuple[Diagnostic, ...] = (), reason: str = "error") -> None:
        super().__init__(message)
        self.diagnostics = diagnostics
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CompilerLimits:
    """What one compile may consume; each clang job (``-cc1``, ``wasm-ld``) runs under these.

    Attributes:
        timeout_s: wall-clock deadline per job.
        fuel: instruction budget per job (a 50-line C file at -O2 needs ~0.4e9; C++ with iostream ~8.4e9).
        memory_bytes: linear-memory cap of the compiler (a macro bomb ends in "LLVM ERROR: out of memory").
        diagnostics_bytes: cap on the compiler's stderr.
        output_bytes: cap on the linked ``.wasm``.
    """

    timeout_s: float = 60.0
    fuel: int = 60_000_000_000
    memory_bytes: int = 1024 * MIB
    diagnostics_bytes: int = 256 * 1024
    output_bytes: int = 32 * MIB

    def job_limits(self) -> Limits:
        return Limits(
            timeout_s=self.timeout_s,
            fuel=self.fuel,
            memory_bytes=self.memory_bytes,
            stdout_bytes=self.diagnostics_bytes,
            stderr_bytes=self.diagnostics_bytes,
        )


@dataclass
class ClangDriver:
    """Compiles one source text to a wasm32-wasip1 module under ``limits``; see the module docstring."""

    limits: CompilerLimits = field(default_factory=CompilerLimits)
    quiet: bool = False

    def build(
        self, source: str, *, language: Language, flags: tuple[str, ...], mode: Mode, exports: tuple[str, ...]
    ) -> tuple[bytes, list[Diagnostic]]:
        """The linked module's bytes and the warnings; ``WasmCompileError`` with diagnostics otherwise."""
        loaded = load_compiler(quiet=self.quiet)
        scratch = Path(tempfile.mkdtemp(prefix="lcw-cc-src-"))
        tmp = Path(tempfile.mkdtemp(prefix="lcw-cc-tmp-"))
        try:
            name = "main.c" if language == "c" else "main.cpp"
            (scratch / name).write_text(source, encoding="utf-8", errors="replace")  # lone surrogates
            caps = Capabilities(
                wasi=True,
                clocks=True,
                random=True,
                stdin=False,
                preopens=(
                    Preopen(str(loaded.toolchain.sysroot), "/usr"),
                    Preopen(str(scratch), "/src", writable=True),
                    Preopen(str(tmp), "/tmp", writable=True),
                ),
            )
            jobs = self._plan(loaded.module, caps, language, flags, mode, exports, name)
            warnings: list[Diagnostic] = []
            for job in jobs:
                stderr = self._job(loaded.module, caps, job)
                warnings.extend(parse_diagnostics(stderr))
            out = scratch / "out.wasm"
            if out.is_symlink() or not out.is_file():
                raise WasmCompileError("the linker produced no module", reason="error")
            if out.stat().st_size > self.limits.output_bytes:
                raise WasmCompileError(
                    f"the compiled module is over {self.limits.output_bytes // MIB} MiB", reason="limit"
                )
            return out.read_bytes(), warnings
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.rmtree(tmp, ignore_errors=True)

    def _plan(
        self,
        module: WasmModule,
        caps: Capabilities,
        language: Language,
        flags: tuple[str, ...],
        mode: Mode,
        exports: tuple[str, ...],
        name: str,
    ) -> list[list[str]]:
        tool = "clang" if language == "c" else "clang++"
        extra = ["-fno-exceptions"] if language == "c++" else []
        if mode == "function":
            extra += ["-nostartfiles", "-Wl,--no-entry", *(f"-Wl,--export={e}" for e in exports)]
        argv = [tool, "-###", "--target=wasm32-wasip1", "-resource-dir", "/usr", "-isysroot", "/usr"]
        argv += ["-fno-color-diagnostics", *extra, *flags, f"/src/{name}", "-o", "/src/out.wasm"]
        result = self._run(module, caps, argv)
        text = result.stderr_text() + result.stdout_text()
        jobs = [_unquote(line) for line in text.splitlines() if line.startswith(' "')]
        if result.exit_code or not jobs:
            diags = parse_diagnostics(text)
            raise WasmCompileError(format_diagnostics(diags, text), diagnostics=tuple(diags))
        for job in jobs:
            _check_job(job)
        return jobs

    def _job(self, module: WasmModule, caps: Capabilities, job: list[str]) -> str:
        result = self._run(module, caps, job)
        stderr: str = result.stderr_text()
        if result.exit_code:
            diags = parse_diagnostics(stderr)
            raise WasmCompileError(format_diagnostics(diags, stderr), diagnostics=tuple(diags))
        return stderr

    def _run(self, module: WasmModule, caps: Capabilities, argv: list[str]) -> CallResult:
        limits = self.limits.job_limits()
        try:
            return module.run(argv=argv, limits=limits, capabilities=caps)
        except WasmOutputLimitError as exc:
            raise WasmCompileError(
                f"the compiler's diagnostics exceeded {limits.stderr_bytes // 1024} KiB; fix the first errors:\n"
                + format_diagnostics(parse_diagnostics(_captured(exc)))[:2000],
                reason="limit",
            ) from exc
        except WasmLimitError as exc:
            what = type(exc).__name__.removeprefix("Wasm").removesuffix("Error")
            raise WasmCompileError(
                f"the compiler hit its {what} limit ({_limit_text(self.limits)}) on this source; "
                "simplify it (deep templates, huge macro expansions or constexpr loops)",
                reason="limit",
            ) from exc
        except WasmTrapError as exc:  # clang aborted: an LLVM ERROR (out of memory) or an assertion
            text = _captured(exc)
            diags = parse_diagnostics(text)
            oom = "out of memory" in text
            raise WasmCompileError(
                (
                    "the compiler ran out of memory on this source; simplify it (huge macro expansions, arrays)\n"
                    if oom
                    else "the compiler crashed on this source; rewrite the construct it names\n"
                )
                + format_diagnostics(diags, text)[:2000],
                diagnostics=tuple(diags),
                reason="limit" if oom else "crash",
            ) from exc


def _captured(exc: BaseException) -> str:
    result = getattr(exc, "result", None)
    stderr = getattr(result, "stderr", b"") or getattr(exc, "stderr", b"") or b""
    return stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else str(stderr)


def _limit_text(limits: CompilerLimits) -> str:
    return f"{limits.timeout_s:g} s, {limits.fuel:.1e} fuel, {limits.memory_bytes // MIB} MiB per job"


def _unquote(line: str) -> list[str]:
    args = [m[1] if m[1] is not None else re.sub(r'\\(["$\\])', r"\1", m[2]) for m in _QUOTED.finditer(line)]
    if args and args[0] == "":
        args.pop(0)
    return args


def _check_job(job: list[str]) -> None:
    """Only the two job kinds we expect, writing only where we expect (defence in depth: our flags are
    allow-listed, but the job list is the compiler's output)."""
    if not job or not ((job[0] in ("clang", "clang++") and job[1:2] == ["-cc1"]) or job[0] == "wasm-ld"):
        raise WasmCompileError(f"unexpected compiler job {job[:2]}; refused", reason="refused")
    for i, arg in enumerate(job):
        if arg == "-o":
            target = job[i + 1] if i + 1 < len(job) else ""
            if not (target.startswith("/tmp/") or target == "/src/out.wasm") or ".." in target:
                raise WasmCompileError(f"compiler job writes to {target!r}; refused", reason="refused")
