"""(b) Microseconds per chunk of a 2,000-chunk stream, sync and async.

Time per chunk is the whole stream's wall time (request included) over the
content chunks received; the server sends ``X-ZZZ-Stream-Chunks`` one-word
content chunks, each event in its own HTTP chunk.
"""

from __future__ import annotations

import asyncio
import time

from ..clients import ASYNC_NAMES, CHUNKS_HEADER, SYNC_NAMES, chat_contenders
from ..common import CaseResult, Meter, Row, Settings, median, rel_spread, round_robin, slot


def run(s: Settings) -> CaseResult:
    chunks = s.n(2000, 50)
    rounds = s.n(12, 1)
    headers = {CHUNKS_HEADER: str(chunks)}
    rows = []
    with Meter(s.server) as m:
        sync = {c.name: c(s.server.base_url, headers) for c in chat_contenders(SYNC_NAMES, s.only)}

        def sample(name: str) -> float:
            t0 = time.perf_counter()
            n = sync[name].stream()
            dt = time.perf_counter() - t0
            if n != chunks:
                raise AssertionError(f"{name}: {n} content chunks, expected {chunks}")
            return dt / n * 1e6

        got = round_robin(list(sync), sample, rounds, warmup=0 if s.short else 1, log=s.log if not s.short else None)
        for o in sync.values():
            o.close()
        rows.append(Row("stream.sync", "b", f"stream, sync, {chunks:,} chunks", "µs/chunk",
                        {slot(n): median(v) for n, v in got.items()},
                        spread={slot(n): rel_spread(v) for n, v in got.items()}))  # fmt: skip

        loop = asyncio.new_event_loop()
        try:
            objs = {c.name: c(s.server.base_url, headers) for c in chat_contenders(ASYNC_NAMES, s.only)}

            def asample(name: str) -> float:
                async def go() -> tuple[int, float]:
                    t0 = time.perf_counter()
                    n = await objs[name].astream()
                    return n, time.perf_counter() - t0

                n, dt = loop.run_until_complete(go())
                if n != chunks:
                    raise AssertionError(f"{name} (async): {n} content chunks, expected {chunks}")
                return dt / n * 1e6

            got = round_robin(
                list(objs), asample, rounds, warmup=0 if s.short else 1, log=s.log if not s.short else None
            )
            for o in objs.values():
                loop.run_until_complete(o.aclose())
        finally:
            loop.close()
        rows.append(Row("stream.async", "b", f"stream, async, {chunks:,} chunks", "µs/chunk",
                        {slot(n): median(v) for n, v in got.items()},
                        spread={slot(n): rel_spread(v) for n, v in got.items()}))  # fmt: skip
    return CaseResult(rows, client_cpu=m.client, server_cpu=m.srv, wall=m.wall)
