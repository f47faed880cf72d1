"""Adaptive concurrency: the pure AIMD policy under a fake clock, and its asyncio face."""

from __future__ import annotations

import asyncio
import math

import pytest
from limiter_fakes import Clock, fill

from zzz_core.bulk.limiter import AdaptiveLimit, AsyncAdaptiveLimiter, ConcurrencyLimiter


def test_starts_at_initial_and_waits_for_a_free_slot():
    limit = AdaptiveLimit(4, 10, clock=Clock())
    assert fill(limit) == 4
    assert limit.delay_before_next() == math.inf
    limit.on_success()
    limit.finished()
    assert limit.delay_before_next() == 0


def test_grows_additively_one_per_window_up_to_maximum():
    limit = AdaptiveLimit(2, 5, clock=Clock())
    seen = [limit.limit]
    for _ in range(40):
        for _ in range(limit.limit):
            limit.started()
        for _ in range(limit.limit):
            limit.on_success()
            limit.finished()
        seen.append(limit.limit)
    assert seen[:5] == [2, 3, 4, 5, 5]
    assert max(seen) == 5


def test_throttle_halves_and_pauses_for_retry_after():
    clock = Clock()
    limit = AdaptiveLimit(16, 64, tolerance=0, clock=clock)
    fill(limit)
    limit.on_throttle(retry_after=2.0)
    assert limit.limit == 8
    assert limit.delay_before_next() == pytest.approx(2.0)
    clock.now += 2.0
    assert limit.delay_before_next() == math.inf  # still 16 in flight, limit 8
    # Throttles of requests already in flight at the decrease do not halve again.
    for _ in range(16):
        limit.on_throttle()
        limit.finished()
    assert limit.limit == 8
    assert limit.delay_before_next() == 0
    limit.started()
    limit.on_throttle()
    assert limit.limit == 4
    for _ in range(10):
        limit.on_throttle()
        limit._grace = 0
    assert limit.limit == 1  # never below 1


def test_a_few_random_throttles_do_not_stop_growth():
    limit = AdaptiveLimit(20, 100, clock=Clock())  # tolerance 10%
    for _ in range(30):
        n = limit.limit
        for _ in range(n):
            limit.started()
        for i in range(n):
            if i % 20 == 10:  # 5% throttled, as a gateway throttling at random (after some answers:
                # a throttle before anything was answered is a refusal, see test_..._nothing_got_through)
                limit.on_throttle(retry_after=1.0)
            limit.on_success()
            limit.finished()
    assert limit.limit == 50
    assert limit.decreases == 0
    assert limit.delay_before_next() == 0  # no pause either


def test_a_saturated_gateway_is_backed_off_from():
    limit = AdaptiveLimit(64, 128, clock=Clock())
    cap = 40
    for _ in range(20):
        n = limit.limit
        for _ in range(n):
            limit.started()
        for i in range(n):
            if i >= cap:
                limit.on_throttle(retry_after=0.0)
            else:
                limit.on_success()
            limit.finished()
    assert limit.decreases >= 1
    assert limit.limit <= 48


def test_requests_per_minute_spaces_starts():
    clock = Clock()
    limit = AdaptiveLimit(100, 100, requests_per_minute=120, clock=clock)
    starts = []
    while clock.now < 1060:
        if limit.delay_before_next() == 0:
            limit.started()
            starts.append(clock.now)
            limit.on_success()
            limit.finished()
        clock.now += 0.25
    assert 119 <= len(starts) <= 121
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= 0.5 - 1e-9


def test_tokens_per_minute_budget_and_correction():
    clock = Clock()
    limit = AdaptiveLimit(100, 100, tokens_per_minute=6000, clock=clock)  # 100 tokens/s
    limit.started(tokens=300)
    assert limit.delay_before_next() == pytest.approx(2.0)  # 200 in deficit at 100/s
    limit.on_success(tokens=-100)  # it used 200, not 300: give 100 back
    assert limit.delay_before_next() == pytest.approx(1.0)
    clock.now += 1.0
    assert limit.delay_before_next() == 0


def test_rejects_bad_settings():
    with pytest.raises(ValueError):
        AdaptiveLimit(0, 10)
    with pytest.raises(ValueError):
        AdaptiveLimit(1, 10, backoff=1.5)
    with pytest.raises(ValueError):
        AdaptiveLimit(1, 10, requests_per_minute=0)
    with pytest.raises(ValueError):
        AdaptiveLimit(1, 10, headroom=1.0)


async def test_async_limiter_bounds_concurrency_and_learns():
    limiter = AsyncAdaptiveLimiter(3, 3)
    assert isinstance(limiter, ConcurrencyLimiter)
    running = peak = 0

    async def job() -> None:
        nonlocal running, peak
        await limiter.acquire()
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001)
        running -= 1
        limiter.release("ok")

    await asyncio.gather(*(job() for _ in range(30)))
    assert peak == 3 and limiter.in_flight == 0
    with pytest.raises(ValueError):
        limiter.observe("nope")


async def test_async_limiter_pause_delays_acquire():
    limiter = AsyncAdaptiveLimiter(4, 4, tolerance=0)
    await limiter.acquire()
    limiter.release("throttled", retry_after=0.2)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await limiter.acquire()
    assert loop.time() - t0 >= 0.18
    assert limiter.limit == 2


def _round(limit: AdaptiveLimit, cap: int, *, retry_after: float = 1.0) -> int:
    """Fill the limit, finish every request against a gateway that answers ``cap`` at once and
    throttles the rest; returns how many were throttled."""
    n = fill(limit)
    throttled = 0
    for i in range(n):
        if i >= cap:
            limit.on_throttle(retry_after=retry_after)
            throttled += 1
        else:
            limit.on_success()
        limit.finished()
    return throttled


def test_a_capped_gateway_is_settled_just_under_and_stays_there():
    limit = AdaptiveLimit(64, 128, clock=Clock())  # starts above the gateway's cap of 50
    for _ in range(5):
        _round(limit, 50)
    assert limit.decreases >= 1 and limit.ceiling is not None
    # Then it lives at the cap: a few throttled per window (about the background it assumes
    # before measuring one, half the tolerance), at most a step of 10% back now and then, and
    # no sawing down to 25 and slowly back up.
    decreases, sent, throttled, lowest = limit.decreases, 0, 0, limit.limit
    for _ in range(40):
        sent += limit.limit
        throttled += _round(limit, 50)
        lowest = min(lowest, limit.limit)
    assert throttled <= 0.075 * sent
    assert lowest >= 45 and 45 <= limit.limit <= 56
    assert limit.decreases <= decreases + 2


def test_after_a_decrease_the_limit_grows_back_per_success_to_the_ceiling():
    clock = Clock()
    limit = AdaptiveLimit(40, 128, tolerance=0, clock=clock)
    fill(limit)
    limit.on_throttle(retry_after=1.0)  # 40 in flight were too many
    assert limit.limit == 20 and limit.ceiling == pytest.approx(36)
    for _ in range(40):  # those 40 were sent before the decrease: their answers do not count
        limit.on_success()
        limit.finished()
    assert limit.limit == 20
    clock.now += 1.0  # the pause (nothing had got through) is over
    assert fill(limit) == 20
    for _ in range(20):
        limit.on_success()
        limit.finished()
    assert limit.limit == 36  # one window, not sixteen, to get back to 0.9 x the level throttled
    for n in range(1, 4):
        _round(limit, 100)
        assert limit.limit == 36 + n  # from the ceiling on: one per window again


def test_retry_after_pauses_every_start_only_when_nothing_got_through():
    clock = Clock()
    some = AdaptiveLimit(20, 20, clock=clock)
    fill(some)
    for i in range(20):
        if i < 15:
            some.on_success()
        else:
            some.on_throttle(retry_after=5.0)
        some.finished()
    assert some.decreases == 1
    assert some.delay_before_next() == 0  # the lower limit is the remedy; no pause
    none = AdaptiveLimit(20, 20, clock=clock)
    fill(none)
    none.on_success()
    none.finished()
    clock.now += 6.0  # then nothing answered for longer than the gateway's Retry-After
    for _ in range(3):
        none.on_throttle(retry_after=5.0)  # a rate per minute: everything refused
    assert none.decreases == 1
    assert none.delay_before_next() == pytest.approx(5.0)
