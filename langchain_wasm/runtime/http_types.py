"""The values of a granted request (what the guest asked, what it gets, one call's budgets), apart from the
connection code in ``http_client`` so that runs without a network grant never import ``http.client``/``ssl``
(~45 ms of a cold start)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .http_grant import HttpGrant
from .result import HttpMetrics

__all__ = ["HttpRequest", "HttpResponse", "HttpCallState"]


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request as the guest asked for it."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    follow_redirects: bool = True
    timeout_s: float | None = None


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """What the guest gets back: the final response after redirects, secrets redacted."""

    status: int
    reason: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    redirects: int = 0


@dataclass(slots=True)
class HttpCallState:
    """One call's use of its grant: budgets spent, origins reached, the response waiting to be read."""

    grant: HttpGrant
    deadline: float | None = None  # the call's time.monotonic() deadline
    requests: int = 0
    refused: int = 0
    bytes_out: int = 0
    bytes_in: int = 0
    wall_s: float = 0.0
    origins: dict[str, int] = field(default_factory=dict)
    pending: bytes | None = None

    def metrics(self) -> HttpMetrics:
        return HttpMetrics(
            requests=self.requests,
            refused=self.refused,
            bytes_out=self.bytes_out,
            bytes_in=self.bytes_in,
            wall_s=self.wall_s,
            origins=tuple(sorted(self.origins)),
            by_origin=tuple(sorted(self.origins.items())),
        )
