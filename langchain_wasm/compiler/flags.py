"""The compiler flags a caller (or a model) may pass: an allow-list; anything else is refused before clang runs.

The driver adds the target, sysroot, input and output itself. Flags that could reach outside the sandbox or
change what is read or written (``-o``, ``-I``, ``-include``, ``-M*``, ``-fplugin``, ``-Xclang``, ``-Wl,``,
``@response-file``, ``--sysroot``, ...) are simply not on the list, so they are refused by construction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["CompilerFlagError", "STD_VERSIONS", "check_flags"]

STD_VERSIONS = frozenset(
    {"c89", "c99", "c11", "c17", "c18", "c23", "gnu89", "gnu99", "gnu11", "gnu17", "gnu23"}
    | {"c++11", "c++14", "c++17", "c++20", "c++23", "gnu++11", "gnu++14", "gnu++17", "gnu++20", "gnu++23"}
)
_EXACT = frozenset(
    {"-O0", "-O1", "-O2", "-O3", "-Os", "-Oz", "-w", "-pedantic", "-pedantic-errors", "-g0", "-lm"}
    | {"-msimd128", "-mrelaxed-simd", "-mbulk-memory", "-mnontrapping-fptoint", "-msign-ext", "-mmultivalue"}
    | {"-mtail-call", "-mmutable-globals", "-mno-simd128"}
    | {"-ffast-math", "-fno-fast-math", "-funroll-loops", "-fno-unroll-loops", "-fno-strict-aliasing"}
    | {"-fno-exceptions", "-fno-rtti", "-fwrapv", "-fno-builtin", "-ffp-contract=fast", "-ffp-contract=off"}
    | {"-fvectorize", "-fno-vectorize", "-fslp-vectorize", "-fno-slp-vectorize"}
)
_DEFINE = re.compile(r"-[DU][A-Za-z_][A-Za-z0-9_]{0,63}")
_DEFINE_VALUE = re.compile(r"-D[A-Za-z_][A-Za-z0-9_]{0,63}=[A-Za-z0-9_.+\-]{0,64}")
_WARNING = re.compile(r"-W(no-)?(error=)?[a-z0-9][a-z0-9+\-=]{0,63}")
_MAX_FLAGS = 64


class CompilerFlagError(ValueError):
    """A flag outside the allow-list; the message names it and what is allowed."""


def check_flags(flags: Iterable[str]) -> tuple[str, ...]:
    """The flags, unchanged, if every one is allowed; else ``CompilerFlagError`` naming the first that is not.

    Allowed: ``-O0``..``-O3``/``-Os``/``-Oz``, ``-std=`` (C and C++ standards), ``-DNAME[=VALUE]`` and
    ``-UNAME`` (identifier names, simple values), ``-W...`` warning switches (``-Wl,``/``-Wa,``/``-Wp,``
    are not warnings and are refused), ``-msimd128`` and the other wasm feature switches, and a few
    code-generation switches (``-ffast-math``, ``-fno-exceptions``, ``-fno-rtti``, ``-funroll-loops``, ...).
    """
    out: list[str] = []
    for flag in flags:
        if not isinstance(flag, str):
            raise CompilerFlagError(f"compiler flags must be strings, got {type(flag).__name__}")
        if len(out) >= _MAX_FLAGS:
            raise CompilerFlagError(f"at most {_MAX_FLAGS} compiler flags are allowed")
        if not _allowed(flag):
            raise CompilerFlagError(
                f"compiler flag {flag[:80]!r} is not allowed; allowed are -O0..-O3/-Os/-Oz, -std=<c or c++ "
                "standard>, -DNAME[=VALUE], -UNAME, -W<warning>, -w, -pedantic, -msimd128 (and other -m wasm "
                "features), -ffast-math, -funroll-loops, -fno-exceptions, -fno-rtti, -fwrapv, -lm"
            )
        out.append(flag)
    return tuple(out)


def _allowed(flag: str) -> bool:
    if flag in _EXACT:
        return True
    if flag.startswith("-std="):
        return flag[5:] in STD_VERSIONS
    if flag.startswith(("-D", "-U")):
        return bool(_DEFINE.fullmatch(flag) or _DEFINE_VALUE.fullmatch(flag))
    if flag.startswith("-W"):
        return not flag.startswith(("-Wl,", "-Wa,", "-Wp,")) and bool(_WARNING.fullmatch(flag))
    return False
