"""The guest-facing side of the network grant: request and response frames, and the ``lcw_http`` host functions.

A *request frame* is one line of JSON, optionally followed by ``\\n`` and the raw body::

    {"method": "POST", "url": "https://api.example.com/v1/x", "headers": [["Content-Type", "text/plain"]],
     "follow_redirects": true, "timeout_s": 5}

A *response frame* is one line of JSON, ``\\n``, then the raw body (JSON never holds a raw newline, so the
first ``\\n`` splits them)::

    {"ok": true, "status": 200, "reason": "OK", "url": "<final URL>", "headers": [[name, value], ...], "redirects": 0}
    {"ok": false, "error": "denied" | "limit" | "timeout" | "network" | "invalid", "message": "..."}

Core modules import ``lcw_http.request(ptr, len) -> i32`` (perform; the response frame's length, ``-1`` for a
range outside memory, ``-2`` for a frame over the limit) and ``lcw_http.response(ptr, cap) -> i32`` (copy the
pending response frame into ``[ptr, ptr + cap)``, drop it, return the bytes copied). The Python sandbox sends
the same frames through its ``host.call`` door. docs/guests.md has the full description.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from . import context
from .hostcall import GuestMemory, GuestMemoryError, HostStop
from .http_grant import HttpDenied, origin_of

if TYPE_CHECKING:  # the request values load with the first request (a run without a grant never makes one)
    from .http_types import HttpCallState, HttpRequest, HttpResponse

__all__ = [
    "HTTP_MODULE",
    "MAX_HEAD_BYTES",
    "handle_frame",
    "http_request",
    "http_response",
    "parse_request",
    "encode_response",
    "encode_error",
    "frame_limit",
    "current_state",
    "stop_if_late",
]

HTTP_MODULE = "lcw_http"
#: Most bytes of a request frame's JSON line (URL and headers).
MAX_HEAD_BYTES = 64 * 1024
_MASK = 0xFFFFFFFF
_FAULT, _TOO_LARGE, _NO_GRANT = -1, -2, -3


def parse_request(frame: bytes) -> HttpRequest:
    """A request frame as an ``HttpRequest``; ``HttpDenied("invalid")`` for anything malformed."""
    from .http_types import HttpRequest

    head, newline, body = frame.partition(b"\n")
    if len(head) > MAX_HEAD_BYTES:
        raise HttpDenied(f"request frame: the JSON line is over {MAX_HEAD_BYTES} bytes", "invalid")
    try:
        meta = json.loads(head)
    except (ValueError, RecursionError) as exc:
        raise HttpDenied(f"request frame: the first line is not JSON ({exc})", "invalid") from None
    if not isinstance(meta, dict):
        raise HttpDenied("request frame: the first line must be a JSON object", "invalid")
    method, url = meta.get("method", "GET"), meta.get("url")
    if not isinstance(method, str) or not isinstance(url, str):
        raise HttpDenied('request frame: "method" and "url" must be strings', "invalid")
    headers = meta.get("headers") or []
    if isinstance(headers, dict):
        headers = list(headers.items())
    if not isinstance(headers, list):
        raise HttpDenied('request frame: "headers" must be a list of [name, value] pairs', "invalid")
    timeout = meta.get("timeout_s")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
        raise HttpDenied('request frame: "timeout_s" must be a number', "invalid")
    return HttpRequest(
        method=method,
        url=url,
        headers=tuple(tuple(h) if isinstance(h, list) else h for h in headers),
        body=body if newline else b"",
        follow_redirects=meta.get("follow_redirects", True) is not False,
        timeout_s=float(timeout) if timeout is not None else None,
    )


def encode_response(resp: HttpResponse) -> bytes:
    head: dict[str, Any] = {
        "ok": True,
        "status": resp.status,
        "reason": resp.reason,
        "url": resp.url,
        "headers": [list(h) for h in resp.headers],
        "redirects": resp.redirects,
    }
    return json.dumps(head).encode() + b"\n" + resp.body


def encode_error(kind: str, message: str) -> bytes:
    return json.dumps({"ok": False, "error": kind, "message": message}).encode() + b"\n"


def handle_frame(state: HttpCallState | None, frame: bytes) -> bytes:
    """Answer one request frame (``state`` is ``None`` without a grant: everything is refused, origin named)."""
    try:
        req = parse_request(frame)
        if state is None:
            scheme, host, port, _ = origin_of(req.url)
            raise HttpDenied(f"no network access to {scheme}://{host}:{port} in this sandbox (no network grant)")
        from .http_client import fetch  # http.client and ssl load on the first granted request

        resp = fetch(state, req)
    except HttpDenied as exc:
        return encode_error(exc.kind, str(exc))
    return encode_response(resp)


def frame_limit(state: HttpCallState | None) -> int:
    """Most bytes a request frame may have under ``state``'s grant."""
    return MAX_HEAD_BYTES + 1 + (state.grant.max_request_bytes if state is not None else 0)


def current_state() -> HttpCallState | None:
    """The network state of the call running on this thread (``None`` without a grant)."""
    ctx = context.current()
    state: HttpCallState | None = getattr(ctx, "http", None) if ctx is not None else None
    return state


def stop_if_late(state: HttpCallState | None) -> None:
    """Stop the guest (as a timeout) if the call's deadline passed while the host was busy with a request:
    returning to a guest that may not reach an epoch check before it finishes would let it overrun."""
    if state is not None and state.deadline is not None and time.monotonic() >= state.deadline:
        ctx = context.current()
        if ctx is not None and ctx.stop_reason is None:
            ctx.stop_reason = "timeout"
        raise HostStop


def http_request(mem: GuestMemory, ptr: int, length: int) -> int:
    """``lcw_http.request``: perform the request frame at ``[ptr, ptr + length)``; keep the response pending."""
    state = current_state()
    if state is None:
        return _NO_GRANT
    ptr, length = ptr & _MASK, length & _MASK
    if length > frame_limit(state):
        state.refused += 1
        return _TOO_LARGE
    try:
        frame = mem.read(ptr, length)
    except GuestMemoryError:
        return _FAULT
    state.pending = handle_frame(state, frame)
    stop_if_late(state)
    return len(state.pending)


def http_response(mem: GuestMemory, ptr: int, cap: int) -> int:
    """``lcw_http.response``: copy the pending response frame (at most ``cap`` bytes) to ``ptr`` and drop it."""
    state = current_state()
    if state is None or state.pending is None:
        return 0
    ptr, cap = ptr & _MASK, cap & _MASK
    data = state.pending[:cap]
    try:
        mem.write(ptr, data)
    except GuestMemoryError:
        return _FAULT
    state.pending = None
    return len(data)
