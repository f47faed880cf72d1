"""The one retry policy: what is retried, how long to wait, where to send next.

Pure decisions, no I/O.  :mod:`zzz_core.transport` owns the only loop and asks
:class:`Attempts` what to do after each failure.  The ``openai`` client is built
with ``max_retries=0`` so no second loop stacks on top of this one.

Retried: rate limits (honouring ``Retry-After``), gateway 5xx, connection
failures, timeouts, and streams that failed before delivering any content.
Never retried: balance, authentication, permission, invalid request, context
length, content filter, an unknown gateway code, and 503 ``model_not_found``
(a configuration problem, not a transient one).  A request marked not repeatable
(creating a batch job) is sent again only after a rate limit.

Failover: a connection failure, a timeout or a 5xx (including nginx's HTML 502
and 504 pages) sends the same request to the next host at once, and marks the
failed host so later requests prefer the healthy one for ``failover_cooldown``
seconds.  4xx answers and business errors never fail over: the mirror would
give the same answer.
"""

from __future__ import annotations

import random
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import NoReturn

from . import errors as E
from .urls import host_of

__all__ = [
    "INITIAL_BACKOFF",
    "MAX_BACKOFF",
    "MAX_RETRY_AFTER",
    "Attempts",
    "rate_limit_patience",
    "Decision",
    "HostHealth",
    "backoff_delay",
    "is_retryable",
    "should_fail_over",
]

INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 60.0
"""A ``Retry-After`` longer than this is not waited for: the error is raised instead."""

rate_limit_patience: ContextVar[float | None] = ContextVar("zzz_rate_limit_patience", default=None)
"""Seconds a rate-limited request keeps being sent again, for the current task (see
:attr:`Attempts.rate_limit_patience`); ``None``: rate limits count against ``max_retries``."""


def is_retryable(exc: BaseException) -> bool:
    """Whether sending the same request again may succeed."""
    return isinstance(exc, E.ZZZError) and exc.retryable


def should_fail_over(exc: BaseException) -> bool:
    """Whether the next host should get the same request (the failure is the host's)."""
    if not isinstance(exc, E.ZZZError) or not exc.retryable:
        return False
    if isinstance(exc, E.StreamInterruptedError):
        return False
    return isinstance(exc, (E.GatewayConnectionError, E.GatewayServerError))


def backoff_delay(retry_number: int, retry_after: float | None = None) -> float:
    """Seconds to sleep before retry ``retry_number`` (1-based): ``Retry-After`` if
    the gateway gave one, else exponential backoff with jitter."""
    if retry_after is not None and 0 <= retry_after <= MAX_RETRY_AFTER:
        return retry_after
    delay = min(INITIAL_BACKOFF * (2 ** (retry_number - 1)), MAX_BACKOFF)
    return delay * (1 - 0.25 * random.random())


class HostHealth:
    """Which hosts failed recently; shared by every request of one configuration."""

    def __init__(self, hosts: tuple[str, ...], cooldown: float) -> None:
        self.hosts = hosts
        self.cooldown = cooldown
        self._failed_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def order(self) -> list[str]:
        """Hosts in the order to try: healthy ones first, in configured order."""
        if not self._failed_until:
            return list(self.hosts)
        now = time.monotonic()
        healthy = [h for h in self.hosts if self._failed_until.get(h, 0.0) <= now]
        cooling = sorted((h for h in self.hosts if h not in healthy), key=lambda h: self._failed_until[h])
        return healthy + cooling

    def mark_failed(self, host: str) -> None:
        if len(self.hosts) < 2:
            return
        with self._lock:
            self._failed_until[host] = time.monotonic() + self.cooldown

    def mark_ok(self, host: str) -> None:
        if host in self._failed_until:
            with self._lock:
                self._failed_until.pop(host, None)


@dataclass(slots=True)
class Decision:
    host: str
    delay: float = 0.0


@dataclass(slots=True)
class Attempts:
    """The state of one request across retries and hosts.

    ``first()`` gives the host for the first send; after a failure, ``next(exc)``
    gives the next (host, delay) or raises ``exc`` annotated with the attempt
    count and the hosts tried.
    """

    health: HostHealth
    max_retries: int
    repeatable: bool = True
    """False for a request that must not reach the gateway twice (it creates something
    that is billed, e.g. a batch job): only a rate limit, which proves the gateway did
    not act on it, is sent again; a 5xx, a timeout or a broken connection may have come
    after the gateway acted, so it is raised, and never failed over."""
    count: int = 0
    retries: int = 0
    adjustments: int = 0
    """Sends made again with a parameter adjusted (:mod:`zzz_core.negotiation`): attempts, not retries."""
    rate_limit_patience: float | None = None
    """When set, a rate limit (429, upstream saturation) is sent again for this many seconds
    from the first send, however many retries that takes: ``max_retries`` then counts only
    the other failures.  The bulk runner sets it (:data:`rate_limit_patience`): its limiter
    already throttles, so a throttled item waits its turn instead of failing while the job
    goes on."""
    tried: list[str] = field(default_factory=list)
    _queue: list[str] = field(default_factory=list)
    _started: float = field(default_factory=lambda: time.monotonic())

    def first(self) -> str:
        self._queue = self.health.order()
        return self._send(self._queue.pop(0))

    def succeeded(self, host: str) -> None:
        self.health.mark_ok(host)

    def next(self, exc: E.ZZZError) -> Decision:
        host = self.tried[-1] if self.tried else ""
        if not self.repeatable and not isinstance(exc, E.RateLimitError):
            self.give_up(exc)
        if should_fail_over(exc):
            self.health.mark_failed(host)
            if self._queue:
                # Failing over is not a retry: the other host has not seen this request.
                return Decision(self._send(self._queue.pop(0)))
        if not is_retryable(exc) or (self.retries >= self.max_retries and not self._patient(exc)):
            self.give_up(exc)
        retry_after = exc.retry_after if isinstance(exc, E.RateLimitError) or exc.retry_after else None
        if retry_after is not None and retry_after > MAX_RETRY_AFTER:
            self.give_up(exc)
        self.retries += 1
        self._queue = self.health.order()
        return Decision(self._send(self._queue.pop(0)), backoff_delay(self.retries, retry_after))

    def _patient(self, exc: E.ZZZError) -> bool:
        """Whether a rate limit is still within :attr:`rate_limit_patience`."""
        return (
            self.rate_limit_patience is not None
            and isinstance(exc, E.RateLimitError)
            and time.monotonic() - self._started < self.rate_limit_patience
        )

    def resend(self, host: str) -> str:
        """Send again to ``host`` at once, the request adjusted after a parameter rejection.

        It counts as an attempt (``attempts`` on a final error says so) but not as a retry:
        the gateway rejected the parameter, not the call, so ``max_retries=0`` still allows it.
        """
        self.adjustments += 1
        return self._send(host)

    def _send(self, host: str) -> str:
        self.count += 1
        self.tried.append(host)
        return host

    def give_up(self, exc: E.ZZZError) -> NoReturn:
        exc.record_attempts(self.count, tuple(host_of(h) for h in dict.fromkeys(self.tried)))
        raise exc
