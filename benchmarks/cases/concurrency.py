"""(c) N concurrent async non-streamed calls: wall time of the burst, first and steady state.

Each sample builds a fresh client (a fresh connection pool) and fires three
bursts of N calls with ``asyncio.gather``: the first is timed as the *first
burst* (every connection opened under load), the third as the *steady state*
(the pool as the library keeps it: the openai SDK and httpx keep 100 idle
connections, so a burst of 200 reuses 100 and opens 100).  The second is
reported too: with httpx it is an outlier several times slower than both
(httpcore's pool assigns requests to connections in O(requests x connections)
on every state change, and this is where the most of both are in play).
Then the client is closed.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ..clients import ASYNC_NAMES, chat_contenders
from ..common import CaseResult, Meter, Row, Settings, median, rel_spread, round_robin, slot


def run(s: Settings) -> CaseResult:
    sizes = (20,) if s.short else (200, 1000)
    loop = asyncio.new_event_loop()
    classes = {c.name: c for c in chat_contenders(ASYNC_NAMES, s.only)}
    for cls in classes.values():  # imports and lazy set-up outside the timed bursts
        obj = cls(s.server.base_url)
        loop.run_until_complete(obj.acall())
        loop.run_until_complete(obj.aclose())
    rows: list[Row] = []
    notes: list[str] = []
    counter = iter(range(10**9))
    try:
        with Meter(s.server) as m:
            for size in sizes:
                rounds = s.n(5 if size <= 200 else 2, 1)
                failures: dict[str, int] = {}

                async def burst(obj: Any, name: str, size: int = size, failures: dict[str, int] = failures) -> float:
                    t0 = time.perf_counter()
                    results = await asyncio.gather(*(obj.acall() for _ in range(size)), return_exceptions=True)
                    dt = time.perf_counter() - t0
                    bad = [r for r in results if isinstance(r, BaseException)]
                    if bad:
                        failures[name] = failures.get(name, 0) + len(bad)
                        example = f"{type(bad[0]).__name__}: {str(bad[0])[:120]}"
                        notes.append(f"{name}, {size} concurrent: {len(bad)} calls failed, e.g. {example}")
                    return dt

                def sample(name: str) -> tuple[float, float]:
                    async def go() -> tuple[float, float]:
                        # a header unique to this sample gives clients that share pools per
                        # configuration (zzz_core's Gateway) a fresh pool too
                        obj = classes[name](s.server.base_url, {"X-Bench-Pool": str(next(counter))})
                        try:
                            first = await burst(obj, name)
                            second = await burst(obj, name)
                            steady = await burst(obj, name)
                        finally:
                            await obj.aclose()
                        return first, steady, second

                    return loop.run_until_complete(go())

                got = round_robin(list(classes), sample, rounds, warmup=0, log=s.log if not s.short else None)
                labels = {"steady": "steady state (3rd burst)", "first": "first burst (fresh pool)",
                          "second": "second burst"}  # fmt: skip
                for which, idx in (("steady", 1), ("first", 0), ("second", 2)):
                    vals = {n: [v[idx] * 1e3 for v in vs] for n, vs in got.items()}
                    label = labels[which]
                    rows.append(Row(f"conc.{size}.{which}", "c", f"{size} concurrent async calls, {label}", "ms",
                                    {slot(n): median(v) for n, v in vals.items()},
                                    detail={slot(n): f"{failures[n]} failed" for n in failures},
                                    spread={slot(n): rel_spread(v) for n, v in vals.items()}))  # fmt: skip
    finally:
        loop.close()
    return CaseResult(rows, client_cpu=m.client, server_cpu=m.srv, wall=m.wall, notes=notes)
