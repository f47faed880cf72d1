"""The limiter stops raising the limit when more in flight brings no more answers per second.

Pure and deterministic: each round fills the limit, the fake clock advances by the round trip a
synthetic gateway gives that many requests in flight, then all are answered.  A gateway with a
fixed throughput makes the round trip grow with the limit (Little's law); the limit must hold
there (each extra slot would only hold one more answer in memory), and never fall for latency
alone.  The benchmark that motivated this is case m (``benchmarks/cases/bulk_memory.py``).
"""

from __future__ import annotations

import heapq
import random

from limiter_fakes import Clock

from zzz_core.bulk.limiter import AdaptiveLimit


def _round(limit: AdaptiveLimit, clock: Clock, base: float, per_second: float | None) -> int:
    """Fill the limit; the gateway answers each after ``base`` seconds, or, once ``per_second``
    (its throughput) is reached, after as long as the queue in front of it takes."""
    n = 0
    while limit.delay_before_next() == 0:
        limit.started()
        n += 1
    rtt = base if per_second is None else max(base, n / per_second)
    clock.now += rtt
    for _ in range(n):
        limit.on_success()
        limit.finished()
    return n


def _run(
    rounds: int, base: float, per_second: float | None, initial: int = 16
) -> tuple[AdaptiveLimit, Clock, list[int]]:
    clock = Clock()
    limit = AdaptiveLimit(initial, 128, clock=clock)
    return limit, clock, [_round(limit, clock, base, per_second) for _ in range(rounds)]


def test_a_constant_round_trip_lets_the_limit_grow_to_its_maximum():
    limit, _, levels = _run(300, 0.2, None)
    assert limit.limit == 128
    assert levels == sorted(levels)  # it grew all the way, never held
    assert limit.min_rtt is not None and abs(limit.min_rtt - 0.2) < 1e-9


def test_flat_throughput_stops_the_limit_growing():
    # The gateway (or this process's CPU) answers 100 a second whatever the limit: from 16 in
    # flight on, a larger limit only makes each request wait longer.
    limit, _, levels = _run(300, 0.05, 100.0)
    assert 16 <= limit.limit <= 22, levels[-1]
    assert levels[-100:] == [levels[-1]] * 100  # it holds (without the round-trip test: 128)
    assert limit.decreases == 0


def test_the_limit_grows_up_to_where_the_throughput_stops_rising():
    # 200 ms round trips, up to 200 answers a second (40 in flight): growth pays up to 40.
    limit, _, levels = _run(400, 0.2, 200.0)
    assert 40 <= limit.limit <= 60, levels[-1]
    assert levels[-100:] == [levels[-1]] * 100


def test_latency_alone_never_lowers_the_limit():
    limit, clock, _ = _run(200, 0.2, None, initial=32)
    held = limit.limit
    for _ in range(100):  # the gateway gets ten times slower and stops scaling
        _round(limit, clock, 2.0, 20.0)
    assert limit.limit == held and limit.decreases == 0
    assert limit.last_rtt is not None and limit.last_rtt > 2.0


def test_answers_of_very_different_lengths_do_not_hold_the_limit():
    # An LLM's answers take from a fraction of a second to many seconds (here lognormal, median
    # 1 s, sigma 1), on a gateway that scales: window means are noisy, but they do not grow with
    # the load, and the limit must grow as with a constant round trip (a policy comparing each
    # window with the lowest seen held it near 30, a job 4x slower).
    rnd, clock = random.Random(7), Clock()
    limit = AdaptiveLimit(16, 256, clock=clock)
    answers_at: list[float] = []
    for _ in range(20_000):
        while limit.delay_before_next() != 0:
            clock.now = heapq.heappop(answers_at)
            limit.on_success()
            limit.finished()
        limit.started()
        heapq.heappush(answers_at, clock.now + rnd.lognormvariate(0, 1.0))
    assert limit.limit >= 150 and limit.decreases == 0
