"""(t) Throughput against concurrency: the runner and the floor at 1 ... 128 requests in flight.

For each concurrency level c and each scenario, one job of N chat requests:

* ``zzz bulk``: ``arun_bulk(concurrency=c, max_concurrency=c)`` (the limit may fall below c under
  throttling, never rise above it);
* the floor: ``AsyncOpenAI`` on aiohttp, raw-response path, an ``asyncio.Semaphore`` of c (of at
  most the cap, in the gateway scenario: a client that knows the cap), no retries.

Scenarios (the server shapes load by header, see benchmarks/server.py): ``instant`` answers at
once (the client's CPU decides); ``gateway`` answers after 200 ms and turns away with 429 +
``Retry-After: 1`` whatever is beyond 50 in flight (a saturated relay group): above 50 the
runner meets those 429s and its adaptive limit decides.  No random 429s here (case k has them):
this case shows what concurrency buys.  N grows with c so that every point takes a few seconds.
Throughput is N over the wall time; ``docs/bulk-throughput.png`` plots it (``--write-docs``).
"""

from __future__ import annotations

import asyncio
import gc
import logging

from ..common import CaseResult, Meter, Row, Settings
from .bulk import _floor, _zzz

LEVELS = (1, 4, 16, 64, 128)
SHORT_LEVELS = (1, 8)
SCENARIOS = {
    "instant": {},
    "gateway": {"X-Bench-Delay": "0.2", "X-Bench-Cap": "50"},
}
CONTENDERS = ("zzz bulk", "floor")


def requests_at(level: int, scenario: str, short: bool) -> int:
    """Enough requests for a few seconds at this level (a 200 ms answer caps a slot at 5/s)."""
    if short:
        return 4 * level if scenario == "gateway" else 40
    if scenario == "gateway":
        return min(25 * level, 1000)
    return 2000


def run(s: Settings) -> CaseResult:
    logging.getLogger("zzz_core").setLevel(logging.ERROR)  # one warning per 429 retry is not what is timed
    levels = SHORT_LEVELS if s.short else LEVELS
    rows: list[Row] = []
    points: dict[str, dict[str, dict[int, float]]] = {}
    with Meter(s.server) as m:
        for scenario, headers in SCENARIOS.items():
            per = points.setdefault(scenario, {c: {} for c in CONTENDERS})
            for level in levels:
                n = requests_at(level, scenario, s.short)
                for label in CONTENDERS:
                    gc.collect()
                    if label == "zzz bulk":
                        job = _zzz(s.server.base_url, headers, n, concurrency=level, max_concurrency=level)
                    else:
                        job = _floor(s.server.base_url, headers, n, concurrency=level)
                    dt = asyncio.run(job)
                    per[label][level] = n / dt
                    s.log(f"    scaling {scenario} c={level} {label}: {n} in {dt:.2f} s = {n / dt:.0f}/s")
            for label in CONTENDERS:
                values = {str(c): v for c, v in per[label].items()}
                rows.append(Row(f"bulk.scale.{scenario}.{label}", "t", f"{label}, {scenario} server", "req/s",
                                values, floor="", higher_is_better=True))  # fmt: skip
    extra = {"levels": list(levels), "points": points, "cap": 50, "delay": 0.2}
    return CaseResult(rows, client_cpu=m.client, server_cpu=m.srv, wall=m.wall, extra=extra)
