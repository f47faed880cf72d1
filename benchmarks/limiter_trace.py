"""Where a bulk chat job's time goes: the runner's concurrency limit, traced, under case k's load.

    python benchmarks/limiter_trace.py 4000 instant            # the runner as it is
    python benchmarks/limiter_trace.py 4000 gateway default,0.2   # ... and with tolerance=0.2

One job per variant against the benchmark server (benchmarks/server.py), with case k's load
shaping (``instant``: 5% of answers 429 + ``Retry-After: 1``; ``gateway``: the same plus a
200 ms first byte and a cap of 50 in flight; ``cap``: the cap without the random 429s).  While
it runs, the limiter's limit and whether new starts are paused are sampled every 50 ms; the
line printed says the wall time, the client's CPU time, the throttles the limiter heard of, the
number of decreases, the seconds spent paused and the limit's median, mean and range.

Variants: ``default``, the runner's own ``AsyncAdaptiveLimiter(64, 128)`` (as in case k); a
number, the same with that ``tolerance`` (the share of throttles in a window that lowers the
limit; see ``zzz_core/bulk/limiter.py``).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.cases.bulk import KEY, SCENARIOS  # noqa: E402
from benchmarks.common import Server  # noqa: E402
from zzz_core.bulk import arun_bulk  # noqa: E402
from zzz_core.bulk.limiter import AdaptiveLimit, AsyncAdaptiveLimiter  # noqa: E402

LOADS = {**SCENARIOS, "cap": {"X-Bench-Delay": "0.2", "X-Bench-Cap": "50"}}


async def job(base_url: str, headers: dict[str, str], n: int, variant: str) -> str:
    state = AdaptiveLimit(64, 128, tolerance=float(variant)) if variant != "default" else AdaptiveLimit(64, 128)
    limiter = AsyncAdaptiveLimiter.wrapping(state)
    limits: list[int] = []
    paused = 0.0
    throttles = 0
    on_throttle = state.on_throttle

    def counted(retry_after: float | None = None) -> None:
        nonlocal throttles
        throttles += 1
        on_throttle(retry_after)

    state.on_throttle = counted  # type: ignore[method-assign]

    async def watch() -> None:
        nonlocal paused
        while True:
            limits.append(limiter.limit)
            paused += 0.05 if state.paused_until > state.clock() else 0.0
            await asyncio.sleep(0.05)

    watcher = asyncio.ensure_future(watch())
    items = ({"custom_id": f"q{i}", "messages": [{"role": "user", "content": f"question {i}"}]} for i in range(n))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t0, cpu0 = time.perf_counter(), time.process_time()
            report = await arun_bulk(items, Path(tmp, "out.jsonl"), kind="chat", model="gpt-4o-mini", api_key=KEY,
                                     base_url=base_url, default_headers=headers, limiter=limiter,
                                     progress=False)  # fmt: skip
            dt, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    finally:
        watcher.cancel()
    limits.sort()
    median, low, high = limits[len(limits) // 2], limits[0], limits[-1]
    mean = sum(limits) / len(limits)
    return (f"{variant}: {report.recorded} of {n} in {dt:.1f} s ({n / dt:.0f}/s, client CPU {cpu:.1f} s); "
            f"{throttles} throttles, {state.decreases} decreases, paused {paused:.1f} s; "
            f"limit median {median}, mean {mean:.1f}, min {low}, max {high}")  # fmt: skip


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 4000
    load = argv[1] if len(argv) > 1 else "instant"
    variants = argv[2].split(",") if len(argv) > 2 else ["default"]
    logging.getLogger("zzz_core").setLevel(logging.ERROR)  # one warning per 429 retry
    with Server() as server:
        for variant in variants:
            print(f"{load}, {LOADS[load]}: " + asyncio.run(job(server.base_url, LOADS[load], n, variant)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
