"""The guest half: Python source installed once in each interpreter as module ``_lcw``.

Each turn the host sends ``_lcw.run(<code>, <nonce>, <options>)``. The driver runs the code in ``__main__``
like a REPL cell (the value of a final expression is the result), never lets an exception escape, and reports
one JSON frame through the host door (``_host.call``): result, exception with traceback, exit status, PNGs of
open matplotlib figures (the network shim of ``guest_net.py`` rides along). stdout/stderr go to fds 1 and 2 (the
host captures and caps them) through writers that count bytes and raise ``OutputLimitExceeded`` at the cap, so
an over-long output ends the cell, not the session.
Everything the frame says is checked again by the host; the guest is never trusted.
"""

from __future__ import annotations

from .guest_net import NET_SOURCE, REQUESTS_SOURCE

__all__ = ["DRIVER_SOURCE", "install_code", "turn_code"]

DRIVER_SOURCE = r'''
import ast as _ast, builtins as _bi, io as _io, json as _json, linecache as _lc
import os as _os, sys as _sys, _host, _weakref

_os.chdir("/workspace")
_files = []
_real_open = _io.open


def _open(*args, **kwargs):
    f = _real_open(*args, **kwargs)
    if len(_files) > 256:
        _files[:] = [r for r in _files if r() is not None]
    try:
        _files.append(_weakref.ref(f))
    except TypeError:
        pass
    return f


_bi.open = _io.open = _open


class OutputLimitExceeded(BaseException):
    """The cell wrote more than its output cap; the rest of the output was dropped."""


class _Raw:
    def __init__(self, stream):
        self._s = stream

    def write(self, data):
        self._s._put(bytes(data))
        return len(data)

    def flush(self):
        self._s.flush()


class _Stream(_io.TextIOBase):
    def __init__(self, fd, name):
        self._fd, self._name, self._buf, self._size, self.cap, self.used = fd, name, [], 0, 1 << 20, 0
        self.writes = 0
        self.buffer = _Raw(self)

    encoding, errors = "utf-8", "backslashreplace"

    def fileno(self):
        return self._fd

    def isatty(self):
        return False

    def writable(self):
        return True

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._put(text.encode("utf-8", "backslashreplace"))
        return len(text)

    def _put(self, data):
        room = self.cap - self.used
        if len(data) > room:
            data = data[: max(room, 0)]
            self.used = self.cap + 1
            self._buf.append(data)
            self.flush()
            raise OutputLimitExceeded(f"{self._name} exceeded its cap of {self.cap} bytes; the rest was dropped")
        self.used += len(data)
        self.writes += 1
        self._buf.append(data)
        self._size += len(data)
        if self._size >= 8192 or self.writes <= 100:  # the first writes go out at once (seen even if the
            self.flush()  # cell then hangs); a flood is batched

    def flush(self):
        data, self._buf, self._size = b"".join(self._buf), [], 0
        while data:
            data = data[_os.write(self._fd, data):]


_OUT, _ERR = _sys.stdout, _sys.stderr = _Stream(1, "stdout"), _Stream(2, "stderr")
_count = 0
_opts = None  # the last turn's options: a turn whose options did not change sends none (less to compile)


def _encode(value, limit):
    out = {"type": type(value).__module__ + "." + type(value).__qualname__}
    np = _sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic) and value.ndim == 0:
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str, list, tuple, dict)):
        try:
            text = _json.dumps(value)
            if len(text) <= limit:
                out["json"] = text
        except (TypeError, ValueError, RecursionError):
            pass
    try:
        if isinstance(value, (list, tuple, dict, set, frozenset)) and len(value) > 2000:
            import reprlib
            text = reprlib.Repr(maxlist=200, maxdict=200, maxset=200, maxtuple=200, maxstring=limit).repr(value)
        else:
            text = repr(value)
    except BaseException as exc:
        text = f"<repr failed: {type(exc).__name__}: {exc}>"
    out["repr"] = text if len(text) <= limit else text[:limit] + f"... [{len(text)} characters in all]"
    return out


def _figures(value, opts):
    pngs, plt = [], _sys.modules.get("matplotlib.pyplot")
    figs = [plt.figure(n) for n in plt.get_fignums()] if plt is not None else []
    if value is not None and type(value).__name__ == "Figure" and "matplotlib" in type(value).__module__:
        if all(f is not value for f in figs):
            figs.append(value)
    if figs:
        import base64 as _b64
    for fig in figs[: opts["max_images"]]:
        buf = _io.BytesIO()
        fig.savefig(buf, format="png", dpi=opts["dpi"], bbox_inches="tight")
        if buf.tell() <= opts["max_image_bytes"]:
            pngs.append(_b64.b64encode(buf.getvalue()).decode())
    if plt is not None:
        plt.close("all")
    return pngs, len(figs)


def _flush_all():
    for s in (_OUT, _ERR):
        if s._buf:
            try:
                s.flush()
            except BaseException:
                pass
    for ref in _files:
        f = ref()
        try:
            if f is not None and not f.closed:
                f.flush()
        except BaseException:
            pass


_COMPOUND = ("for", "while", "if", "with", "try", "def", "class", "async", "@")


def _single(src, name):
    """One line with one simple statement, compiled in "single" mode (one compile instead of parsing to an AST
    and compiling twice: a third of a tiny turn); None for anything else, or if it does not compile so
    (the AST path then reports the error as for any cell)."""
    line = src.strip()
    if not line or "\n" in line or ";" in line or "\\" in line or line.startswith(_COMPOUND):
        return None
    try:
        return compile(src, name, "single")
    except SyntaxError:
        return None


def run(src, nonce, opts=None):
    global _count, _opts
    if opts is None:
        opts = _opts
    else:
        _opts = opts
    _count += 1
    name = f"<cell {_count}>"
    frame, value, main = {"nonce": nonce}, None, _sys.modules["__main__"].__dict__
    _sys.stdout, _sys.stderr = _OUT, _ERR  # a cell that replaced them does not silence the next ones
    for stream, key in ((_OUT, "stdout_bytes"), (_ERR, "stderr_bytes")):
        stream.cap, stream.used, stream.writes = opts[key], 0, 0
    _lc.cache[name] = (len(src), None, src.splitlines(True), name)
    try:
        code = _single(src, name)
        if code is not None:  # one simple statement: its value, if an expression, comes to the display hook
            shown, hook = [], _sys.displayhook
            _sys.displayhook = shown.append
            try:
                exec(code, main)
            finally:
                if _sys.displayhook == shown.append:
                    _sys.displayhook = hook
            value = shown[-1] if shown else None
        else:
            tree = compile(src, name, "exec", _ast.PyCF_ONLY_AST)
            last = None
            if tree.body and isinstance(tree.body[-1], _ast.Expr):
                last = _ast.Expression(tree.body.pop().value)
            exec(compile(tree, name, "exec"), main)
            if last is not None:
                value = eval(compile(last, name, "eval"), main)
        if value is not None:
            main["_"] = value
            frame["result"] = _encode(value, opts["result_chars"])
    except SystemExit as exc:
        code = exc.code
        if code is not None and not isinstance(code, int):
            _sys.stderr.write(f"{code}\n")
            code = 1
        frame["exit"] = code or 0
    except BaseException as exc:
        import traceback as _tb

        te = _tb.TracebackException(type(exc), exc, exc.__traceback__)
        te.stack = _tb.StackSummary.from_list([f for f in te.stack if f.filename != "<lcw-driver>"])
        text = "".join(te.format())
        limit = opts["error_chars"]
        if len(text) > limit:
            text = text[: limit // 2] + "\n... [traceback truncated] ...\n" + text[-limit // 2 :]
        frame["error"] = {"type": type(exc).__name__, "message": str(exc)[:2000], "traceback": text}
    try:
        pngs, seen = _figures(value, opts)
        if pngs or seen:
            frame["images"], frame["figures"] = pngs, seen
    except BaseException as exc:
        frame["image_error"] = f"{type(exc).__name__}: {exc}"[:500]
    _flush_all()
    # the common frame, nothing but the (hex) nonce, needs no encoder
    data = _json.dumps(frame).encode() if len(frame) > 1 else b'{"nonce": "' + nonce.encode() + b'"}'
    try:
        _host.call(data)
    except OSError:
        _host.call(_json.dumps({"nonce": nonce, "frame_error": len(data)}).encode())
'''
#: The turn's entry point, as a builtin: the turn's wrapper compiles ~15% faster than through ``sys.modules``.
DRIVER_SOURCE += "\n_bi.__lcw__ = run\n"
#: The network shim (urllib.request, requests, sockets refused) rides along with the driver.
DRIVER_SOURCE += f"\n_REQUESTS_SOURCE = {REQUESTS_SOURCE!r}\n" + NET_SOURCE


def turn_code(code: str, nonce: str, options: dict[str, int] | None, *, short: bool = False) -> str:
    """The turn's source: one call into the installed driver, the user's code as a string literal. ``None``
    options reuse the previous turn's (compiling the options' dict literal was ~40% of a tiny turn's guest time);
    the guest may change what it keeps, but the host enforces every cap again. ``short``: call the driver
    through its builtin ``__lcw__`` (a driver of this version, not one restored from an older snapshot)."""
    opts = f", {options!r}" if options is not None else ""
    entry = "__lcw__" if short else "__import__('sys').modules['_lcw'].run"
    return f"{entry}({code!r}, {nonce!r}{opts})\n"


def install_code(compiled: bytes | None = None) -> str:
    """The turn that installs the driver as module ``_lcw`` (its frames are hidden from tracebacks).

    Without ``compiled`` it compiles the source and reports the marshaled code object through the door
    (prefixed ``LCWDRV``) so the host can install later interpreters from ``compiled`` (unmarshaling is ~15x
    faster than compiling). Only an install turn, in a fresh interpreter that has run no user code, is listened
    to for it.
    """
    if compiled is None:
        load = (
            f"_c = compile({DRIVER_SOURCE!r}, '<lcw-driver>', 'exec')\n"
            "__import__('_host').call(b'LCWDRV' + __import__('marshal').dumps(_c))\n"
        )
    else:
        import base64

        load = f"_c = __import__('marshal').loads(__import__('binascii').a2b_base64({base64.b64encode(compiled)!r}))\n"
    return (
        "import sys as _s, types as _t\n_m = _t.ModuleType('_lcw')\n"
        + load
        + "exec(_c, _m.__dict__)\n_s.modules['_lcw'] = _m\ndel _s, _t, _m, _c\n"
    )
