"""Cost of a request made through the network grant, against the same request made by the host directly.

A local server on 127.0.0.1 answers ``GET /`` with a small body. "direct" is ``http.client`` from the host
(a new connection per request, as the grant makes one). "wat guest" is a whole WASI command call of
guests/wat/http_fetch.wat (fresh instance, the grant's checks, the frames in and out). "python" is one
``urllib.request.urlopen`` inside a kept Python session (import excluded), and "python refused" a request the
grant refuses. Ratios are against "direct".

    python bench/bench_http.py [--requests N]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

os.environ.setdefault("LANGCHAIN_WASM_CACHE_DIR", tempfile.mkdtemp(prefix="lcw-bench-"))

from langchain_wasm import Capabilities, HttpGrant, Limits, WasmModule

WAT = Path(__file__).parents[1] / "guests" / "wat" / "http_fetch.wat"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _median_ms(fn: Callable[[], object], n: int) -> float:
    fn()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-python", action="store_true", help="skip the Python sandbox rows")
    ns = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    base = f"http://127.0.0.1:{port}"

    def direct() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", "/", headers={"Connection": "close"})
        conn.getresponse().read()
        conn.close()

    module = WasmModule.from_wat(WAT.read_text(), name="http_fetch")
    caps = Capabilities.command(http=HttpGrant([base]))
    frame = json.dumps({"url": base + "/"}).encode()
    limits = Limits(timeout_s=5)

    def guest() -> None:
        assert module.run(stdin=frame, capabilities=caps, limits=limits).stdout.startswith(b'{"ok": true')

    rows = [("direct (host http.client)", _median_ms(direct, ns.requests))]
    rows.append(("wat guest (whole call)", _median_ms(guest, ns.requests)))
    if not ns.no_python:
        from langchain_wasm import WasmPythonSandbox

        sb = WasmPythonSandbox(http=[base], quiet=True)
        with sb.session() as s:
            s.run("import urllib.request")
            ok = f"urllib.request.urlopen('{base}/').read()"
            refused = "try:\n    urllib.request.urlopen('http://10.0.0.1/')\nexcept OSError:\n    pass"
            rows.append(("python urlopen (one cell)", _median_ms(lambda: s.run(ok), ns.requests // 4)))
            rows.append(("python refused (one cell)", _median_ms(lambda: s.run(refused), ns.requests // 4)))
            rows.append(("python empty cell", _median_ms(lambda: s.run("None"), ns.requests // 4)))
    base_ms = rows[0][1]
    print(f"{'path':<28} {'median ms':>10} {'ratio':>7}")
    for name, ms in rows:
        print(f"{name:<28} {ms:>10.3f} {ms / base_ms:>7.2f}")
    server.shutdown()


if __name__ == "__main__":
    main()
