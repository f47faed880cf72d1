"""What the limiter's pure tests drive it with: a clock they move by hand, and a way to fill
the limit."""

from __future__ import annotations

from zzz_core.bulk.limiter import AdaptiveLimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fill(limit: AdaptiveLimit) -> int:
    """Start requests until the limit says wait; return how many started."""
    n = 0
    while limit.delay_before_next() == 0:
        limit.started()
        n += 1
    return n
