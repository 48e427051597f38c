"""The network grant: an allow-list of HTTP(S) origins the host may reach on a guest's behalf. Never a socket.

``HttpGrant`` lists ``HttpOrigin``s (scheme + host + port, an optional path prefix and methods, headers the
host adds) and per-call budgets. The host checks every request, and every redirect, against the list, and
refuses private, loopback and link-local addresses after DNS resolution unless the origin says otherwise, so a
guest cannot reach the host's own network (SSRF) by naming it or by a DNS name that points there.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["HttpOrigin", "HttpGrant", "HttpDenied", "address_problem", "origin_of", "METHODS"]

#: Methods a grant can name. CONNECT and TRACE are never allowed.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_MIB = 1024 * 1024


class HttpDenied(Exception):  # noqa: N818 - a refusal, reported to the guest as data
    """A request the grant does not allow; the message names the origin and is what the guest sees."""

    def __init__(self, message: str, kind: str = "denied") -> None:
        super().__init__(message)
        self.kind = kind


def _norm_host(host: str) -> str:
    host = host.lower()
    if ":" in host:  # an IPv6 literal
        return f"[{ipaddress.IPv6Address(host).compressed}]"
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"invalid host name {host!r}") from None


def origin_of(url: str) -> tuple[str, str, int, str]:
    """``(scheme, host, port, path)`` of an absolute URL, host normalised (lower case, IDNA, IPv6 compressed).

    Raises ``HttpDenied`` for what no grant can allow: other schemes, credentials in the URL, no host.
    """
    if not isinstance(url, str) or not url or any(c in url for c in "\r\n\0\t "):
        raise HttpDenied(f"no network access to {str(url)[:200]!r} in this sandbox (not an absolute URL)", "invalid")
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise HttpDenied(f"no network access to {url[:200]} in this sandbox ({exc})", "invalid") from None
    if scheme not in _DEFAULT_PORTS:
        shown = f"{scheme}://{parts.netloc}" if parts.netloc else url[:200]
        raise HttpDenied(f"no network access to {shown} in this sandbox (only http and https can be granted)")
    if not host:
        raise HttpDenied(f"no network access to {url[:200]} in this sandbox (the URL has no host)", "invalid")
    if parts.username is not None or parts.password is not None:
        raise HttpDenied(f"no network access to {scheme}://{host} in this sandbox (credentials in URLs are refused)")
    try:
        norm = _norm_host(host)
    except ValueError as exc:
        raise HttpDenied(f"no network access to {url[:200]} in this sandbox ({exc})", "invalid") from None
    return scheme, norm, port or _DEFAULT_PORTS[scheme], parts.path or "/"


def _origin_text(scheme: str, host: str, port: int) -> str:
    return f"{scheme}://{host}:{port}"


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def address_problem(address: str) -> str | None:
    """Why ``address`` is not a public internet address (loopback, private, link-local, ...), or ``None``.

    IPv4 addresses embedded in IPv6 (mapped, 6to4, Teredo) are judged by the IPv4 address they carry.
    """
    ip: Any = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None:
            return address_problem(str(inner)) or (None if ip.ipv4_mapped else _kind(ip))
    return _kind(ip)


def _kind(ip: Any) -> str | None:
    for attr, what in (
        ("is_loopback", "loopback"),
        ("is_unspecified", "unspecified"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
    ):
        if getattr(ip, attr):
            return what
    return None if ip.is_global else "non-public"


@dataclass(frozen=True, slots=True)
class HttpOrigin:
    """One origin the guest may reach, e.g. ``HttpOrigin("https://api.example.com/v1/", methods=("GET",))``.

    Attributes:
        url: ``scheme://host[:port][/path-prefix]``; the port defaults to 80/443. With a path prefix only paths
            under it are allowed (``/v1/`` allows ``/v1/x``, not ``/v2``; dot segments are refused).
        methods: the allowed methods (default: all of ``METHODS``).
        headers: headers the host adds to every request to this origin (an API key); they replace any the
            guest sends with the same name, and the guest never sees them (echoes in responses are redacted).
        allow_private: the host name may resolve to loopback/private/link-local addresses. An origin whose host
            is such an IP literal (``http://127.0.0.1:8080``) is explicit and needs no flag.
    """

    url: str
    methods: tuple[str, ...] = tuple(sorted(METHODS))
    headers: Mapping[str, str] = field(default_factory=dict)
    allow_private: bool = False
    scheme: str = field(init=False, repr=False)
    host: str = field(init=False, repr=False)
    port: int = field(init=False, repr=False)
    path_prefix: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            scheme, host, port, path = origin_of(self.url)
        except HttpDenied as exc:
            raise ValueError(f"HttpOrigin: {exc}") from None
        parts = urlsplit(self.url)
        if parts.query or parts.fragment:
            raise ValueError(f"HttpOrigin: {self.url!r} must not have a query or fragment")
        methods = tuple(m.upper() for m in self.methods)
        bad = [m for m in methods if m not in METHODS]
        if bad or not methods:
            raise ValueError(f"HttpOrigin {self.url!r}: methods must be among {sorted(METHODS)}, got {bad or '[]'}")
        headers = dict(self.headers)
        for name, value in headers.items():
            if not isinstance(name, str) or not _TOKEN.match(name) or not isinstance(value, str):
                raise ValueError(f"HttpOrigin {self.url!r}: invalid header {name!r}")
            if any(c in value for c in "\r\n\0"):
                raise ValueError(f"HttpOrigin {self.url!r}: header {name!r} has a line break or NUL")
        object.__setattr__(self, "methods", methods)
        object.__setattr__(self, "headers", headers)
        object.__setattr__(self, "scheme", scheme)
        object.__setattr__(self, "host", host)
        object.__setattr__(self, "port", port)
        object.__setattr__(self, "path_prefix", "" if path == "/" else path)

    def __hash__(self) -> int:
        return hash((self.url, self.methods, tuple(sorted(self.headers.items())), self.allow_private))

    @property
    def origin(self) -> str:
        """``scheme://host:port``, the metrics label and the name in errors."""
        return _origin_text(self.scheme, self.host, self.port)

    @property
    def explicit_ip(self) -> bool:
        """The host is an IP literal: the grant names the address itself."""
        return _ip_literal(self.host) is not None

    def allows_path(self, path: str) -> bool:
        if not self.path_prefix:
            return True
        prefix = self.path_prefix
        return path == prefix.rstrip("/") or path.startswith(prefix if prefix.endswith("/") else prefix + "/")


def _as_origin(item: HttpOrigin | str) -> HttpOrigin:
    if isinstance(item, HttpOrigin):
        return item
    if isinstance(item, str):
        return HttpOrigin(item)
    raise TypeError(f"HttpGrant.origins: expected HttpOrigin or str, got {type(item).__name__}")


Resolver = Callable[[str, int], Sequence[str]]


@dataclass(frozen=True, slots=True)
class HttpGrant:
    """HTTP(S) requests to listed origins, made by the host for the guest, under per-call budgets.

    Attributes:
        origins: the allow-list (``HttpOrigin`` or URL strings).
        max_requests: requests per call (each redirect hop counts).
        max_request_bytes: request body bytes per call, all requests together.
        max_response_bytes: response body bytes per call, all responses together; a response that would pass
            it is refused (the guest gets an error, not a truncated body).
        timeout_s: seconds per request (connect to last byte), and never past the call's own deadline.
        max_redirects: redirects followed per request, each checked against the allow-list.
        resolver: ``(host, port) -> [ip, ...]`` replacing DNS (tests, pinned hosts); every address it returns
            is checked like a DNS answer.
        ssl_context: the ``ssl.SSLContext`` for https (default: the system's trust store, verification on).
    """

    origins: tuple[HttpOrigin, ...]
    max_requests: int = 16
    max_request_bytes: int = 1 * _MIB
    max_response_bytes: int = 8 * _MIB
    timeout_s: float = 10.0
    max_redirects: int = 5
    resolver: Resolver | None = field(default=None, compare=False)
    ssl_context: Any = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.origins, (str, HttpOrigin)):
            object.__setattr__(self, "origins", (self.origins,))
        origins = tuple(_as_origin(o) for o in self.origins)
        if not origins:
            raise ValueError("HttpGrant needs at least one origin")
        object.__setattr__(self, "origins", origins)
        for name in ("max_requests", "max_request_bytes", "max_response_bytes", "max_redirects"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"HttpGrant.{name} must be an int >= 0, got {value!r}")
        if not self.timeout_s > 0:
            raise ValueError(f"HttpGrant.timeout_s must be > 0, got {self.timeout_s!r}")

    def __hash__(self) -> int:
        return hash((self.origins, self.max_requests, self.max_request_bytes, self.max_response_bytes))

    @classmethod
    def of(cls, value: HttpGrant | HttpOrigin | Iterable[HttpOrigin | str] | str) -> HttpGrant:
        """A grant from a grant, one URL, or a list of origins/URLs."""
        if isinstance(value, HttpGrant):
            return value
        if isinstance(value, (str, HttpOrigin)):
            return cls((_as_origin(value),))
        return cls(tuple(value))  # type: ignore[arg-type]

    def describe(self) -> str:
        """The allowed origins in one line (what an error or a tool description tells the model)."""
        return ", ".join(f"{o.scheme}://{o.host}:{o.port}{o.path_prefix}" for o in self.origins)

    def check(self, method: str, url: str) -> HttpOrigin:
        """The listed origin that allows ``method url``; ``HttpDenied`` naming the origin otherwise."""
        scheme, host, port, path = origin_of(url)
        where = _origin_text(scheme, host, port)
        same = [o for o in self.origins if (o.scheme, o.host, o.port) == (scheme, host, port)]
        if not same:
            raise HttpDenied(f"no network access to {where} in this sandbox (allowed: {self.describe()})")
        segments = unquote(path).replace("\\", "/").split("/")
        if any(s in (".", "..") for s in segments):
            raise HttpDenied(f"no network access to {where}{path[:200]} in this sandbox (dot segments in the path)")
        by_path = [o for o in same if o.allows_path(path)]
        if not by_path:
            prefixes = ", ".join(o.path_prefix for o in same)
            raise HttpDenied(f"no network access to {where}{path[:200]} in this sandbox (only paths under {prefixes})")
        for origin in by_path:
            if method in origin.methods:
                return origin
        allowed = sorted({m for o in by_path for m in o.methods})
        raise HttpDenied(f"no network access to {where} with method {method} in this sandbox (allowed: {allowed})")
