"""The Python sandbox's network: ``urllib.request`` and ``requests`` reach granted origins through the host;
everything else fails with "no network access to <origin> in this sandbox". A real server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from langchain_wasm.errors import WasmTimeoutError
from langchain_wasm.runtime import Limits
from langchain_wasm.runtime.http_grant import HttpGrant, HttpOrigin
from tests.http_server import TestServer

MIB = 1024 * 1024
SECRET = "sk-python-0123456789"


@pytest.fixture(scope="module")
def server():
    srv = TestServer()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def net_sandbox(runtime, server):
    from langchain_wasm.python import WasmPythonSandbox

    grant = HttpGrant(
        (HttpOrigin(server.base, headers={"X-Api-Key": SECRET}),), max_response_bytes=64 * 1024, timeout_s=2
    )
    sb = WasmPythonSandbox(limits=Limits(timeout_s=10, fuel=None, memory_bytes=512 * MIB), http=grant)
    yield sb
    sb.close()


def run_ok(sb, code):
    result = sb.run(code)
    assert result.error is None, result.error
    return result


def test_urllib_get_and_post_reach_the_allowed_origin(net_sandbox, server):
    code = f"""
import json, urllib.request
r = urllib.request.urlopen("{server.base}/echo?x=1")
got = json.loads(r.read())
req = urllib.request.Request("{server.base}/echo", data=b"hello", method="POST")
posted = json.loads(urllib.request.urlopen(req).read())
(r.status, r.headers["Content-Type"], got["path"], posted["method"], posted["body"])
"""
    result = run_ok(net_sandbox, code)
    assert result.result == [200, "application/json", "/echo?x=1", "POST", "hello"]
    net = result.metrics.http
    assert net.requests == 2
    assert net.origins == (server.base,)
    assert net.bytes_out == 5
    assert net.bytes_in > 0


def test_requests_style_api(net_sandbox, server):
    code = f"""
import requests
r = requests.post("{server.base}/echo", json={{"a": 1}}, params={{"q": "z"}}, headers={{"X-Mine": "1"}})
r.raise_for_status()
e = r.json()
s = requests.Session(); s.headers["X-Session"] = "yes"
g = s.get("{server.base}/echo")
(r.status_code, r.ok, e["path"], e["body"], e["headers"]["Content-Type"], e["headers"]["X-Mine"],
 g.json()["headers"]["X-Session"])
"""
    result = run_ok(net_sandbox, code)
    assert result.result == [200, True, "/echo?q=z", '{"a": 1}', "application/json", "1", "yes"]


def test_refused_origins_name_the_origin(net_sandbox, server):
    other = server.port + 1
    code = f"""
import urllib.request, urllib.error, requests
out = []
for url in ("http://127.0.0.1:{other}/", "https://example.com/", "{server.base}/redirect?to=http://127.0.0.1:{other}/"):
    try:
        urllib.request.urlopen(url)
    except urllib.error.URLError as exc:
        out.append(str(exc.reason))
try:
    requests.get("http://192.168.1.1/")
except requests.exceptions.ConnectionError as exc:
    out.append(str(exc))
out
"""
    reasons = run_ok(net_sandbox, code).result
    assert f"no network access to http://127.0.0.1:{other} in this sandbox" in reasons[0]
    assert "no network access to https://example.com:443 in this sandbox" in reasons[1]
    assert reasons[2].startswith(f"redirect from {server.base} to http://127.0.0.1:{other}/ refused")
    assert "no network access to http://192.168.1.1:80 in this sandbox" in reasons[3]


def test_injected_header_reaches_the_server_never_the_code(net_sandbox, server):
    code = f"""
import urllib.request
r = urllib.request.urlopen("{server.base}/secret")
print(r.read().decode(), r.headers["X-Echo"])
"""
    result = run_ok(net_sandbox, code)
    assert server.seen[-1]["headers"]["X-Api-Key"] == SECRET
    assert result.stdout == "your key is [redacted] [redacted]\n"
    assert SECRET not in json.dumps(result.as_dict())


def test_limits_reach_the_code_as_errors(net_sandbox, server):
    code = f"""
import requests
out = []
for path in ("/big?n=70000", "/hold"):
    try:
        requests.get("{server.base}" + path)
    except requests.exceptions.RequestException as exc:
        out.append([type(exc).__name__, str(exc)])
out
"""
    try:
        (big, slow) = run_ok(net_sandbox, code).result
        assert server.holding == 1  # the grant's 2 s watchdog gave up before any answer
    finally:
        server.release()
    assert big[0] == "ConnectionError"
    assert "max_response_bytes=65536" in big[1]
    assert slow[0] == "Timeout"
    assert "timed out" in slow[1]


def test_the_run_deadline_bounds_a_request(runtime, server):
    from langchain_wasm.python import WasmPythonSandbox

    sb = WasmPythonSandbox(
        limits=Limits(timeout_s=1.0, fuel=None, memory_bytes=512 * MIB), http=[HttpOrigin(server.base)]
    )
    with sb.session() as s:
        s.run("import urllib.request", timeout_s=60)  # the import is not what the deadline should stop
        try:
            with pytest.raises(WasmTimeoutError):
                s.run(f"urllib.request.urlopen('{server.base}/hold')")
            assert server.holding == 1  # the run's 1 s deadline cut the request before any answer
        finally:
            server.release()
    sb.close()


def test_no_grant_means_no_network_with_a_clear_message(sandbox, server):
    code = f"""
import urllib.request, socket, http.client
out = []
for attempt in (lambda: urllib.request.urlopen("{server.base}/echo"),
                lambda: socket.getaddrinfo("example.com", 80),
                lambda: http.client.HTTPSConnection("example.com").request("GET", "/"),
                lambda: __import__("requests").get("https://api.example.com/v1")):
    try:
        attempt()
        out.append("reached")
    except OSError as exc:
        out.append(str(exc))
out
"""
    before = len(server.seen)
    out = run_ok(sandbox, code).result
    assert f"no network access to http://127.0.0.1:{server.port} in this sandbox" in out[0]
    assert "no network access to example.com:80 in this sandbox" in out[1]
    assert "no network access to https://example.com:443 in this sandbox" in out[2]
    assert "no network access to https://api.example.com:443 in this sandbox" in out[3]
    assert len(server.seen) == before


def test_sessions_keep_the_grant_per_run(net_sandbox, server):
    with net_sandbox.session() as s:
        s.run("import requests")
        first = s.run(f"requests.get('{server.base}/echo').status_code")
        second = s.run(f"[requests.get('{server.base}/echo').status_code for _ in range(2)]")
    assert first.result == 200
    assert first.metrics.http.requests == 1
    assert second.metrics.http.requests == 2


def test_the_python_tool_tells_the_model_and_asks_for_approval(net_sandbox, sandbox, server):
    from langchain_wasm.graph.executor import needs_approval_by_default
    from langchain_wasm.python import WasmPythonTool

    tool = WasmPythonTool(sandbox=net_sandbox, stateful=False)
    assert f"HTTP(S) only to {server.base}" in tool.description
    assert needs_approval_by_default(None, tool)  # type: ignore[arg-type]
    plain = WasmPythonTool(sandbox=sandbox, stateful=False)
    assert "There is no network access" in plain.description
    assert not needs_approval_by_default(None, plain)  # type: ignore[arg-type]


def test_https_through_urllib_and_requests(runtime, tmp_path):
    import ssl

    from langchain_wasm.python import WasmPythonSandbox
    from tests.http_server import self_signed_cert

    tls = self_signed_cert(str(tmp_path))
    if tls is None:
        pytest.skip("needs the openssl command to make a certificate")
    srv = TestServer(tls=tls)
    try:
        grant = HttpGrant((HttpOrigin(srv.base),), ssl_context=ssl.create_default_context(cafile=tls[0]))
        sb = WasmPythonSandbox(limits=Limits(timeout_s=10, fuel=None, memory_bytes=512 * MIB), http=grant)
        code = f"""
import json, urllib.request, requests
(json.loads(urllib.request.urlopen("{srv.base}/echo?via=urllib").read())["path"],
 requests.get("{srv.base}/echo", params={{"via": "requests"}}).json()["path"])
"""
        assert run_ok(sb, code).result == ["/echo?via=urllib", "/echo?via=requests"]
    finally:
        srv.close()
