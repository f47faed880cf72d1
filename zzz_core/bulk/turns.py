"""A request's turn under a concurrency limiter: how every many-request path sends.

The bulk runner's items and the batches of a large embeddings call (``Gateway.aembed``,
which ``ZZZEmbeddings`` and LlamaIndex ``ZZZEmbedding`` call) each

1. wait for a slot of a :class:`~zzz_core.bulk.limiter.ConcurrencyLimiter`;
2. set two context variables for their own asyncio task: the transport's ``retry_gate``
   (:meth:`HeldSlot.wait_to_resend`: a throttled request gives its slot back while it
   waits out ``Retry-After`` and takes one again before the one retry loop resends it,
   so the limiter hears of every throttle and retries never run above its limit) and the
   retry policy's ``rate_limit_patience`` (429 and upstream saturation are retried for a
   time, not a count: the limiter already slows the sender, so a throttled request waits
   its turn instead of failing);
3. give the slot back with the outcome (``ok``, ``throttled``, ``error``).

A large embeddings call (its texts take more than one request) is a small bulk job and gets
the same rate-limit time budget (:func:`large_input`); a call of one request stays a plain
call, which fails after ``max_retries`` like every other.  A synchronous call sends one
request after another, so it has no limiter, only the budget.  The skins keep one limiter per
event loop (:class:`LoopLimiters`), so that concurrent calls of one model (LlamaIndex gathers
its batches as separate calls) share one adaptive limit.

Nothing here retries: what is sent again and when stays ``zzz_core.retry``'s decision,
inside ``zzz_core.transport``'s one loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, TypeVar

from .. import errors as E
from ..retry import rate_limit_patience
from ..transport import retry_gate
from .limiter import AsyncAdaptiveLimiter, ConcurrencyLimiter, HeldSlot

__all__ = ["RATE_LIMIT_PATIENCE", "LoopLimiters", "end_turn", "large_input", "patience", "take_turn", "turn"]

RATE_LIMIT_PATIENCE = 600.0
"""Seconds from its first send that a request throttled again and again is still sent again."""

T = TypeVar("T")


def take_turn(limiter: ConcurrencyLimiter, expected: int = 0, patience: float | None = RATE_LIMIT_PATIENCE) -> HeldSlot:
    """After ``limiter.acquire(expected)``: this task's retry gate and patience (each asyncio task
    has its own context, so this touches no other request).  ``patience=None``: rate limits count
    against ``max_retries`` like other failures."""
    slot = HeldSlot(limiter, expected)
    retry_gate.set(slot.wait_to_resend)
    rate_limit_patience.set(patience)
    return slot


def end_turn(slot: HeldSlot, outcome: str, retry_after: float | None = None, tokens: int = 0) -> None:
    """Give the slot back (unless a throttle's wait already did and no retry took it again)."""
    if slot.held:
        slot.limiter.release(outcome, retry_after=retry_after, tokens=tokens)


async def turn(limiter: ConcurrencyLimiter, send: Callable[[], Awaitable[T]], *,
               patience: float | None = RATE_LIMIT_PATIENCE) -> T:  # fmt: skip
    """``await send()`` in a turn of ``limiter``: acquire, :func:`take_turn`, :func:`end_turn`
    with the outcome.  Run it in a task of its own (``asyncio.gather`` makes one per call)."""
    await limiter.acquire()
    slot = take_turn(limiter, 0, patience)
    outcome, retry_after = "error", None
    try:
        result = await send()
        outcome = "ok"
        return result
    except E.RateLimitError as exc:  # the retry loop gave up on a throttle
        outcome, retry_after = "throttled", exc.retry_after
        raise
    finally:
        end_turn(slot, outcome, retry_after)


@contextmanager
def patience(seconds: float | None) -> Iterator[None]:
    """Rate limits are retried for ``seconds`` inside this block (the synchronous large call's budget)."""
    token = rate_limit_patience.set(seconds)
    try:
        yield
    finally:
        rate_limit_patience.reset(token)


def large_input(texts: int, batch_size: int, seconds: float | None = RATE_LIMIT_PATIENCE) -> Any:
    """A context manager: :func:`patience` of ``seconds`` when ``texts`` take more than one request
    of ``batch_size``, else nothing (a single request keeps the caller's setting)."""
    return patience(seconds) if texts > batch_size else nullcontext()


class LoopLimiters:
    """One :class:`~zzz_core.bulk.limiter.AsyncAdaptiveLimiter` per event loop (its waiters belong
    to one loop), shared by every call made on that loop; starts and stays within ``concurrency``."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = max(1, concurrency)
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncAdaptiveLimiter] = (
            weakref.WeakKeyDictionary()
        )

    def get(self) -> AsyncAdaptiveLimiter:
        """The running loop's limiter."""
        loop = asyncio.get_running_loop()
        limiter = self._by_loop.get(loop)
        if limiter is None:
            limiter = self._by_loop[loop] = AsyncAdaptiveLimiter(self.concurrency, self.concurrency)
        return limiter
