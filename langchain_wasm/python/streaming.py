"""Streaming a session run's stdout while it runs, through LangGraph's stream writer (``stream_mode="custom"``).

The run happens on a worker thread; the calling thread (which holds the graph's context) polls the session's
live output and writes each new piece as ``{"type": "python_stdout", "text": ...}``.
"""

from __future__ import annotations

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
    except (ImportError, RuntimeError):
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

    worker = threading.Thread(target=work, name="langchain-wasm-python-run", daemon=True)
    worker.start()
    sent = 0
    while worker.is_alive():
        worker.join(POLL_S)
        live = session.live_output()
        if len(live) > sent:
            writer({"type": "python_stdout", "text": live[sent:].decode("utf-8", "replace")})
            sent = len(live)
    if "error" in box:
        raise box["error"]
    result: PythonResult = box["result"]
    tail = result.stdout.encode("utf-8", "surrogateescape")[sent:]
    if tail:
        writer({"type": "python_stdout", "text": tail.decode("utf-8", "replace")})
    return result
