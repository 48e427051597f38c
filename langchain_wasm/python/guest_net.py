"""The guest half of the network grant: Python source appended to the driver (module ``_lcw``).

There are no sockets in the sandbox. ``urllib.request`` (``http``/``https`` handlers) and a small
``requests``-compatible module send each request as a frame through the host door
(``_host.call(b"LCWHTTP" + frame)``); the host checks it against the grant and performs it. Both are patched
lazily by an import hook (importing ``urllib.request`` costs ~0.16 s in the guest; nothing is imported until
the code does). Sockets (``socket.getaddrinfo``, ``http.client`` connections) fail with the same message as a
refused origin: "no network access to <origin> in this sandbox".
"""

from __future__ import annotations

__all__ = ["NET_SOURCE", "REQUESTS_SOURCE"]

REQUESTS_SOURCE = r'''
"""A small requests-compatible client for the langchain-wasm sandbox: requests go through the host's grant."""
import json as _json
import sys as _sys
import types as _types

_lcw = _sys.modules["_lcw"]
__version__ = "0+langchain-wasm"


class RequestException(OSError):
    def __init__(self, *args, response=None, request=None):
        super().__init__(*args)
        self.response, self.request = response, request


class ConnectionError(RequestException): pass
class HTTPError(RequestException): pass
class Timeout(RequestException): pass
class ConnectTimeout(ConnectionError, Timeout): pass
class ReadTimeout(Timeout): pass
class TooManyRedirects(RequestException): pass
class InvalidURL(RequestException, ValueError): pass


exceptions = _types.ModuleType("requests.exceptions")
for _n in ("RequestException", "ConnectionError", "HTTPError", "Timeout", "ConnectTimeout", "ReadTimeout",
           "TooManyRedirects", "InvalidURL"):
    setattr(exceptions, _n, globals()[_n])
_sys.modules["requests.exceptions"] = exceptions


class CaseInsensitiveDict(dict):
    def __init__(self, items=()):
        super().__init__()
        self._keys = {}
        for k, v in (items.items() if hasattr(items, "items") else items):
            self[k] = v

    def __setitem__(self, k, v):
        old = self._keys.get(k.lower())
        if old is not None and old != k:
            super().__delitem__(old)
        self._keys[k.lower()] = k
        super().__setitem__(k, v)

    def __getitem__(self, k):
        return super().__getitem__(self._keys.get(k.lower(), k))

    def __contains__(self, k):
        return isinstance(k, str) and k.lower() in self._keys

    def get(self, k, default=None):
        return self[k] if k in self else default


class Response:
    def __init__(self, info, body, method):
        self.status_code, self.reason, self.url = info["status"], info["reason"], info["url"]
        self.headers = CaseInsensitiveDict()
        for k, v in info["headers"]:
            self.headers[k] = f"{self.headers[k]}, {v}" if k in self.headers else v
        self.content, self.request_method = body, method
        self.encoding = None
        ctype = self.headers.get("content-type", "")
        if "charset=" in ctype:
            self.encoding = ctype.split("charset=", 1)[1].split(";")[0].strip().strip('"') or None

    ok = property(lambda self: self.status_code < 400)

    @property
    def text(self):
        return self.content.decode(self.encoding or "utf-8", "replace")

    def json(self, **kw):
        return _json.loads(self.content.decode(self.encoding or "utf-8"), **kw)

    def raise_for_status(self):
        if self.status_code >= 400:
            kind = "Client" if self.status_code < 500 else "Server"
            raise HTTPError(f"{self.status_code} {kind} Error: {self.reason} for url: {self.url}", response=self)

    def iter_content(self, chunk_size=1, decode_unicode=False):
        for i in range(0, len(self.content), chunk_size or len(self.content) or 1):
            yield self.content[i:i + (chunk_size or len(self.content))]

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def __repr__(self):
        return f"<Response [{self.status_code}]>"


def _encode_params(url, params):
    if not params:
        return url
    from urllib.parse import urlencode
    query = urlencode(list(params.items()) if hasattr(params, "items") else params, doseq=True)
    return url + ("&" if "?" in url else "?") + query


def request(method, url, params=None, data=None, json=None, headers=None, timeout=None, allow_redirects=True,
            **_ignored):
    hdrs = CaseInsensitiveDict(headers or {})
    body = b""
    if json is not None:
        body = _json.dumps(json).encode()
        if "content-type" not in hdrs:
            hdrs["Content-Type"] = "application/json"
    elif isinstance(data, dict) or (isinstance(data, (list, tuple)) and data and isinstance(data[0], tuple)):
        from urllib.parse import urlencode
        body = urlencode(data, doseq=True).encode()
        if "content-type" not in hdrs:
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    elif isinstance(data, str):
        body = data.encode()
    elif data is not None:
        body = bytes(data.read() if hasattr(data, "read") else data)
    if isinstance(timeout, tuple):
        timeout = sum(t for t in timeout if t)
    try:
        info, payload = _lcw._net_call(method.upper(), _encode_params(url, params), list(hdrs.items()), body,
                                       follow=allow_redirects, timeout=timeout)
    except _lcw.NetworkRefused as exc:
        cls = {"timeout": Timeout, "invalid": InvalidURL}.get(exc.kind, ConnectionError)
        if exc.kind == "limit" and "redirects" in str(exc):
            cls = TooManyRedirects
        raise cls(str(exc)) from None
    return Response(info, payload, method.upper())


def get(url, params=None, **kw): return request("GET", url, params=params, **kw)
def head(url, **kw): return request("HEAD", url, **kw)
def post(url, data=None, json=None, **kw): return request("POST", url, data=data, json=json, **kw)
def put(url, data=None, **kw): return request("PUT", url, data=data, **kw)
def patch(url, data=None, **kw): return request("PATCH", url, data=data, **kw)
def delete(url, **kw): return request("DELETE", url, **kw)
def options(url, **kw): return request("OPTIONS", url, **kw)


class Session:
    def __init__(self):
        self.headers = CaseInsensitiveDict({"User-Agent": "langchain-wasm"})

    def request(self, method, url, headers=None, **kw):
        merged = CaseInsensitiveDict(self.headers)
        for k, v in (headers or {}).items():
            merged[k] = v
        return request(method, url, headers=merged, **kw)

    def get(self, url, **kw): return self.request("GET", url, **kw)
    def head(self, url, **kw): return self.request("HEAD", url, **kw)
    def post(self, url, data=None, json=None, **kw): return self.request("POST", url, data=data, json=json, **kw)
    def put(self, url, data=None, **kw): return self.request("PUT", url, data=data, **kw)
    def patch(self, url, data=None, **kw): return self.request("PATCH", url, data=data, **kw)
    def delete(self, url, **kw): return self.request("DELETE", url, **kw)
    def close(self): pass
    def __enter__(self): return self
    def __exit__(self, *exc): pass
'''

NET_SOURCE = r'''

class NetworkRefused(OSError):
    """The host refused or could not perform a request (kind: denied, limit, timeout, network, invalid)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def _net_call(method, url, headers, body, follow=True, timeout=None):
    meta = {"method": method, "url": url, "headers": [[str(k), str(v)] for k, v in headers],
            "follow_redirects": bool(follow)}
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        meta["timeout_s"] = float(timeout)
    try:
        raw = _host.call(b"LCWHTTP" + _json.dumps(meta).encode() + b"\n" + bytes(body or b""))
    except OSError as exc:
        raise NetworkRefused("invalid", f"the host refused the request to {url[:200]} ({exc})") from None
    head, _, payload = bytes(raw).partition(b"\n")
    info = _json.loads(head) if head else {"ok": False, "error": "network",
                                           "message": f"no network access to {url[:200]} in this sandbox"}
    if not info.get("ok"):
        raise NetworkRefused(info.get("error", "network"), info.get("message", "request failed"))
    return info, payload


def _urllib_open(self, req):
    import urllib.error, urllib.response, http.client
    body = req.data
    if body is not None and not isinstance(body, (bytes, bytearray)):
        body = body.read() if hasattr(body, "read") else b"".join(bytes(c) for c in body)
    try:
        info, payload = _net_call(req.get_method(), req.full_url, req.header_items(), body, timeout=req.timeout)
    except NetworkRefused as exc:
        reason = TimeoutError(str(exc)) if exc.kind == "timeout" else str(exc)
        raise urllib.error.URLError(reason) from None
    msg = http.client.HTTPMessage()
    for k, v in info["headers"]:
        msg[k] = v
    resp = urllib.response.addinfourl(_io.BytesIO(payload), msg, info["url"], info["status"])
    resp.msg = resp.reason = info["reason"]
    return resp


def _no_socket(where):
    def refuse(*args, **kwargs):
        host = args[0] if args else kwargs.get("host", "?")
        if isinstance(host, tuple):
            host = host[0]
        port = args[1] if len(args) > 1 and not isinstance(args[0], tuple) else None
        origin = f"{host}:{port}" if port is not None else str(host)
        raise OSError(f"no network access to {origin} in this sandbox ({where}: there are no sockets; "
                      "urllib.request and requests reach the origins the host granted)")
    return refuse


def _patch_urllib(mod):
    h = mod.HTTPHandler
    h.http_open = h.https_open = _urllib_open
    h.https_request = mod.AbstractHTTPHandler.do_request_
    if hasattr(mod, "HTTPSHandler"):  # defined when http.client has HTTPSConnection (ours refuses to connect)
        mod.HTTPSHandler.https_open = _urllib_open
        mod.HTTPSHandler.__init__ = lambda self, debuglevel=None, context=None, check_hostname=None: (
            mod.AbstractHTTPHandler.__init__(self, debuglevel or 0))


def _patch_http_client(mod):
    def connect(self):
        scheme = "https" if "HTTPS" in type(self).__name__ else "http"
        raise OSError(f"no network access to {scheme}://{self.host}:{self.port} in this sandbox (http.client "
                      "opens sockets, which the sandbox does not have; urllib.request and requests reach the "
                      "origins the host granted)")
    mod.HTTPConnection.connect = connect
    if not hasattr(mod, "HTTPSConnection"):  # there is no ssl module: an https connection refuses the same way
        def init(self, host, port=None, *, timeout=None, source_address=None, context=None, blocksize=8192):
            mod.HTTPConnection.__init__(self, host, port, blocksize=blocksize)
        mod.HTTPSConnection = type("HTTPSConnection", (mod.HTTPConnection,), {"default_port": 443, "__init__": init})


class _Patched:
    def __init__(self, loader, patch):
        self._loader, self._patch = loader, patch

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._patch(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _Requests:
    @staticmethod
    def create_module(spec):
        return None

    @staticmethod
    def exec_module(module):
        exec(compile(_REQUESTS_SOURCE, "<lcw-requests>", "exec"), module.__dict__)


class _NetHook:
    """Patches urllib.request and http.client as they are imported; supplies requests if none is installed."""

    patches = {"urllib.request": _patch_urllib, "http.client": _patch_http_client}

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name not in cls.patches and name != "requests":
            return None
        import importlib.machinery, importlib.util
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if name == "requests":
            return importlib.util.spec_from_loader(name, _Requests()) if spec is None else None
        if spec is not None and spec.loader is not None:
            spec.loader = _Patched(spec.loader, cls.patches[name])
        return spec


def _install_net():
    import _socket
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo"):
        if not hasattr(_socket, name):
            setattr(_socket, name, _no_socket(f"socket.{name}"))
    for name, patch in _NetHook.patches.items():
        if name in _sys.modules:
            patch(_sys.modules[name])
    _sys.meta_path.insert(0, _NetHook)


_install_net()
'''
