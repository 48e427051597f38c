"""Streaming a session run's stdout while it runs, through LangGraph's stream writer (``stream_mode="custom"``).

The run happens on a worker thread; the calling thread (which holds the graph's context) polls the session's
live output and writes each new piece as ``{"type": "python_stdout", "text": ...}``.
"""

from __future__ import annotations

import codecs
import threading
from collections.abc import Callable
from typing import Any

from .results import PythonResult
from .session import PythonSession

__all__ = ["POLL_S", "stream_run", "stream_writer"]

POLL_S = 0.05


def stream_writer() -> Callable[[Any], None] | None:
    """The running graph's stream writer, or ``None`` outside a LangGraph run."""
    try:
        from langgraph.config import get_stream_writer

        return get_stream_writer()
    except (ImportError, RuntimeError, KeyError):  # outside a graph run, or a config without a runtime
        return None


def stream_run(session: PythonSession, code: str, writer: Callable[[Any], None] | None) -> PythonResult:
    """``session.run(code)``, writing stdout to ``writer`` as it appears (all of it, once, by the end)."""
    if writer is None:
        return session.run(code)
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = session.run(code)
        except BaseException as exc:  # re-raised on the calling thread
            box["error"] = exc

    decoder = codecs.getincrementaldecoder("utf-8")("replace")  # a piece may end inside a character

    def emit(data: bytes, final: bool = False) -> bool:
        text = decoder.decode(data, final)
        if not text:
            return True
        try:
            writer({"type": "python_stdout", "text": text})
        except Exception:  # a failing stream must not fail the run: stop streaming
            return False
        return True

    worker = threading.Thread(target=work, name="langchain-wasm-python-run", daemon=True)
    worker.start()
    sent, streaming = 0, True
    while worker.is_alive():
        worker.join(POLL_S)
        live = session.live_output()
        if streaming and len(live) > sent:
            streaming = emit(live[sent:])
            sent = len(live)
    if "error" in box:
        raise box["error"]
    result: PythonResult = box["result"]
    tail = result.stdout.encode("utf-8", "surrogateescape")[sent:]
    if streaming:
        emit(tail, final=True)
    return result
