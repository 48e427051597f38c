"""What a call returns: ``CallResult`` (value, exit code, captured output) and its ``CallMetrics``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CallMetrics", "CallResult", "HttpMetrics", "make_metrics", "make_result"]


@dataclass(frozen=True, slots=True)
class HttpMetrics:
    """What one call did with its network grant (``Capabilities(http=...)``).

    Attributes:
        requests: requests sent (each redirect hop counts).
        refused: requests the grant or a budget refused (never sent).
        bytes_out: request body bytes sent.
        bytes_in: response body bytes received.
        wall_s: time spent in requests.
        origins: the listed origins reached (``scheme://host:port``).
        by_origin: ``(origin, requests)`` for each origin reached.
    """

    requests: int = 0
    refused: int = 0
    bytes_out: int = 0
    bytes_in: int = 0
    wall_s: float = 0.0
    origins: tuple[str, ...] = ()
    by_origin: tuple[tuple[str, int], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "refused": self.refused,
            "bytes_out": self.bytes_out,
            "bytes_in": self.bytes_in,
            "wall_s": self.wall_s,
            "origins": list(self.origins),
            "by_origin": dict(self.by_origin),
        }


@dataclass(frozen=True, slots=True)
class CallMetrics:
    """What one call consumed.

    Attributes:
        fuel_used: fuel units charged (about one per wasm instruction), counted even without a budget.
        wall_s: wall time of the whole call: store setup, instantiation and the guest's run.
        memory_peak_bytes: linear memory size at the end of the call (memory never shrinks, so this is the peak).
        stdout_bytes: bytes the guest wrote to stdout (captured part).
        stderr_bytes: bytes the guest wrote to stderr (captured part).
        trap: the kind of stop if the call did not return normally (``"timeout"``, ``"fuel"``, ``"memory"``,
            ``"stdout"``, ``"stderr"``, ``"exit"``, a wasmtime trap code in lower case, ...), else ``None``.
        module: the module's name (used as a metrics label).
        http: network use under an HTTP grant (``None`` for calls without one).
    """

    fuel_used: int = 0
    wall_s: float = 0.0
    memory_peak_bytes: int = 0
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    trap: str | None = None
    module: str = ""
    http: HttpMetrics | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "fuel_used": self.fuel_used,
            "wall_s": self.wall_s,
            "memory_peak_bytes": self.memory_peak_bytes,
            "stdout_bytes": self.stdout_bytes,
            "stderr_bytes": self.stderr_bytes,
            "trap": self.trap,
            "module": self.module,
        }
        if self.http is not None:
            out["http"] = self.http.as_dict()
        return out


@dataclass(frozen=True, slots=True)
class CallResult:
    """The outcome of ``WasmModule.call`` or ``WasmModule.run``.

    Attributes:
        value: the export's result (``None`` for no result, a tuple for several); ``None`` for ``run``.
        exit_code: WASI exit status (0 when the guest returned normally).
        stdout: captured stdout bytes.
        stderr: captured stderr bytes.
        metrics: what the call consumed.
    """

    value: Any = None
    exit_code: int = 0
    stdout: bytes = b""
    stderr: bytes = b""
    metrics: CallMetrics = field(default_factory=CallMetrics)

    @property
    def ok(self) -> bool:
        """True when the guest finished with exit status 0."""
        return self.exit_code == 0

    def stdout_text(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    def stderr_text(self) -> str:
        return self.stderr.decode("utf-8", "replace")


# The per-call hot path builds one of each. A frozen dataclass's __init__ sets each field through
# object.__setattr__, and calling each slot's descriptor is no better (~35 ns a field). So the hot path fills an
# unfrozen twin with the same slots (plain attribute stores, ~10 ns a field) and then gives it the frozen class:
# ``__class__`` assignment is allowed between classes of one layout, and the object is from then on exactly a
# CallMetrics / CallResult (type, eq, hash, repr, frozenness). ~2x cheaper than the descriptors (~0.3 us a call).
_new = object.__new__
#: ``obj.__class__ = cls`` past the frozen ``__setattr__``
as_class = object.__dict__["__class__"].__set__


class MetricsFill:
    """An unfrozen twin of ``CallMetrics`` (same slots): fill it, then ``as_class(obj, CallMetrics)``."""

    __slots__ = ("fuel_used", "http", "memory_peak_bytes", "module", "stderr_bytes", "stdout_bytes", "trap", "wall_s")
    fuel_used: int
    wall_s: float
    memory_peak_bytes: int
    stdout_bytes: int
    stderr_bytes: int
    trap: str | None
    module: str
    http: HttpMetrics | None


class ResultFill:
    """An unfrozen twin of ``CallResult`` (same slots): fill it, then ``as_class(obj, CallResult)``."""

    __slots__ = ("exit_code", "metrics", "stderr", "stdout", "value")
    value: Any
    exit_code: int
    stdout: bytes
    stderr: bytes
    metrics: CallMetrics


# One layout each (CPython lays slots out by sorted name), else ``as_class`` raises TypeError.
assert sorted(CallMetrics.__slots__) == list(MetricsFill.__slots__)
assert sorted(CallResult.__slots__) == list(ResultFill.__slots__)


def make_metrics(
    fuel_used: int,
    wall_s: float,
    memory_peak_bytes: int,
    stdout_bytes: int,
    stderr_bytes: int,
    trap: str | None,
    module: str,
    http: HttpMetrics | None = None,
) -> CallMetrics:
    """``CallMetrics(...)`` with every field given, positionally, for the hot path."""
    m = _new(MetricsFill)
    m.fuel_used = fuel_used
    m.wall_s = wall_s
    m.memory_peak_bytes = memory_peak_bytes
    m.stdout_bytes = stdout_bytes
    m.stderr_bytes = stderr_bytes
    m.trap = trap
    m.module = module
    m.http = http
    as_class(m, CallMetrics)
    return m  # type: ignore[return-value]  # a CallMetrics now


def make_result(value: Any, exit_code: int, stdout: bytes, stderr: bytes, metrics: CallMetrics) -> CallResult:
    """``CallResult(...)`` with every field given, for the hot path."""
    r = _new(ResultFill)
    r.value = value
    r.exit_code = exit_code
    r.stdout = stdout
    r.stderr = stderr
    r.metrics = metrics
    as_class(r, CallResult)
    return r  # type: ignore[return-value]  # a CallResult now
