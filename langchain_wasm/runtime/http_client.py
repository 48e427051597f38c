"""The host half of a granted request: resolve, check the addresses, connect to the address checked, follow
redirects only inside the grant, and stay inside the call's budgets. Standard library only (``http.client``).

The connection goes to the IP that passed the check (the Host header and TLS name are the URL's host), so a
DNS answer that changes between check and connect (rebinding) cannot send the request elsewhere. Headers the
grant injects are added here and redacted from whatever comes back, so the guest never sees them.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import socket
import ssl
import threading
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

from .http_grant import METHODS, HttpDenied, HttpGrant, HttpOrigin, _ip_literal, address_problem
from .http_types import HttpCallState, HttpRequest, HttpResponse

__all__ = ["HttpRequest", "HttpResponse", "HttpCallState", "fetch"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Headers the host owns: a guest's values are dropped (urllib adds some of them by itself).
_HOST_OWNED = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer",
     "proxy-authorization", "proxy-connection", "expect"}
)  # fmt: skip
#: Guest headers dropped when a redirect leaves the origin (as browsers and requests do).
_CREDENTIALS = frozenset({"authorization", "cookie"})
_REDACTED = b"[redacted]"


def fetch(state: HttpCallState, req: HttpRequest) -> HttpResponse:
    """Perform ``req`` under ``state``'s grant and budgets. Raises ``HttpDenied`` (its ``kind`` says why)."""
    t0 = time.monotonic()
    try:
        return _fetch(state, req, t0)
    except HttpDenied as exc:
        if exc.kind in ("denied", "invalid", "limit"):
            state.refused += 1
        raise
    finally:
        state.wall_s += time.monotonic() - t0


def _fetch(state: HttpCallState, req: HttpRequest, t0: float) -> HttpResponse:
    grant = state.grant
    method = req.method.upper() if isinstance(req.method, str) else ""
    if method not in METHODS:
        raise HttpDenied(f"no network access with method {str(req.method)[:20]!r} in this sandbox", "invalid")
    end = t0 + min(grant.timeout_s, req.timeout_s if req.timeout_s and req.timeout_s > 0 else math.inf)
    if state.deadline is not None:
        end = min(end, state.deadline)
    headers = _guest_headers(req.headers)
    url, body, previous = req.url, req.body, None
    for hop in range(grant.max_redirects + 1):
        try:
            origin = grant.check(method, url)
        except HttpDenied as exc:
            if previous is None:
                raise
            raise HttpDenied(f"redirect from {previous.origin} to {url[:200]} refused: {exc}", exc.kind) from None
        if previous is not None and previous.origin != origin.origin:
            headers = [(k, v) for k, v in headers if k.lower() not in _CREDENTIALS]
        try:
            addresses = _resolve(state, origin, end)
        except HttpDenied as exc:  # an address the grant refuses, maybe reached through a redirect
            if previous is None or exc.kind != "denied":
                raise
            raise HttpDenied(f"redirect from {previous.origin} to {url[:200]} refused: {exc}") from None
        _spend(state, origin, len(body))
        resp = _exchange(state, origin, addresses, method, url, headers, body, end)
        location = _header(resp.headers, "location")
        if not (req.follow_redirects and resp.status in _REDIRECTS and location):
            return HttpResponse(resp.status, resp.reason, url, resp.headers, resp.body, hop)
        if resp.status == 303 or (resp.status in (301, 302) and method == "POST"):
            method = "GET" if method != "HEAD" else "HEAD"
            body = b""
        previous, url = origin, urljoin(url, location)
    raise HttpDenied(f"too many redirects (more than {grant.max_redirects}) from {req.url[:200]}", "limit")


def _spend(state: HttpCallState, origin: HttpOrigin, body_len: int) -> None:
    grant = state.grant
    if state.requests >= grant.max_requests:
        raise HttpDenied(f"request to {origin.origin} refused: the call's limit of {grant.max_requests} requests "
                         "is used up", "limit")  # fmt: skip
    if state.bytes_out + body_len > grant.max_request_bytes:
        raise HttpDenied(f"request to {origin.origin} refused: its body of {body_len} bytes passes the call's limit "
                         f"of {grant.max_request_bytes} bytes sent", "limit")  # fmt: skip
    state.requests += 1
    state.bytes_out += body_len
    state.origins[origin.origin] = state.origins.get(origin.origin, 0) + 1


def _guest_headers(items: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for pair in items or ():
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise HttpDenied("request headers must be [name, value] pairs of strings", "invalid")
        name, value = pair
        if not name or any(c in name for c in ":\r\n\0 \t") or any(c in value for c in "\r\n\0"):
            raise HttpDenied(f"invalid request header {name[:60]!r}", "invalid")
        if name.lower() not in _HOST_OWNED:
            out.append((name, value))
    if len(out) > 64 or sum(len(k) + len(v) for k, v in out) > 32768:
        raise HttpDenied("too many or too large request headers (64 headers, 32 KiB at most)", "invalid")
    return out


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _resolve(state: HttpCallState, origin: HttpOrigin, end: float) -> list[str]:
    host, port = origin.host, origin.port
    literal = _ip_literal(host)
    if literal is not None:
        addresses = [str(literal)]
    elif state.grant.resolver is not None:
        addresses = [str(a) for a in state.grant.resolver(host, port)]
    else:
        addresses = _dns(host, port, max(0.0, end - time.monotonic()))
    if not addresses:
        raise HttpDenied(f"no network access to {origin.origin}: {host} does not resolve", "network")
    if origin.allow_private or origin.explicit_ip:
        return addresses
    for address in addresses:
        try:
            problem = address_problem(address)
        except ValueError:
            problem = "invalid"
        if problem is not None:
            raise HttpDenied(
                f"no network access to {origin.origin} in this sandbox: {host} resolves to {address}, a {problem} "
                "address (the grant would need allow_private=True on this origin)"
            )
    return addresses


def _dns(host: str, port: int, timeout: float) -> list[str]:
    """``getaddrinfo`` bounded by ``timeout`` (it has none of its own)."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["ok"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            box["error"] = exc

    worker = threading.Thread(target=work, name="langchain-wasm-dns", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise HttpDenied(f"resolving {host} timed out", "timeout")
    if "error" in box:
        raise HttpDenied(f"cannot resolve {host}: {box['error']}", "network")
    return list(dict.fromkeys(str(info[4][0]) for info in box["ok"]))


class _Pinned(http.client.HTTPConnection):
    """An HTTP connection to one checked address; Host header from the URL's host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address
        self.live: Any = None  # the socket, kept for the watchdog (http.client drops ``sock`` on close)

    def connect(self) -> None:
        self.sock = self.live = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedTLS(_Pinned):
    default_port = 443

    def __init__(self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, address, timeout)
        self.context = context

    def connect(self) -> None:
        super().connect()
        self.sock = self.live = self.context.wrap_socket(self.sock, server_hostname=self.host.strip("[]"))


_tls: ssl.SSLContext | None = None


def _default_tls() -> ssl.SSLContext:
    """The system trust store, verification on; built once (loading the store takes milliseconds)."""
    global _tls
    if _tls is None:
        _tls = ssl.create_default_context()
    return _tls


def _abort(conn: _Pinned) -> None:
    """The watchdog: at the deadline, cut the connection whatever http.client is blocked in."""
    sock = conn.live
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _exchange(
    state: HttpCallState,
    origin: HttpOrigin,
    addresses: list[str],
    method: str,
    url: str,
    guest: list[tuple[str, str]],
    body: bytes,
    end: float,
) -> HttpResponse:
    remaining = end - time.monotonic()
    if remaining <= 0:
        raise HttpDenied(f"request to {origin.origin} not sent: the call's time is up", "timeout")
    injected = {k.lower() for k in origin.headers}
    headers = {k: v for k, v in guest if k.lower() not in injected}
    headers.update(origin.headers)
    if not any(k.lower() == "user-agent" for k in headers):
        headers["User-Agent"] = "langchain-wasm"
    headers["Connection"] = "close"
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    context = (state.grant.ssl_context or _default_tls()) if origin.scheme == "https" else None
    last: BaseException | None = None
    for address in addresses:
        remaining = end - time.monotonic()
        if remaining <= 0:
            break
        conn = (
            _PinnedTLS(origin.host, origin.port, address, remaining, context)
            if context is not None
            else _Pinned(origin.host, origin.port, address, remaining)
        )
        watchdog = threading.Timer(remaining, _abort, (conn,))
        watchdog.daemon = True
        watchdog.start()
        try:
            try:
                conn.connect()
            except OSError as exc:
                last = exc
                continue
            conn.request(method, target, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = _read_body(state, origin, resp, method)
            if time.monotonic() >= end:  # the watchdog cut the body short
                raise OSError("cut at the deadline")
            if data is None:
                raise http.client.IncompleteRead(b"")
            return _redact(state.grant, resp, data, url)
        except HttpDenied:
            raise
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if time.monotonic() >= end:
                raise HttpDenied(f"request to {origin.origin} timed out (the time left was {remaining:.3g} s)",
                                 "timeout") from None  # fmt: skip
            raise HttpDenied(f"request to {origin.origin} failed: {type(exc).__name__}: {exc}", "network") from None
        finally:
            watchdog.cancel()
            conn.close()
    if time.monotonic() >= end:
        raise HttpDenied(f"request to {origin.origin} timed out while connecting", "timeout")
    raise HttpDenied(f"cannot connect to {origin.origin}: {last}", "network")


def _read_body(state: HttpCallState, origin: HttpOrigin, resp: http.client.HTTPResponse, method: str) -> bytes | None:
    """The body within the call's budget (``HttpDenied`` past it); ``None`` if it ended before its length."""
    if method == "HEAD":
        return b""
    room = state.grant.max_response_bytes - state.bytes_in
    declared = resp.getheader("content-length")
    if declared is not None and declared.isdigit() and int(declared) > room:
        raise HttpDenied(
            f"response from {origin.origin} ({declared} bytes) passes the call's remaining budget of {room} bytes "
            f"received (max_response_bytes={state.grant.max_response_bytes})",
            "limit",
        )
    chunks, size = [], 0
    while True:
        chunk = resp.read(min(65536, room - size + 1))
        if not chunk:
            break
        size += len(chunk)
        state.bytes_in += len(chunk)
        if size > room:
            raise HttpDenied(f"response from {origin.origin} passes the call's remaining budget of {room} bytes "
                             f"received (max_response_bytes={state.grant.max_response_bytes})", "limit")  # fmt: skip
        chunks.append(chunk)
    if declared is not None and declared.isdigit() and size < int(declared):
        return None
    return b"".join(chunks)


def _redact(grant: HttpGrant, resp: http.client.HTTPResponse, body: bytes, url: str) -> HttpResponse:
    secrets = sorted(
        {v.encode("utf-8") for o in grant.origins for v in o.headers.values() if len(v) >= 4}, key=len, reverse=True
    )
    headers = []
    for name, value in resp.getheaders():
        raw = value.encode("utf-8", "surrogateescape")
        for secret in secrets:
            raw = raw.replace(secret, _REDACTED)
        headers.append((name, raw.decode("utf-8", "replace")))
    for secret in secrets:
        body = body.replace(secret, _REDACTED)
    return HttpResponse(resp.status, resp.reason or "", url, tuple(headers), body)
