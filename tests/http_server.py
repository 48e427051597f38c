"""A real HTTP server on 127.0.0.1 for the network-grant tests; it records what reached it.

Paths: ``/echo`` (method, path, headers and body back as JSON), ``/redirect?to=URL&code=302``, ``/big?n=N``
(N bytes with a Content-Length), ``/stream?n=N`` (N bytes, no Content-Length), ``/slow?s=S`` (answers after S
seconds), ``/drip?n=N&s=S`` (N bytes, one every S seconds), ``/secret`` (echoes X-Api-Key in a header and the
body), ``/loop`` (redirects to itself), ``/hold`` (answers only after ``release()``: ``holding`` counts the
requests still unanswered, so a test proves a client gave up first by ordering, not by timing it).
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["TestServer", "self_signed_cert"]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None, length: bool = True) -> None:
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        self.server.seen.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        )
        route = parts.path
        if route == "/redirect":
            self._send(int(q.get("code", "302")), b"", {"Location": q["to"]})
        elif route == "/loop":
            self._send(302, b"", {"Location": "/loop"})
        elif route == "/big":
            self._send(200, b"x" * int(q["n"]))
        elif route == "/stream":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"y" * int(q["n"]))
            self.close_connection = True
        elif route == "/slow":
            time.sleep(float(q["s"]))
            self._send(200, b"late")
        elif route == "/hold":
            release = self.server.release
            self.server.holding += 1
            try:
                release.wait(120)  # bounded: a test that forgets to release does not leak the thread for ever
            finally:
                self.server.holding -= 1
            self._send(200, b"late")
        elif route == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", q["n"])
            self.end_headers()
            for _ in range(int(q["n"])):
                self.wfile.write(b"z")
                self.wfile.flush()
                time.sleep(float(q["s"]))
        elif route == "/secret":
            key = self.headers.get("X-Api-Key", "")
            self._send(200, f"your key is {key}".encode(), {"X-Echo": key})
        else:
            echo = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body.decode()}
            self._send(200, json.dumps(echo).encode(), {"Content-Type": "application/json"})

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle  # noqa: N815


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[dict[str, Any]]
    holding = 0
    release: threading.Event

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that the host cut off at a limit are expected here


class TestServer:
    """Serve on 127.0.0.1 (an ephemeral port) until ``close()``; ``seen`` lists the requests received.

    With ``tls=(certfile, keyfile)`` it serves https.
    """

    __test__ = False

    def __init__(self, tls: tuple[str, str] | None = None) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.seen = []
        self._server.release = threading.Event()
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="test-http", daemon=True)
        self._thread.start()

    @property
    def seen(self) -> list[dict[str, Any]]:
        return self._server.seen

    @property
    def holding(self) -> int:
        """How many ``/hold`` requests are still waiting for their answer."""
        return self._server.holding

    def release(self) -> None:
        """Answer the ``/hold`` requests waiting now (later ones wait for the next call)."""
        event, self._server.release = self._server.release, threading.Event()
        event.set()

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()


def self_signed_cert(directory: str) -> tuple[str, str] | None:
    """A certificate for 127.0.0.1 made with the openssl command (``None`` if there is none)."""
    if shutil.which("openssl") is None:
        return None
    cert, key = f"{directory}/cert.pem", f"{directory}/key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key
