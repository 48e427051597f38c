"""What a run of Python code returns, and how the guest's report is checked before it becomes one."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from langchain_wasm.runtime.result import CallMetrics

__all__ = ["PythonError", "PythonResult", "ResultCaps", "parse_frame"]

_PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class ResultCaps:
    """Caps on what a run reports back (each enforced by the host on the guest's report).

    Attributes:
        result_chars: longest ``repr`` of the final expression (longer ones are cut, marked).
        error_chars: longest traceback text.
        max_images: most figures returned per run.
        max_image_bytes: largest PNG accepted.
        dpi: resolution figures are rendered at.
        frame_bytes: largest report the host reads from the guest.
        max_files: most output files returned by a one-shot run.
        max_file_bytes: largest output file returned by a one-shot run (bigger ones are listed, not read).
    """

    result_chars: int = 20_000
    error_chars: int = 20_000
    max_images: int = 8
    max_image_bytes: int = 5 * 1024 * 1024
    dpi: int = 100
    frame_bytes: int = 48 * 1024 * 1024
    max_files: int = 32
    max_file_bytes: int = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class PythonError:
    """An exception the code raised and did not catch.

    Attributes:
        type: the exception's class name (``"ZeroDivisionError"``).
        message: ``str(exception)``.
        traceback: the formatted traceback, as Python prints it (capped).
    """

    type: str
    message: str
    traceback: str

    def __str__(self) -> str:
        return self.traceback or f"{self.type}: {self.message}"


@dataclass(frozen=True, slots=True)
class PythonResult:
    """The outcome of running code (one-shot or one session turn).

    Attributes:
        stdout: what the code printed, newlines preserved (capped by ``Limits.stdout_bytes``).
        stderr: what it wrote to stderr (capped by ``Limits.stderr_bytes``).
        result: the value of a final expression when it is plain JSON data (numbers, strings, lists, dicts,
            numpy scalars), else its ``repr`` text; ``None`` without a final expression.
        result_repr: the ``repr`` of the final expression's value (capped), or ``None``.
        result_type: the value's type (``"builtins.int"``, ``"pandas.DataFrame"``), or ``None``.
        error: the uncaught exception, with its traceback, or ``None``.
        exit_code: 0, 1 after an uncaught exception, or the status given to ``sys.exit``/``exit()``.
        images: PNG bytes of the matplotlib figures open at the end of the run (then closed).
        files: the workspace files the run created or changed (name -> bytes), one-shot or in a session.
        metrics: wall time, fuel, memory of the run.
        notes: anything the host dropped or refused (too many figures, oversized files, ...).
    """

    stdout: str = ""
    stderr: str = ""
    result: Any = None
    result_repr: str | None = None
    result_type: str | None = None
    error: PythonError | None = None
    exit_code: int = 0
    images: tuple[bytes, ...] = ()
    files: dict[str, bytes] = field(default_factory=dict)
    metrics: CallMetrics = field(default_factory=CallMetrics)
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the code finished without an uncaught exception and with exit status 0."""
        return self.error is None and self.exit_code == 0

    def text(self, limit: int = 4000) -> str:
        """A compact report for a model: stdout, the result, the error, capped at ``limit`` characters."""
        parts = []
        if self.stdout:
            parts.append(self.stdout.rstrip("\n"))
        if self.stderr and self.error is None:
            parts.append("[stderr]\n" + self.stderr.rstrip("\n"))
        if self.result_repr is not None:
            parts.append(self.result_repr)
        if self.error is not None:
            parts.append(str(self.error).rstrip("\n"))
        elif self.exit_code:
            parts.append(f"[exit status {self.exit_code}]")
        if self.images:
            parts.append(f"[{len(self.images)} figure(s) returned as PNG]")
        if self.files:
            parts.append("[files written: " + ", ".join(sorted(self.files)) + "]")
        parts.extend(f"[note: {n}]" for n in self.notes)
        text = "\n".join(parts) or "[no output]"
        if len(text) > limit:
            text = text[: limit // 2] + f"\n... [{len(text)} characters in all, middle cut] ...\n" + text[-limit // 2 :]
        return text

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (images as base64) for tool artifacts and graph state."""
        import base64

        return {
            "stdout": self.stdout,
            "stderr": self.stderr,
            "result": self.result,
            "result_repr": self.result_repr,
            "result_type": self.result_type,
            "error": None
            if self.error is None
            else {"type": self.error.type, "message": self.error.message, "traceback": self.error.traceback},
            "exit_code": self.exit_code,
            "images": [base64.b64encode(i).decode() for i in self.images],
            "files": sorted(self.files),
            "metrics": self.metrics.as_dict(),
            "notes": list(self.notes),
        }


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def parse_frame(raw: bytes | None, nonce: str, caps: ResultCaps) -> tuple[dict[str, Any], list[str], bool]:
    """The guest's report, checked field by field: (fields for ``PythonResult``, notes, whether the code
    called ``exit``).

    Anything malformed is dropped with a note, never passed on.
    """
    notes: list[str] = []
    if raw is None:
        return {}, ["the interpreter sent no report for this run"], False
    if raw == b'{"nonce": "' + nonce.encode() + b'"}':  # the common report: this run's nonce and nothing else
        return {"images": ()}, notes, False
    try:
        frame = json.loads(raw)
    except ValueError:
        return {}, ["the interpreter's report was not valid JSON; it was discarded"], False
    if not isinstance(frame, dict) or frame.get("nonce") != nonce:
        return {}, ["the interpreter's report did not belong to this run; it was discarded"], False
    if "frame_error" in frame:
        notes.append(f"the run's report was too large ({frame['frame_error']} bytes); result and figures dropped")
    out: dict[str, Any] = {}
    res = frame.get("result")
    if isinstance(res, dict):
        out["result_repr"] = _text(res.get("repr"), caps.result_chars + 100)
        out["result_type"] = _text(res.get("type"), 300) or None
        out["result"] = out["result_repr"]
        if isinstance(res.get("json"), str) and len(res["json"]) <= caps.result_chars:
            with contextlib.suppress(ValueError):
                out["result"] = json.loads(res["json"])
    err = frame.get("error")
    if isinstance(err, dict):
        out["error"] = PythonError(
            _text(err.get("type"), 200) or "Exception",
            _text(err.get("message"), 2000),
            _text(err.get("traceback"), caps.error_chars + 100),
        )
        out["exit_code"] = 1
    exited = isinstance(frame.get("exit"), int) and not isinstance(frame.get("exit"), bool)
    if exited:
        out["exit_code"] = frame["exit"] & 0xFF if frame["exit"] >= 0 else 1
    images: list[bytes] = []
    items = frame.get("images")
    if items:  # base64 loads with the first figure (most runs draw none)
        import base64
        import binascii
    for item in items if isinstance(items, list) else []:
        try:
            png = base64.b64decode(item, validate=True) if isinstance(item, str) else b""
        except (binascii.Error, ValueError):
            png = b""
        if png.startswith(_PNG) and len(png) <= caps.max_image_bytes and len(images) < caps.max_images:
            images.append(png)
        else:
            notes.append("a figure was dropped (not a PNG, too large, or too many)")
    figures = frame.get("figures")
    if isinstance(figures, int) and figures > len(images):
        notes.append(f"{figures - len(images)} of {figures} figures were not returned (limit {caps.max_images})")
    if isinstance(frame.get("image_error"), str):
        notes.append("rendering figures failed: " + frame["image_error"][:300])
    out["images"] = tuple(images)
    return out, notes, exited
