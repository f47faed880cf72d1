"""(a) Non-streamed call latency: median and p90 over hundreds of calls, sync, tiny payload."""

from __future__ import annotations

import time

from ..clients import SYNC_NAMES, chat_contenders
from ..common import CaseResult, Meter, Row, Settings, median, percentile, rel_spread, round_robin, slot

BLOCK = 50  # calls per contender per round: long enough that switching contenders (cold caches) does not dominate


def run(s: Settings) -> CaseResult:
    classes = chat_contenders(SYNC_NAMES, s.only)
    objs = {c.name: c(s.server.base_url) for c in classes}
    rounds = s.n(8, 1)

    block = BLOCK if not s.short else 10

    def sample(name: str) -> list[float]:
        call = objs[name].call
        out = []
        for _ in range(block):
            t0 = time.perf_counter()
            text = call()
            out.append(time.perf_counter() - t0)
        assert text, f"{name} returned no text"
        return out

    with Meter(s.server) as m:
        samples = round_robin(
            list(objs), sample, rounds, warmup=0 if s.short else 1, log=s.log if not s.short else None
        )
    for o in objs.values():
        o.close()
    flat = {name: [t * 1e3 for block in v for t in block] for name, v in samples.items()}
    calls = f"{rounds * block} calls each"
    med = Row("nonstream.median", "a", f"non-stream call, median ({calls})", "ms",
              {slot(n): median(v) for n, v in flat.items()},
              spread={slot(n): rel_spread([median(b) for b in samples[n]]) for n in flat})  # fmt: skip
    p90 = Row(
        "nonstream.p90", "a", "non-stream call, p90", "ms", {slot(n): percentile(v, 0.9) for n, v in flat.items()}
    )
    return CaseResult([med, p90], client_cpu=m.client, server_cpu=m.srv, wall=m.wall)
