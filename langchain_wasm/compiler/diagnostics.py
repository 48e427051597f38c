"""Clang's diagnostics, parsed into ``file:line:col: severity: message`` records and trimmed for a model.

Paths are the compiler's own view of its sandbox (``main.c`` in the scratch folder, headers under the
read-only sysroot at ``/usr``); host paths never appear because the compiler never sees any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Diagnostic", "format_diagnostics", "parse_diagnostics"]

_LINE = re.compile(
    r"^(?P<file>[^:\n]{1,300}):(?P<line>\d+):(?P<col>\d+): (?P<severity>fatal error|error|warning|note): "
    r"(?P<message>.*)$"
)
_SCRATCH = "/src/"
_MAX_DIAGNOSTICS = 12
_MAX_CHARS = 4000
_MAX_SNIPPET_LINES = 3


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One compiler message: where (the user's file is ``main.c`` / ``main.cpp``), how bad, what, and the
    source excerpt with the caret clang printed under it."""

    file: str
    line: int
    column: int
    severity: str
    message: str
    snippet: str = ""

    def __str__(self) -> str:
        head = f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"
        return f"{head}\n{self.snippet}" if self.snippet else head


def _clean(text: str) -> str:
    return text.replace(_SCRATCH, "")


def parse_diagnostics(stderr: str) -> list[Diagnostic]:
    """Every ``file:line:col: severity: message`` in clang's stderr, with up to three excerpt lines each."""
    out: list[Diagnostic] = []
    snippet: list[str] = []
    current: re.Match[str] | None = None

    def flush() -> None:
        if current is not None:
            out.append(
                Diagnostic(
                    _clean(current["file"]),
                    int(current["line"]),
                    int(current["col"]),
                    current["severity"],
                    _clean(current["message"])[:500],
                    "\n".join(snippet[:_MAX_SNIPPET_LINES]),
                )
            )

    for raw in stderr.splitlines():
        match = _LINE.match(raw)
        if match is not None:
            flush()
            current, snippet = match, []
        elif current is not None and raw.strip() and not raw.endswith(" generated."):
            snippet.append(_clean(raw.rstrip())[:200])
    flush()
    return out


def format_diagnostics(diagnostics: list[Diagnostic], stderr: str = "") -> str:
    """One block a model can act on: errors first, at most 12 diagnostics and 4,000 characters.

    Falls back to the tail of ``stderr`` (cleaned) when clang printed nothing in the usual form (a crash, an
    ``LLVM ERROR``).
    """
    if not diagnostics:
        lines = [_clean(ln) for ln in stderr.strip().splitlines() if ln.strip()]
        text = "\n".join(lines[-20:])
        return text[-_MAX_CHARS:] if text else "the compiler failed without a message"
    order = sorted(diagnostics, key=lambda d: (d.severity not in ("error", "fatal error"), 0))
    shown = order[:_MAX_DIAGNOSTICS]
    text = "\n".join(str(d) for d in shown)
    if len(text) > _MAX_CHARS:
        text = text[:_MAX_CHARS].rsplit("\n", 1)[0] + "\n..."
    hidden = len(diagnostics) - len(shown)
    if hidden > 0:
        text += f"\n({hidden} more diagnostics not shown)"
    return text
