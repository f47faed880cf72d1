"""One key's rate and concurrency limit, shared by every Ray worker: a named Ray actor.

N workers that each ran their own limiter would each send their full concurrency (and
their full requests-per-minute) against the same key.  Here one async Ray actor holds
the one :class:`~zzz_core.bulk.limiter.AsyncAdaptiveLimiter` (so one
:class:`~zzz_core.bulk.limiter.AdaptiveLimit`: the same AIMD, ``Retry-After`` pause and
rpm/tpm caps as a single-machine run), and each worker consults it through
:class:`RayLimiter`, a :class:`~zzz_core.bulk.limiter.ConcurrencyLimiter`::

    limiter = shared_limiter(config, concurrency=8, max_concurrency=64, requests_per_minute=600)
    ds.map_batches(ChatRows("deepseek-chat", limiter=limiter, ...))

Which actor: one per (base URL, key) pair, named ``zzz-limit-<hash>`` in the Ray namespace
``"zzz"`` and created with ``get_if_exists=True``, so every driver and worker asking for
the same key gets the same actor.  The hash is a salted SHA-256 of the base URL and the
key; neither appears in the name.  The first creator's options win; :meth:`RayLimiter.status`
shows the ones in force.

Lifetime: by default the actor belongs to the driver that created it and ends with that
job.  ``detached=True`` makes it outlive the driver, so that several jobs on one cluster
running at once with the same key share one limit; end it with :meth:`RayLimiter.kill`.

A worker that dies mid-request cannot release its slot; the actor takes back a slot held
longer than ``lease_timeout`` seconds (default 600, longer than any request with its retries).

Ray is imported only when a limiter is created or unpickled: ``zzz_core`` does not need it.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections import deque
from typing import Any

from ..config import ZZZConfig
from .limiter import AsyncAdaptiveLimiter

__all__ = ["NAMESPACE", "LimitKeeper", "RayLimiter", "limiter_name", "shared_limiter"]

NAMESPACE = "zzz"
"""The Ray namespace of the limiter actors (named actors are looked up per namespace)."""

DEFAULT_LEASE_TIMEOUT = 600.0


def limiter_name(config: ZZZConfig) -> str:
    """The actor name for ``config``'s key at its gateway (a salted hash: neither appears)."""
    digest = hashlib.sha256()
    for part in ("zzz-relay shared limit", config.base_url, config.api_key.get_secret_value()):
        digest.update(part.encode() + b"\0")
    return f"zzz-limit-{digest.hexdigest()[:20]}"


class LimitKeeper:
    """The actor's body: one :class:`AsyncAdaptiveLimiter` and the leases handed out.

    Every method is ``async``, so Ray runs them all on the actor's one event loop: the
    limiter is never touched from two threads, and a waiting ``acquire`` does not block
    the ``release`` that will wake it.  Plain Python: usable (and tested) without Ray.
    """

    def __init__(
        self,
        initial: int = 16,
        maximum: int = 256,
        *,
        lease_timeout: float = DEFAULT_LEASE_TIMEOUT,
        **options: Any,
    ) -> None:
        self._limiter = AsyncAdaptiveLimiter(initial, max(initial, maximum), **options)
        self._options = {"initial": initial, "maximum": maximum, "lease_timeout": lease_timeout, **options}
        self._lease_timeout = lease_timeout
        self._leases: dict[str, deque[float]] = {}
        self._halted: dict[str, str] = {}
        self._started = 0
        self._expired = 0
        self._waiting: dict[str, int] = {}
        self._peak_holders = 0

    async def acquire(self, holder: str, tokens: int = 0) -> int:
        """Wait until ``holder`` may start one request; returns the current limit."""
        self._expire()
        self._waiting[holder] = self._waiting.get(holder, 0) + 1
        self._peak_holders = max(self._peak_holders, self._active_holders())
        try:
            await self._limiter.acquire(tokens)
        finally:
            self._waiting[holder] -= 1
        self._leases.setdefault(holder, deque()).append(time.monotonic())
        self._started += 1
        return self._limiter.limit

    def _active_holders(self) -> int:
        """Holders waiting for a slot or holding one right now."""
        return sum(1 for h in self._waiting.keys() | self._leases.keys() if self._waiting.get(h) or self._leases.get(h))

    async def release(self, holder: str, outcome: str, retry_after: float | None = None, tokens: int = 0) -> int:
        leases = self._leases.get(holder)
        if leases:
            leases.popleft()
            self._limiter.release(outcome, retry_after=retry_after, tokens=tokens)
        else:  # its lease already expired and was taken back: learn from it, free nothing twice
            self._limiter.observe(outcome, retry_after=retry_after, tokens=tokens)
        return self._limiter.limit

    async def observe(self, outcome: str, retry_after: float | None = None, tokens: int = 0) -> int:
        """An attempt the retry loop sends again (its request stays in flight)."""
        self._limiter.observe(outcome, retry_after=retry_after, tokens=tokens)
        return self._limiter.limit

    async def halt(self, run: str, reason: str) -> None:
        """Record that run ``run`` met an account stop: its other batches send nothing more."""
        self._halted.setdefault(run, reason)

    async def halted(self, run: str) -> str | None:
        return self._halted.get(run)

    async def status(self) -> dict[str, Any]:
        state = self._limiter.state
        return {
            "limit": state.limit,
            "in_flight": state.in_flight,
            "decreases": state.decreases,
            "ceiling": state.ceiling,
            "background": state.background,
            "paused_for": max(0.0, state.paused_until - state.clock()),
            "started": self._started,
            "holders": len(self._leases),
            "peak_holders": self._peak_holders,
            "expired_leases": self._expired,
            "options": dict(self._options),
        }

    def _expire(self) -> None:
        deadline = time.monotonic() - self._lease_timeout
        for leases in self._leases.values():
            while leases and leases[0] < deadline:
                leases.popleft()
                self._expired += 1
                self._limiter.release("error")


class RayLimiter:
    """A worker's :class:`~zzz_core.bulk.limiter.ConcurrencyLimiter` backed by the shared actor.

    Pickles as the actor handle only; each process that unpickles it is a holder of its own.
    ``release`` does not wait for the actor (it is called from ``finally`` blocks); :meth:`flush`
    waits until every release sent so far has arrived.
    """

    def __init__(self, actor: Any, name: str, namespace: str = NAMESPACE) -> None:
        self._actor = actor
        self.name = name
        self.namespace = namespace
        self._holder = uuid.uuid4().hex
        self._limit = 1
        self._sent: list[Any] = []

    def __reduce__(self) -> Any:
        return (RayLimiter, (self._actor, self.name, self.namespace))

    def __repr__(self) -> str:
        return f"RayLimiter(name={self.name!r}, namespace={self.namespace!r}, limit={self._limit})"

    @property
    def limit(self) -> int:
        """The limit the actor reported with the last acquire or release."""
        return self._limit

    async def acquire(self, tokens: int = 0) -> None:
        self._limit = await self._actor.acquire.remote(self._holder, tokens)

    def release(self, outcome: str, *, retry_after: float | None = None, tokens: int = 0) -> None:
        self._keep(self._actor.release.remote(self._holder, outcome, retry_after, tokens))

    def observe(self, outcome: str, *, retry_after: float | None = None, tokens: int = 0) -> None:
        self._keep(self._actor.observe.remote(outcome, retry_after, tokens))

    def _keep(self, ref: Any) -> None:
        self._sent.append(ref)
        if len(self._sent) > 256:  # bounded: the early ones have long arrived
            del self._sent[:128]

    async def flush(self) -> None:
        """Wait until the releases sent so far reached the actor (end of a batch)."""
        sent, self._sent = self._sent, []
        if sent:
            limits = await asyncio.gather(*sent)
            self._limit = limits[-1]

    async def halt(self, run: str, reason: str) -> None:
        await self._actor.halt.remote(run, reason)

    async def halted(self, run: str) -> str | None:
        return await self._actor.halted.remote(run)

    def status(self) -> dict[str, Any]:
        """The shared limit's state: ``limit``, ``in_flight``, ``decreases``, ``ceiling`` and
        ``background`` (see :class:`~zzz_core.bulk.limiter.AdaptiveLimit`), ``started``,
        ``holders`` (limiter copies, one per worker process or task, that used it),
        ``peak_holders`` (the most waiting for or holding a slot at once) and the ``options`` in force."""
        import ray

        return ray.get(self._actor.status.remote())

    def kill(self) -> None:
        """End the actor (needed for a detached one; a job's own ends with the job)."""
        import ray

        ray.kill(self._actor)


def shared_limiter(
    source: Any = None,
    *,
    concurrency: int = 16,
    max_concurrency: int = 256,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    detached: bool = False,
    lease_timeout: float = DEFAULT_LEASE_TIMEOUT,
    namespace: str = NAMESPACE,
    **settings: Any,
) -> RayLimiter:
    """The one limiter of a key, created on first use (``get_if_exists``); call it in the driver.

    Args:
        source: A :class:`~zzz_core.ZZZConfig`, or a model object with a ``config`` (both
            skins' classes), or None to resolve ``settings`` (``base_url=``, ``gateway=``… and
            ``$ZZZ_API_KEY``) as :meth:`ZZZConfig.resolve` does.
        concurrency: Requests in flight across all workers at the start; grows up to
            ``max_concurrency`` while calls succeed, halves on throttling.
        requests_per_minute: Optional caps across all workers (requests are spaced evenly);
            ``tokens_per_minute`` is charged with each answer's usage as it comes back.
        detached: Let the actor outlive this driver (share it between jobs); see the module docstring.
        lease_timeout: Seconds after which a slot that was never released is taken back.
        namespace: The Ray namespace of the actor.

    Raises:
        ConfigurationError: No key, or settings that do not resolve.
    """
    import ray

    config = _config_of(source, settings)
    name = limiter_name(config)
    actor_class = ray.remote(LimitKeeper)
    actor = actor_class.options(
        name=name,
        namespace=namespace,
        get_if_exists=True,
        lifetime="detached" if detached else None,
        num_cpus=0,  # it only keeps counts: never take a CPU a map task could use
        max_concurrency=10_000,  # waiting acquires are coroutines on the actor's loop
    ).remote(
        concurrency,
        max_concurrency,
        lease_timeout=lease_timeout,
        requests_per_minute=requests_per_minute,
        tokens_per_minute=tokens_per_minute,
    )
    return RayLimiter(actor, name, namespace)


def _config_of(source: Any, settings: dict[str, Any]) -> ZZZConfig:
    config: ZZZConfig | None
    if isinstance(source, ZZZConfig):
        config = source
    elif source is not None:
        config = getattr(source, "config", None)
        if not isinstance(config, ZZZConfig):
            raise TypeError(
                f"expected a ZZZConfig or a model object with a .config (ChatZZZ, ZZZEmbedding, ...); "
                f"got {type(source).__name__}"
            )
    else:
        return ZZZConfig.resolve(**settings)
    if settings:
        raise TypeError(f"pass either a config/model object or settings, not both (got {sorted(settings)})")
    return config
