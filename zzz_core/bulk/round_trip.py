"""Whether more requests in flight would bring more answers per second: the limiter's
round-trip test (see :mod:`zzz_core.bulk.limiter`'s docstring for why it exists).

A window's mean round trip and mean requests in flight come from the limiter (request-seconds
in flight ÷ answers, ÷ the window's length).  An LLM's answers take from under a second to a
minute, so one window says little; the judge fits the last few and says "queueing" only when the
round trip clearly grows with the load.
"""

from __future__ import annotations

import math
from collections import deque

__all__ = ["RTT_CONFIDENCE", "RTT_ELASTICITY", "RTT_HISTORY", "RoundTripJudge", "scales_with_load"]

RTT_HISTORY = 8
"""Calm windows remembered to judge whether the round trip grows with the requests in flight."""
RTT_ELASTICITY = 0.5
"""Round trip growing by more than this share of the growth in flight (log-log slope) says the
requests queue: more of them would not bring proportionally more answers per second."""
RTT_CONFIDENCE = 1.5
"""Standard errors the slope must clear ``RTT_ELASTICITY`` by.  An LLM's answers take 0.5 to 30
seconds, so a window's mean round trip is noisy and noise must seldom hold the limit: simulated
20,000 requests with lognormal round trips (sigma 1) take ~10% longer than with no round-trip test
at 1.5, ~2% at 2.0; but at 2.0 and above the limit of a CPU-bound job (benchmark case m) is not
held (31 at 2.0, 39 at 2.5, against 24 at 1.5)."""
RTT_HOLD_WINDOWS = 4
"""Windows the limit holds after a "queueing" verdict before one more is remembered and judged, so
the evidence (windows at other levels) is not pushed out by windows all at the held level.  Each
verdict in a row doubles it, up to ``RTT_MAX_HOLD_WINDOWS``: a level found right many times is
tested again more and more rarely (one step up, when the evidence has aged out)."""
RTT_MAX_HOLD_WINDOWS = 64
RTT_SPREAD = math.log(1.1)
"""The remembered windows must span at least this (log) range of requests in flight to be judged;
below it (the limit has been holding), the limit grows one step, which is also the probe."""


class RoundTripJudge:
    """Remembers the last calm windows and holds its "queueing" verdicts (see ``RTT_HOLD_WINDOWS``)."""

    def __init__(self) -> None:
        self.windows: deque[tuple[float, float]] = deque(maxlen=RTT_HISTORY)
        """(log mean in flight, log mean round trip) of the last calm windows judged."""
        self._holding = 0
        self._hold_for = RTT_HOLD_WINDOWS

    def queueing(self, mean_in_flight: float, mean_round_trip: float) -> bool:
        """A calm window closed: True when the limit should hold rather than grow."""
        if self._holding:
            self._holding -= 1
            return True
        self.windows.append((math.log(mean_in_flight), math.log(mean_round_trip)))
        verdict = scales_with_load(self.windows)
        if verdict:
            self._holding, self._hold_for = self._hold_for, min(RTT_MAX_HOLD_WINDOWS, 2 * self._hold_for)
            return True
        if verdict is not None:  # (None: too few levels to tell, the step up is a probe)
            self._hold_for = RTT_HOLD_WINDOWS
        return False


def scales_with_load(windows: deque[tuple[float, float]]) -> bool | None:
    """Whether the windows' mean round trip clearly grows with their mean in flight; None when
    they are too few, or span too narrow a range of levels, to tell.

    A least-squares slope of log round trip on log in flight: 0 while the gateway answers as
    fast whatever the load, 1 when the answers per second are flat (Little's law: each extra
    request only waits longer).  It says "queueing" only when the slope clears
    ``RTT_ELASTICITY`` by ``RTT_CONFIDENCE`` standard errors, so answers of very different
    lengths (noise, not load) never hold the limit.
    """
    n = len(windows)
    xs = [x for x, _ in windows]
    if n < 4 or max(xs) - min(xs) < RTT_SPREAD:
        return None
    mean_x = sum(xs) / n
    mean_y = sum(y for _, y in windows) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in windows) / sxx
    residual = sum((y - mean_y - slope * (x - mean_x)) ** 2 for x, y in windows) / (n - 2)
    return slope - RTT_CONFIDENCE * math.sqrt(residual / sxx) > RTT_ELASTICITY
