"""Optional monitoring: a pluggable sink that sees every call's metrics. Off unless a sink is installed.

``PrometheusSink`` (extra ``langchain-wasm[prometheus]``) exports calls, fuel, wall time and peak memory
histograms, traps by kind, and, for calls with a network grant, HTTP requests by origin, refusals and bytes,
all labelled by module.
"""

from __future__ import annotations

import contextlib
from typing import Any, Protocol

from .result import CallMetrics

__all__ = ["MetricsSink", "PrometheusSink", "set_metrics_sink", "get_metrics_sink", "observe"]


class MetricsSink(Protocol):
    """Receives the metrics of every finished call (successful or not)."""

    def record(self, module: str, metrics: CallMetrics) -> None: ...


_sink: MetricsSink | None = None


def set_metrics_sink(sink: MetricsSink | None) -> MetricsSink | None:
    """Install ``sink`` process-wide (``None`` turns monitoring off); returns the previous sink."""
    global _sink
    previous, _sink = _sink, sink
    return previous


def get_metrics_sink() -> MetricsSink | None:
    return _sink


def observe(module: str, metrics: CallMetrics | None) -> None:
    """Forward a call's metrics to the installed sink, if any. A failing sink never fails the call."""
    sink = _sink
    if sink is None or metrics is None:
        return
    with contextlib.suppress(Exception):  # monitoring must not change the outcome of a call
        sink.record(module, metrics)


class PrometheusSink:
    """Prometheus metrics for wasm calls. Needs ``prometheus-client`` (``pip install langchain-wasm[prometheus]``).

    Args:
        registry: the ``CollectorRegistry`` to register in (default: prometheus_client's global REGISTRY).
        namespace: metric name prefix.
    """

    def __init__(self, registry: Any = None, namespace: str = "langchain_wasm") -> None:
        try:
            import prometheus_client as prom
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "PrometheusSink needs prometheus-client: pip install 'langchain-wasm[prometheus]'"
            ) from exc
        kw: dict[str, Any] = {"namespace": namespace}
        if registry is not None:
            kw["registry"] = registry
        self.calls = prom.Counter("calls", "Wasm calls by module and outcome", ["module", "outcome"], **kw)
        self.traps = prom.Counter("traps", "Calls stopped by a trap or limit, by kind", ["module", "kind"], **kw)
        self.fuel = prom.Histogram(
            "fuel_used",
            "Fuel consumed per call",
            ["module"],
            buckets=(1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10),
            **kw,
        )
        self.wall = prom.Histogram(
            "wall_seconds",
            "Wall time per call",
            ["module"],
            buckets=(1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0),
            **kw,
        )
        self.memory = prom.Histogram(
            "memory_peak_bytes",
            "Peak linear memory per call",
            ["module"],
            buckets=tuple(float(2**k) for k in range(16, 34, 2)),
            **kw,
        )
        self.http_requests = prom.Counter(
            "http_requests", "HTTP requests made for guests, by listed origin", ["module", "origin"], **kw
        )
        self.http_refused = prom.Counter(
            "http_refused", "HTTP requests refused by the grant or a budget", ["module"], **kw
        )
        self.http_bytes = prom.Counter(
            "http_bytes", "HTTP body bytes for guests, by direction (in/out)", ["module", "direction"], **kw
        )

    def record(self, module: str, metrics: CallMetrics) -> None:
        outcome = "ok" if metrics.trap is None else ("exit" if metrics.trap == "exit" else "trap")
        self.calls.labels(module, outcome).inc()
        if metrics.trap is not None and metrics.trap != "exit":
            self.traps.labels(module, metrics.trap).inc()
        self.fuel.labels(module).observe(metrics.fuel_used)
        self.wall.labels(module).observe(metrics.wall_s)
        self.memory.labels(module).observe(metrics.memory_peak_bytes)
        net = metrics.http
        if net is not None:
            # origins are the grant's own (never a guest-chosen name), so label cardinality stays bounded
            for origin, count in net.by_origin:
                self.http_requests.labels(module, origin).inc(count)
            self.http_refused.labels(module).inc(net.refused)
            self.http_bytes.labels(module, "out").inc(net.bytes_out)
            self.http_bytes.labels(module, "in").inc(net.bytes_in)
