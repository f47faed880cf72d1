"""An account's limits, as a bulk job meets them: a balance that runs out, a concurrency cap.

- **Credits**: ``credits`` successful model answers (chat, completions, embeddings, rerank)
  remain; at zero every model call gets the dialect's balance error — 智增增's envelope
  ``{"code": 1001, "msg": "余额不足…"}`` with HTTP 200, new-api's 403
  ``insufficient_user_quota`` object — until :meth:`top_up`.  ``None``: unlimited.
- **Concurrency cap**: above ``max_in_flight`` requests at once, the extra ones get a 429
  with ``Retry-After`` (智增增: ``当前分组上游负载已饱和，请稍后再试``; new-api its rate-limit
  text), as a relay does when the key's group is saturated.

The counters are only touched on the simulator's event-loop thread (and by the in-process
transport's caller), so they need no lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from .faults import error_body
from .handlers import SimConfig, SimRequest, SimResponse, _json

__all__ = ["AccountLimits"]

_MODEL_PATHS = ("/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/rerank")
SATURATED = "当前分组上游负载已饱和，请稍后再试"


@dataclass(slots=True)
class AccountLimits:
    credits: int | None = None
    """Successful model answers left before the balance runs out (None: unlimited)."""
    max_in_flight: int | None = None
    """Requests answered at once; more get 429 + ``Retry-After`` (None: no cap)."""
    retry_after: float = 0.5
    """The ``Retry-After`` of a saturation 429, in seconds."""
    in_flight: int = 0
    peak_in_flight: int = 0
    saturated: int = 0
    """How many requests the cap turned away."""

    def before(self, req: SimRequest, cfg: SimConfig) -> SimResponse | None:
        """The answer that replaces the normal one (saturated, or out of balance), else None."""
        if req.path.rstrip("/") not in _MODEL_PATHS:
            return None
        if self.max_in_flight is not None and self.in_flight > self.max_in_flight:
            self.saturated += 1
            message = SATURATED if cfg.dialect == "zhizengzeng" else None
            status, body = error_body(cfg.dialect, "rate_limit", message=message)
            return _json(status, body, cfg, [("Retry-After", f"{self.retry_after:g}")])
        if self.credits is not None and self.credits <= 0:
            shape = "envelope_200" if cfg.dialect == "zhizengzeng" else None
            status, body = error_body(cfg.dialect, "balance", shape)
            return _json(status, body, cfg)
        return None

    def after(self, req: SimRequest, resp: SimResponse) -> bool:
        """Charge one credit for a successful model answer; True when it was one."""
        if resp.status != 200 or req.path.rstrip("/") not in _MODEL_PATHS:
            return False
        if self.credits is not None:
            self.credits -= 1
        return True

    def enter(self) -> None:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def leave(self) -> None:
        self.in_flight -= 1
