"""(d) Embeddings: 1,000 and 10,000 texts x 1,536 dims, sync and async: wall time and requests sent.

Each library runs with its defaults (batch size, concurrency, encoding).  The
server answers base64 when asked (as OpenAI and new-api do); which encoding each
library asked for is recorded from the server's counters.
"""

from __future__ import annotations

import asyncio
import gc
import time

from ..clients import embed_contenders
from ..common import CaseResult, Meter, Row, Settings, median, rel_spread, round_robin, slot

DIMS = 1536


def texts(n: int) -> list[str]:
    return [
        f"document {i}: relays forward OpenAI-compatible requests to many vendors' models, item {i % 97}"
        for i in range(n)
    ]


def run(s: Settings) -> CaseResult:
    sizes = (100,) if s.short else (1000, 10000)
    classes = embed_contenders(s.only)
    objs = {c.name: c(s.server.base_url) for c in classes}
    rows: list[Row] = []
    loop = asyncio.new_event_loop()
    try:
        with Meter(s.server) as m:
            for size in sizes:
                data = texts(size)
                rounds = s.n(3 if size >= 10000 else 5, 1)
                for mode in ("sync", "async"):
                    requests: dict[str, int] = {}
                    encodings: dict[str, set[str]] = {}

                    def sample(
                        name: str, mode: str = mode, data: list[str] = data, size: int = size,
                        requests: dict[str, int] = requests, encodings: dict[str, set[str]] = encodings,
                    ) -> float:  # fmt: skip
                        before = s.server.stats()["requests"]
                        t0 = time.perf_counter()
                        if mode == "sync":
                            vectors = objs[name].embed(data)
                        else:
                            vectors = loop.run_until_complete(objs[name].aembed(data))
                        dt = time.perf_counter() - t0
                        after = s.server.stats()["requests"]
                        if len(vectors) != size or len(vectors[0]) != DIMS:
                            raise AssertionError(f"{name}: {len(vectors)} vectors of {len(vectors[0])}")
                        del vectors
                        gc.collect()
                        requests[name] = after.get("/v1/embeddings", 0) - before.get("/v1/embeddings", 0)
                        encodings[name] = {
                            k[4:] for k in after if k.startswith("enc:") and after[k] != before.get(k, 0)
                        }
                        return dt

                    got = round_robin(list(objs), sample, rounds, warmup=1 if size < 10000 and not s.short else 0,
                                      log=s.log if not s.short else None)  # fmt: skip
                    wire = {slot(n): f"{requests[n]} req, {'/'.join(sorted(encodings[n])) or '?'}" for n in got}
                    rows.append(Row(f"embed.{size}.{mode}", "d", f"embed {size:,} texts x {DIMS}, {mode}", "s",
                                    {slot(n): median(v) for n, v in got.items()}, detail=wire,
                                    spread={slot(n): rel_spread(v) for n, v in got.items()}))  # fmt: skip
    finally:
        for o in objs.values():
            loop.run_until_complete(o.aclose())
        loop.close()
    return CaseResult(rows, client_cpu=m.client, server_cpu=m.srv, wall=m.wall)
