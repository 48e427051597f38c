"""The network grant end to end: a real WAT guest (guests/wat/http_fetch.wat) asks the host, through the
``lcw_http`` host functions, for requests to a real HTTP server on 127.0.0.1 that the test starts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langchain_wasm.errors import WasmCapabilityError, WasmTimeoutError
from langchain_wasm.runtime import Capabilities, Limits, WasmModule
from langchain_wasm.runtime.http_grant import HttpGrant, HttpOrigin, address_problem, origin_of
from tests.http_server import TestServer, self_signed_cert

FETCH_WAT = Path(__file__).parents[2] / "guests" / "wat" / "http_fetch.wat"
SECRET = "sk-test-0123456789"


@pytest.fixture(scope="module")
def server():
    srv = TestServer()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def fetch_module():
    return WasmModule.from_wat(FETCH_WAT.read_text(), name="http_fetch")


def fetch(module, grant, url, *, method="GET", body=b"", headers=(), limits=None, **extra):
    """Run the guest with one request frame; returns (response head, body, call result)."""
    meta = {"method": method, "url": url, "headers": [list(h) for h in headers], **extra}
    frame = json.dumps(meta).encode() + (b"\n" + body if body else b"")
    result = module.run(
        stdin=frame, capabilities=Capabilities.command(http=grant), limits=limits or Limits(timeout_s=5)
    )
    head, _, payload = result.stdout.partition(b"\n")
    return json.loads(head), payload, result


def grant_for(server, **kw):
    origin_kw = {k: kw.pop(k) for k in ("methods", "headers", "allow_private") if k in kw}
    return HttpGrant((HttpOrigin(server.base, **origin_kw),), **kw)


# -- allowed requests ------------------------------------------------------------------------------------


def test_allowed_get_reaches_the_server_with_metrics(server, fetch_module):
    info, body, result = fetch(fetch_module, grant_for(server), f"{server.base}/echo?q=1")
    assert info["ok"]
    assert info["status"] == 200
    assert json.loads(body)["path"] == "/echo?q=1"
    net = result.metrics.http
    assert net is not None
    assert net.requests == 1
    assert net.refused == 0
    assert net.origins == (server.base,)
    assert net.bytes_in == len(body)
    assert net.bytes_out == 0
    assert result.metrics.as_dict()["http"]["by_origin"] == {server.base: 1}


def test_allowed_post_sends_the_body(server, fetch_module):
    info, body, result = fetch(
        fetch_module, grant_for(server), f"{server.base}/echo", method="POST", body=b'{"a": 1}',
        headers=[("Content-Type", "application/json")],
    )  # fmt: skip
    echo = json.loads(body)
    assert info["status"] == 200
    assert echo["method"] == "POST"
    assert echo["body"] == '{"a": 1}'
    assert result.metrics.http.bytes_out == 8


def test_head_with_a_large_declared_length_is_not_a_body(server, fetch_module):
    info, body, _ = fetch(
        fetch_module, grant_for(server, max_response_bytes=10), f"{server.base}/big?n=5000", method="HEAD"
    )
    assert info["ok"]
    assert ["Content-Length", "5000"] in info["headers"]
    assert body == b""


def test_calls_without_a_grant_have_no_http_metrics(fetch_module):
    add = WasmModule.from_wat('(module (func (export "f") (result i32) i32.const 1))')
    assert add.call("f").metrics.http is None


def test_the_guest_cannot_load_without_a_grant(fetch_module):
    with pytest.raises(WasmCapabilityError, match="needs a network grant"):
        fetch_module.run(stdin=b"{}", capabilities=Capabilities.command())


# -- refusals --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:{other}/echo", "no network access to http://127.0.0.1:{other} in this sandbox"),
        ("http://localhost:{port}/echo", "no network access to http://localhost:{port} in this sandbox"),
        ("https://127.0.0.1:{port}/echo", "no network access to https://127.0.0.1:{port} in this sandbox"),
        ("ftp://127.0.0.1:{port}/x", "no network access to ftp://127.0.0.1:{port} in this sandbox"),
        ("file:///etc/passwd", "no network access to file:///etc/passwd in this sandbox"),
        ("http://10.0.0.1/", "no network access to http://10.0.0.1:80 in this sandbox"),
    ],
)
def test_other_ports_hosts_and_schemes_are_refused(server, fetch_module, url, why):
    fmt = {"port": server.port, "other": server.port + 1}
    before = len(server.seen)
    info, _, result = fetch(fetch_module, grant_for(server), url.format(**fmt))
    assert not info["ok"]
    assert info["error"] == "denied"
    assert why.format(**fmt) in info["message"]
    assert len(server.seen) == before
    assert result.metrics.http.refused == 1
    assert result.metrics.http.requests == 0


def test_methods_outside_the_grant_are_refused(server, fetch_module):
    info, _, _ = fetch(fetch_module, grant_for(server, methods=("GET",)), f"{server.base}/echo", method="POST")
    assert not info["ok"]
    assert "with method POST" in info["message"]
    assert "['GET']" in info["message"]
    info, _, _ = fetch(fetch_module, grant_for(server), f"{server.base}/echo", method="TRACE")
    assert not info["ok"]
    assert info["error"] == "invalid"


def test_path_prefix_limits_paths(server, fetch_module):
    grant = HttpGrant((HttpOrigin(server.base + "/api/"),))
    assert fetch(fetch_module, grant, f"{server.base}/api/echo")[0]["ok"]
    for path in ("/echo", "/apix", "/api/../echo", "/api/%2e%2e/echo"):
        info, _, _ = fetch(fetch_module, grant, server.base + path)
        assert not info["ok"], path
        assert "no network access" in info["message"], path


def test_redirect_within_the_grant_is_followed(server, fetch_module):
    info, body, result = fetch(fetch_module, grant_for(server), f"{server.base}/redirect?to=/echo%3Fafter%3D1")
    assert info["ok"]
    assert info["redirects"] == 1
    assert info["url"] == f"{server.base}/echo?after=1"
    assert json.loads(body)["path"] == "/echo?after=1"
    assert result.metrics.http.requests == 2


def test_redirect_to_an_unlisted_origin_is_refused(server, fetch_module):
    for target in (
        f"http://127.0.0.1:{server.port + 1}/",
        f"http://localhost:{server.port}/echo",
        "file:///etc/passwd",
    ):
        before = len(server.seen)
        info, _, _ = fetch(fetch_module, grant_for(server), f"{server.base}/redirect?to={target}")
        assert not info["ok"]
        assert info["message"].startswith(f"redirect from {server.base} to ")
        assert "no network access to" in info["message"]
        assert len(server.seen) == before + 1  # only the first hop went out


def test_redirects_are_not_followed_when_asked(server, fetch_module):
    info, _, _ = fetch(fetch_module, grant_for(server), f"{server.base}/redirect?to=/echo", follow_redirects=False)
    assert info["status"] == 302
    assert ["Location", "/echo"] in info["headers"]


# -- DNS and private addresses ---------------------------------------------------------------------------


def test_localhost_is_refused_when_listed_without_allow_private(server, fetch_module):
    grant = HttpGrant((HttpOrigin(f"http://localhost:{server.port}"),))
    info, _, _ = fetch(fetch_module, grant, f"http://localhost:{server.port}/echo")
    assert not info["ok"]
    assert "localhost resolves to" in info["message"]
    assert "loopback" in info["message"]
    allowed = HttpGrant((HttpOrigin(f"http://localhost:{server.port}", allow_private=True),))
    assert fetch(fetch_module, allowed, f"http://localhost:{server.port}/echo")[0]["ok"]


def test_a_name_resolving_to_loopback_or_private_is_refused(server, fetch_module):
    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.10", "169.254.169.254", "::1", "::ffff:127.0.0.1"):
        grant = HttpGrant((HttpOrigin(f"http://api.example.test:{server.port}"),), resolver=lambda h, p, a=address: [a])
        info, _, _ = fetch(fetch_module, grant, f"http://api.example.test:{server.port}/echo")
        assert not info["ok"], address
        assert f"resolves to {address}" in info["message"], address


def test_the_connection_goes_to_the_address_checked(server, fetch_module):
    grant = HttpGrant(
        (HttpOrigin(f"http://api.example.test:{server.port}", allow_private=True),),
        resolver=lambda host, port: ["127.0.0.1"],
    )
    info, body, _ = fetch(fetch_module, grant, f"http://api.example.test:{server.port}/echo")
    assert info["ok"]
    assert json.loads(body)["headers"]["Host"] == f"api.example.test:{server.port}"


# -- limits ----------------------------------------------------------------------------------------------


def test_response_size_limit(server, fetch_module):
    grant = grant_for(server, max_response_bytes=1000)
    assert fetch(fetch_module, grant, f"{server.base}/big?n=1000")[0]["ok"]
    for path in ("/big?n=1001", "/stream?n=5000"):
        info, _, _ = fetch(fetch_module, grant, server.base + path)
        assert not info["ok"]
        assert info["error"] == "limit"
        assert "max_response_bytes=1000" in info["message"]


def test_request_time_limit(server, fetch_module):
    try:
        info, _, result = fetch(fetch_module, grant_for(server, timeout_s=0.3), f"{server.base}/hold")
        assert not info["ok"]
        assert info["error"] == "timeout"
        assert server.holding == 1  # the host gave up while the server still held its answer: a cut, no wait
        assert result.metrics.http.requests == 1
    finally:
        server.release()
    # a byte every 0.05 s for 100 s: a per-read timeout never fires, only the request's watchdog stops it
    info, _, _ = fetch(fetch_module, grant_for(server, timeout_s=0.5), f"{server.base}/drip?n=2000&s=0.05")
    assert not info["ok"]
    assert info["error"] == "timeout"


def test_request_time_is_cut_at_the_calls_deadline(server, fetch_module):
    try:
        with pytest.raises(WasmTimeoutError) as err:
            fetch(fetch_module, grant_for(server, timeout_s=30), f"{server.base}/hold", limits=Limits(timeout_s=0.4))
        assert server.holding == 1  # cut by the call's deadline before any answer (the grant allowed 30 s)
        assert err.value.metrics.trap == "timeout"
    finally:
        server.release()


def test_request_count_and_bytes_out_limits(server, fetch_module):
    info, _, _ = fetch(fetch_module, grant_for(server, max_request_bytes=10), f"{server.base}/echo", method="POST",
                       body=b"x" * 11)  # fmt: skip
    assert info["error"] == "limit"
    assert "10 bytes sent" in info["message"]
    info, _, _ = fetch(fetch_module, grant_for(server, max_requests=1), f"{server.base}/redirect?to=/echo")
    assert info["error"] == "limit"
    assert "limit of 1 requests" in info["message"]
    info, _, _ = fetch(fetch_module, grant_for(server, max_redirects=3), f"{server.base}/loop")
    assert info["error"] == "limit"
    assert "too many redirects" in info["message"]


# -- injected headers ------------------------------------------------------------------------------------


def test_injected_header_reaches_the_server_never_the_guest(server, fetch_module):
    grant = grant_for(server, headers={"X-Api-Key": SECRET})
    info, body, result = fetch(fetch_module, grant, f"{server.base}/secret", headers=[("X-Api-Key", "guest-value")])
    assert server.seen[-1]["headers"]["X-Api-Key"] == SECRET  # the grant's value replaced the guest's
    assert info["ok"]
    assert body == b"your key is [redacted]"
    assert SECRET.encode() not in result.stdout
    assert SECRET.encode() not in result.stderr
    assert ["X-Echo", "[redacted]"] in info["headers"]


# -- parsing ---------------------------------------------------------------------------------------------


def test_origin_parsing_and_address_kinds():
    assert origin_of("HTTPS://Example.COM/a") == ("https", "example.com", 443, "/a")
    assert origin_of("http://[::1]:8080") == ("http", "[::1]", 8080, "/")
    assert address_problem("8.8.8.8") is None
    assert address_problem("127.0.0.1") == "loopback"
    assert address_problem("::ffff:10.0.0.1") == "private"
    assert address_problem("100.64.0.1") is not None  # carrier-grade NAT is not public either
    with pytest.raises(ValueError, match="methods"):
        HttpOrigin("http://x", methods=("CONNECT",))
    with pytest.raises(ValueError, match="line break"):
        HttpOrigin("http://x", headers={"X": "a\r\nB: c"})
    with pytest.raises(ValueError, match="only http and https"):
        HttpOrigin("ftp://x")
    assert Capabilities(http=["http://x"]).http == HttpGrant((HttpOrigin("http://x"),))


def test_prometheus_sink_counts_requests_by_origin(server, fetch_module):
    prom = pytest.importorskip("prometheus_client")
    from langchain_wasm.runtime import PrometheusSink, set_metrics_sink

    registry = prom.CollectorRegistry()
    previous = set_metrics_sink(PrometheusSink(registry=registry))
    try:
        fetch(fetch_module, grant_for(server), f"{server.base}/redirect?to=/echo")
        fetch(fetch_module, grant_for(server), "http://10.9.9.9/")
    finally:
        set_metrics_sink(previous)
    value = registry.get_sample_value
    labels = {"module": "http_fetch"}
    assert value("langchain_wasm_http_requests_total", {**labels, "origin": server.base}) == 2
    assert value("langchain_wasm_http_refused_total", labels) == 1
    assert value("langchain_wasm_http_bytes_total", {**labels, "direction": "in"}) > 0


def test_https_with_verification(tmp_path, fetch_module):
    import ssl

    tls = self_signed_cert(str(tmp_path))
    if tls is None:
        pytest.skip("needs the openssl command to make a certificate")
    srv = TestServer(tls=tls)
    try:
        trusted = HttpGrant((HttpOrigin(srv.base),), ssl_context=ssl.create_default_context(cafile=tls[0]))
        info, body, _ = fetch(fetch_module, trusted, f"{srv.base}/echo")
        assert info["ok"]
        assert json.loads(body)["path"] == "/echo"
        info, _, _ = fetch(fetch_module, HttpGrant((HttpOrigin(srv.base),)), f"{srv.base}/echo")  # system trust
        assert info["error"] == "network"
        assert "CERTIFICATE_VERIFY_FAILED" in info["message"]
        plain = srv.base.replace("https://", "http://")
        info, _, _ = fetch(fetch_module, trusted, plain + "/echo")
        assert info["error"] == "denied"
    finally:
        srv.close()
