"""Adaptive concurrency for bulk jobs: how many requests may be in flight, and when the next may start.

Two layers, so the policy can be tested with a fake clock and shared across processes:

- :class:`AdaptiveLimit` is the pure policy (no asyncio, no threads, an injected clock):
  AIMD on the concurrency limit, a pause that honours ``Retry-After``, and optional
  requests-per-minute and tokens-per-minute caps.
- :class:`AsyncAdaptiveLimiter` puts it behind the :class:`ConcurrencyLimiter` interface for
  one event loop.  The Ray helpers wrap the same class in an actor so that every worker
  using one key consults one limit.

The policy tells a gateway's random throttles from its concurrency cap:

- It starts at ``initial`` requests in flight.  Each window of ``limit`` answered requests
  without more throttles than the background makes raises the limit by ``increase``
  (additive), up to ``maximum``.
- A throttle (429, rate limit, ``当前分组上游负载已饱和``) counts against the current window.
  Some gateways throttle a share of requests whatever the load (at random, or for others'
  load); a smaller limit does not avoid those, and the throttled request waits out its own
  ``Retry-After``.  So the limiter measures that **background** share (see
  ``AdaptiveLimit.background``: the share throttled in windows that ended without a decrease
  while the limit was not above the ceiling; half the ``tolerance`` is assumed until it is
  measured) and decreases only when a window holds more than ``tolerance`` × its size of
  throttles *and* clearly more than the background explains (``SIGNIFICANCE``: 3.5 standard
  deviations).  A gateway above its cap throttles far more: a throttled slot is reused at
  once and throttled again.  ``tolerance=0`` is textbook AIMD: every throttle halves.
- The first decrease halves the limit (``backoff``) and remembers the level that was too
  much: ``ceiling`` becomes ``headroom`` (0.9) × the limit then.  Below the ceiling the limit
  grows back by ``increase`` per answer (within one window, as TCP's slow start to its
  threshold); above it, by ``increase`` per calm window, and one step back (never below the
  ceiling) after a window with more throttles than the background.
- A later decrease, after the limit had grown back, is a **step** to ``headroom`` × the
  level, which becomes the ceiling: the cap is about there, and halving would throw away half
  the throughput for a window or more.  Too many again without the limit growing in between,
  after a halving or after two steps (the cap fell), halves it again.  So against a gateway
  capped at N in flight
  the limit stays between about 0.9 N and N, and random throttles on top of the cap do not
  ratchet it down (the previous policy, more than 10% of a window halving and lowering the
  ceiling, measured a median of 32 against a cap of 50 with 5% random throttles).
- ``Retry-After`` pauses every new start only when no request was answered for that long
  (the gateway refuses everything, as a requests-per-minute limit does; that also decreases
  the limit).  When some requests still succeed, the throttled request itself waits its own
  ``Retry-After`` in the retry loop (and, in the bulk runner, gives its slot back meanwhile:
  ``zzz_core.transport.retry_gate``).
- After a decrease, the requests that were already in flight say nothing of the new limit:
  their throttles do not decrease it again and their answers do not count in a window (one
  reaction per window, as TCP does).
- More in flight is worth it only while it brings more answers per second.  A gateway that
  never throttles (or this process's own CPU, parsing large answers) can still be saturated:
  then each request just waits longer, throughput = limit / round trip stays flat (Little's
  law), and every extra slot only holds one more answer in memory.  So, as TCP Vegas and
  Netflix's concurrency-limits Gradient do, the limiter measures each window's mean round trip
  and mean in flight (the time requests were in flight, summed, ÷ the answers and ÷ the
  window's length: no per-request timing needed, so the Ray keeper measures it too).  An
  LLM's answers take from under a second to a minute, so one window's mean is noisy, and
  comparing it with the lowest seen would hold the limit at random (a job several times
  slower).  Instead the last ``RTT_HISTORY`` calm windows are fitted (:mod:`.round_trip`): the limit **holds** only
  when the round trip clearly grows with the load (log-log slope above ``RTT_ELASTICITY`` by
  ``RTT_CONFIDENCE`` standard errors), then stays held for ``RTT_HOLD_WINDOWS`` windows,
  doubling for each verdict in a row.  Latency alone never lowers the limit: throttles do.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from .. import errors as E
from .round_trip import RoundTripJudge

__all__ = [
    "AdaptiveLimit",
    "AsyncAdaptiveLimiter",
    "ConcurrencyLimiter",
    "HeldSlot",
    "OUTCOMES",
]

OUTCOMES = ("ok", "throttled", "error")
MAX_PAUSE = 60.0
"""A longer ``Retry-After`` is capped (the retry loop gives such a request up anyway)."""
SIGNIFICANCE = 3.5
"""Standard deviations above the background share before throttles count as "too many"."""
BACKGROUND_DECAY = 0.9
"""Weight a window of the background estimate keeps per later window (about the last ten count)."""
STEPS_BEFORE_HALVING = 2
"""Decreases in a row, the limit not growing in between, after which the next one halves."""
PRIOR_OUTCOMES = 100
"""How much the assumed background (half the tolerance) weighs against measured outcomes."""
MAX_BACKGROUND = 0.3
"""A gateway throttling more than this share at random is treated as throttling for load."""


@runtime_checkable
class ConcurrencyLimiter(Protocol):
    """What the bulk runner consults before each request and tells after it."""

    async def acquire(self, tokens: int = 0) -> None:
        """Wait until one more request may start (concurrency limit, rpm/tpm caps, a
        ``Retry-After`` pause); ``tokens`` is what the request is expected to use."""

    def release(self, outcome: str, *, retry_after: float | None = None, tokens: int = 0) -> None:
        """One request acquired earlier has finished: ``"ok"``, ``"throttled"`` or ``"error"``.
        ``tokens`` corrects the tokens-per-minute account: actual use minus what ``acquire``
        was told."""

    @property
    def limit(self) -> int:
        """The current concurrency limit (shown in progress and logs)."""


class AdaptiveLimit:
    """The pure AIMD state; see the module docstring.  Not thread-safe: one owner at a time.

    The caller drives it: ``delay_before_next(now, tokens)`` says how long to wait (``0``:
    go, ``math.inf``: until a request finishes); ``started(now, tokens)`` when one goes;
    ``on_success``/``on_throttle``/``on_error`` for outcomes and ``finished()`` when a
    started request ends.  ``on_throttle`` may also be called for a throttled attempt that
    the retry loop will send again (the request is still in flight).
    """

    def __init__(
        self,
        initial: int = 16,
        maximum: int = 256,
        *,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        increase: float = 1.0,
        backoff: float = 0.5,
        tolerance: float = 0.1,
        headroom: float = 0.9,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if maximum < 1 or initial < 1:
            raise ValueError("initial and maximum concurrency must be at least 1")
        if not 0 < backoff < 1:
            raise ValueError("backoff must be between 0 and 1 (the factor a throttle leaves of the limit)")
        if not 0 < headroom < 1:
            raise ValueError("headroom must be between 0 and 1 (the share of a level found too much kept)")
        for name, cap in (("requests_per_minute", requests_per_minute), ("tokens_per_minute", tokens_per_minute)):
            if cap is not None and cap <= 0:
                raise ValueError(f"{name} must be positive when given")
        self.maximum = int(maximum)
        self.current = float(min(initial, maximum))
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        self.increase = increase
        self.backoff = backoff
        self.tolerance = tolerance
        self.headroom = headroom
        self.ceiling: float | None = None
        """Just under the level the gateway last throttled (``headroom`` × the limit then); None before."""
        self.clock = clock
        self.in_flight = 0
        self.paused_until = -math.inf
        self.decreases = 0
        self._window_done = 0
        self._window_throttled = 0
        self._background_seen = 0.0
        self._background_throttled = 0.0
        """Decayed sums over the windows that measure the background share (see ``background``)."""
        self._answered_at = -math.inf
        """When a request was last answered (not throttled)."""
        self._decreased_to = 0.0
        """The limit the last decrease left."""
        self._steps_in_a_row = 0
        """Steps down (not halvings) in a row, the limit not growing in between."""
        self._halved_last = False
        self._grace = 0
        """Requests in flight at the last decrease: their throttles do not decrease again, their
        answers do not count in a window."""
        self._next_request_at = -math.inf
        self.min_rtt: float | None = None
        """The lowest mean round trip of a window (seconds); None before the first window closes."""
        self._round_trips = RoundTripJudge()
        self.last_rtt: float | None = None
        """The last closed window's mean round trip (seconds)."""
        self._busy = 0.0
        """Request-seconds in flight since the current window began (its round trips, summed)."""
        self._busy_at = self._window_began = clock()
        self._busy_clean = True
        """False in a window that began at a decrease: requests in grace added to ``_busy``."""
        self._tokens = float(tokens_per_minute or 0) / 60.0
        self._tokens_at = clock()

    # -- reading ----------------------------------------------------------------
    @property
    def limit(self) -> int:
        return max(1, int(self.current))

    @property
    def background(self) -> float:
        """The share of outcomes the gateway throttles whatever the limit (at random, or for
        others' load): measured in the windows that ended without a decrease while the limit
        was not above the ceiling, starting from half the ``tolerance`` as if ``PRIOR_OUTCOMES``
        outcomes had shown it (so ``tolerance=0`` assumes none)."""
        prior = self.tolerance / 2 * PRIOR_OUTCOMES
        share = (self._background_throttled + prior) / (self._background_seen + PRIOR_OUTCOMES)
        return min(MAX_BACKGROUND, share)

    def _expected(self, window: int) -> float:
        """The throttles a window of ``window`` answers holds from the background alone (the
        background is a share of all outcomes, throttles included)."""
        share = self.background
        return share * window / (1.0 - share)

    def _noise(self, window: int) -> float:
        """The background's throttles give or take one standard deviation (Poisson): up to
        this, nothing says "too many"."""
        expected = self._expected(window)
        return expected + math.sqrt(expected)

    def _allowance(self, window: int) -> float:
        """The throttles a window may hold before the limit decreases: more than ``tolerance``
        of it, and clearly more (``SIGNIFICANCE`` standard deviations) than the background."""
        expected = self._expected(window)
        return max(self.tolerance * window, expected + SIGNIFICANCE * math.sqrt(expected))

    def delay_before_next(self, now: float | None = None, tokens: int = 0) -> float:
        """Seconds until one more request may start: 0 to go now, ``math.inf`` while the
        concurrency limit is reached (wait for a request to finish)."""
        now = self.clock() if now is None else now
        waits = [self.paused_until - now]
        if self.requests_per_minute is not None:
            waits.append(self._next_request_at - now)
        if self.tokens_per_minute is not None:
            level = self._token_level(now)
            if level < 0:
                waits.append(-level / (self.tokens_per_minute / 60.0))
        wait = max(waits)
        if wait > 0:
            return wait
        return math.inf if self.in_flight >= self.limit else 0.0

    def _token_level(self, now: float) -> float:
        rate = (self.tokens_per_minute or 0) / 60.0
        return min(rate, self._tokens + (now - self._tokens_at) * rate)  # a second's worth at most

    # -- driving ----------------------------------------------------------------
    def started(self, now: float | None = None, tokens: int = 0) -> None:
        """A request starts now (after ``delay_before_next`` said 0)."""
        now = self.clock() if now is None else now
        self._accrue(now)
        self.in_flight += 1
        if self.requests_per_minute is not None:
            self._next_request_at = max(now, self._next_request_at) + 60.0 / self.requests_per_minute
        if self.tokens_per_minute is not None:
            self.charge_tokens(tokens, now)

    def charge_tokens(self, tokens: float, now: float | None = None) -> None:
        """Take ``tokens`` from the tokens-per-minute budget (negative gives back)."""
        if self.tokens_per_minute is None or not tokens:
            return
        now = self.clock() if now is None else now
        self._tokens = self._token_level(now) - tokens
        self._tokens_at = now

    def finished(self) -> None:
        """A started request has ended (whatever its outcome)."""
        self._accrue(self.clock())
        self.in_flight = max(0, self.in_flight - 1)
        if self._grace:
            self._grace -= 1

    def _accrue(self, now: float) -> None:
        """Add the time requests spent in flight since the last event to the window's sum."""
        if now > self._busy_at:
            self._busy += self.in_flight * (now - self._busy_at)
            self._busy_at = now

    def _queueing(self) -> bool:
        """Close the window's round trip measure; True when it says requests queue (more in
        flight would not bring more answers per second), see the module docstring."""
        now = self.clock()
        self._accrue(now)
        busy, duration = self._busy, now - self._window_began
        rtt = busy / max(1, self._window_done)
        clean, self._busy, self._busy_clean, self._window_began = self._busy_clean, 0.0, True, now
        if not clean or busy <= 0 or duration <= 0:
            return False  # the requests in grace were summed, their answers not counted: says nothing
        self.last_rtt = rtt
        self.min_rtt = rtt if self.min_rtt is None else min(self.min_rtt, rtt)
        return self._round_trips.queueing(busy / duration, rtt)

    def on_success(self, tokens: int = 0) -> None:
        """A request succeeded; ``tokens`` corrects the tokens-per-minute account (actual
        minus expected)."""
        self.charge_tokens(tokens)
        self._count()

    def on_error(self) -> None:
        """A request failed for a reason that says nothing about load (neutral)."""
        self._count()

    def on_throttle(self, retry_after: float | None = None) -> None:
        """The gateway throttled a request (429, rate limit, upstream saturation)."""
        now = self.clock()
        refused = False
        if retry_after is not None and retry_after > 0:
            wait = min(retry_after, MAX_PAUSE)
            refused = now - self._answered_at > wait
            if refused or now < self.paused_until:
                # Nothing got through for as long as the gateway asks us to wait: it refuses
                # everything (a rate per minute, an outage), so no request should start before
                # then; and while pausing, its word on when to come back still counts.
                # Otherwise the throttled request waits its own Retry-After and others go on.
                self.paused_until = max(self.paused_until, now + wait)
        if self._grace:
            return
        self._window_throttled += 1
        if refused or self._window_throttled > self._allowance(self.limit):
            self._decrease()

    def _decrease(self) -> None:
        level = self.current
        grew = level > self._decreased_to
        # Steps down in a row without the limit growing in between: they did not reach the cap.
        self._steps_in_a_row = 0 if grew else self._steps_in_a_row + 1
        if (
            self.ceiling is None
            or not self.tolerance
            or self._steps_in_a_row >= STEPS_BEFORE_HALVING
            or (self._halved_last and not grew)
        ):
            # The first sign of a limit, or still too many after a halving or steps down (the
            # gateway's cap fell): halve, and come back fast to just under this level.
            # (``tolerance=0``: always, as textbook AIMD.)
            self.current = max(1.0, level * self.backoff)
            self._halved_last, self._steps_in_a_row = True, 0
        else:
            # Too many after calm windows: the cap is about here; step just under it.
            self.current = max(1.0, level * self.headroom)
            self._halved_last = False
        self.ceiling = max(1.0, level * self.headroom)
        self._decreased_to = self.current
        self.decreases += 1
        self._grace = self.in_flight
        self._window_done = self._window_throttled = 0
        self._accrue(self.clock())
        self._busy, self._busy_clean = 0.0, False  # (requests in grace add to the next window's sum)
        self._window_began = self.clock()

    def _count(self) -> None:
        self._answered_at = self.clock()
        if self._grace:
            return  # sent before the last decrease: says nothing of the new limit
        self._window_done += 1
        ceiling = self.ceiling
        if ceiling is not None and self.current + self.increase <= ceiling:
            if self._window_throttled <= self._noise(self.limit):
                self.current += self.increase  # back to just under the level that was too much, fast
                return  # (the window grows with the limit: it closes once the limit stops)
        if self._window_done < self.limit:
            return
        seen, window = self._window_throttled, self._window_done + self._window_throttled
        if ceiling is None or self.current <= ceiling:
            # Not above the level once too much: what is throttled here is the background.
            decay = BACKGROUND_DECAY ** (window / max(1, self.limit))
            self._background_seen = self._background_seen * decay + window
            self._background_throttled = self._background_throttled * decay + seen
        queueing = self._queueing()
        if seen <= self._noise(self.limit):
            if not queueing:  # (queueing: more in flight would only wait longer; hold)
                self.current = min(float(self.maximum), self.current + self.increase)
        elif ceiling is not None and self.current > ceiling:
            # Above the ceiling, more throttles than the background makes: perhaps the cap
            # again; one step back (a decrease waits for clear evidence).
            self.current = max(ceiling, self.current - self.increase)
        self._window_done = self._window_throttled = 0

    def __repr__(self) -> str:
        return (
            f"AdaptiveLimit(limit={self.limit}, maximum={self.maximum}, ceiling={self.ceiling}, "
            f"in_flight={self.in_flight}, "
            f"rpm={self.requests_per_minute}, tpm={self.tokens_per_minute})"
        )


class AsyncAdaptiveLimiter:
    """:class:`AdaptiveLimit` behind :class:`ConcurrencyLimiter`, for one event loop.

    Also offers ``observe(outcome, retry_after=)`` for attempts the retry loop sends again
    (the request stays in flight); ``release`` reports through it.
    """

    def __init__(self, initial: int = 16, maximum: int = 256, **options: Any) -> None:
        self.state = AdaptiveLimit(initial, maximum, **options)
        self._changed: asyncio.Event | None = None

    @classmethod
    def wrapping(cls, state: AdaptiveLimit) -> AsyncAdaptiveLimiter:
        limiter = cls.__new__(cls)
        limiter.state = state
        limiter._changed = None
        return limiter

    @property
    def limit(self) -> int:
        return self.state.limit

    @property
    def in_flight(self) -> int:
        return self.state.in_flight

    async def acquire(self, tokens: int = 0) -> None:
        state = self.state
        while True:
            now = state.clock()
            wait = state.delay_before_next(now, tokens)
            if wait <= 0:
                state.started(now, tokens)
                return
            if self._changed is None:
                self._changed = asyncio.Event()
            changed = self._changed
            changed.clear()
            if math.isinf(wait):
                await changed.wait()
            else:
                try:
                    await asyncio.wait_for(changed.wait(), wait)
                except asyncio.TimeoutError:
                    pass

    def release(self, outcome: str, *, retry_after: float | None = None, tokens: int = 0) -> None:
        self.observe(outcome, retry_after=retry_after, tokens=tokens)
        self.state.finished()
        if self._changed is not None:
            self._changed.set()

    def observe(self, outcome: str, *, retry_after: float | None = None, tokens: int = 0) -> None:
        """Learn from one outcome without ending a request (a retried attempt)."""
        if outcome == "ok":
            self.state.on_success(tokens)
        elif outcome == "throttled":
            self.state.charge_tokens(tokens)
            self.state.on_throttle(retry_after)
        elif outcome == "error":
            self.state.charge_tokens(tokens)
            self.state.on_error()
        else:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")

    def __repr__(self) -> str:
        return f"AsyncAdaptiveLimiter({self.state!r})"


class HeldSlot:
    """One request's hold on a limiter slot, given back while the request waits to be resent after a
    throttle; ``wait_to_resend`` is what the bulk runner sets as ``zzz_core.transport.retry_gate``."""

    __slots__ = ("expected", "held", "limiter")

    def __init__(self, limiter: ConcurrencyLimiter, expected: int) -> None:
        self.limiter = limiter
        self.expected = expected
        self.held = True

    async def wait_to_resend(self, failure: E.ZZZError, delay: float) -> None:
        """The transport's ``retry_gate``: a throttle frees the slot for the wait (the limiter
        learns of it, and others may use the slot), then the retry waits for a slot like any
        new request; other failures keep the slot and just wait."""
        if not isinstance(failure, E.RateLimitError):
            await asyncio.sleep(delay)
            return
        self.held = False
        self.limiter.release("throttled", retry_after=failure.retry_after, tokens=-self.expected)
        await asyncio.sleep(delay)
        await self.limiter.acquire(self.expected)
        self.held = True
