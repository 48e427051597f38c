"""A recording HTTP server on 127.0.0.1: the real provider client libraries send it their real requests; it keeps
each JSON body and answers with the next canned response (a status code and a JSON body) in that provider's
wire format. Not a mock of any library: the libraries run unchanged, only the far end is ours.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorder:
    """Requests received (path, JSON body) and responses still to give ((status, body) in order)."""

    responses: list[tuple[int, dict[str, Any]]]
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    url: str = ""

    def bodies(self, path_part: str = "") -> list[dict[str, Any]]:
        return [body for path, body in self.requests if path_part in path]


@contextmanager
def recording_server(responses: list[tuple[int, dict[str, Any]]]) -> Iterator[Recorder]:
    rec = Recorder(responses=list(responses))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._reply(200, {"models": [], "data": []})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {"_raw": raw.decode(errors="replace")}
            with lock:
                rec.requests.append((self.path, body))
                status, answer = rec.responses.pop(0) if rec.responses else (500, {"error": "no canned response left"})
            self._reply(status, answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


# -- canned answers in each provider's wire format -------------------------------------------------------------
def openai_text(text: str) -> tuple[int, dict[str, Any]]:
    return 200, {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "gpt-4.1-mini",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop", "logprobs": None}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def anthropic_tool_use(name: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "tool_use", "id": "toolu_01", "name": name, "input": data}],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 10},
    }


def gemini_text(text: str) -> tuple[int, dict[str, Any]]:
    return 200, {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10, "totalTokenCount": 20},
        "modelVersion": "gemini-2.5-flash",
    }


def ollama_text(text: str) -> tuple[int, dict[str, Any]]:
    return 200, {
        "model": "llama3.2",
        "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": text},
        "done": True,
        "done_reason": "stop",
        "total_duration": 1,
        "prompt_eval_count": 10,
        "eval_count": 10,
    }
