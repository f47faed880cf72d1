"""(k) A bulk job of N chat requests: the runner (``zzz_core.bulk``) against the usual ways.

Contenders, each sending the same N requests to the benchmark server:

* ``zzz bulk``: ``arun_bulk`` (resumable results file, adaptive concurrency starting at 64);
* ``ChatOpenAI.abatch``: ``ChatOpenAI(...).with_retry().abatch(inputs, config={"max_concurrency": 64})``,
  the usual LangChain way (only where langchain-openai is installed: ``benchmarks/run.sh``);
* the floor: ``AsyncOpenAI`` on aiohttp, raw-response path, an ``asyncio.Semaphore`` at the same
  concurrency, no resume, no retries, and **no injected 429s**.

Embeddings in bulk are case l (``bulk_embed.py``), the memory of a bulk job case m
(``bulk_memory.py``), throughput against concurrency case t (``bulk_scaling.py``).

Two scenarios: the server answering at once (the client's CPU decides), and a 200 ms first byte
with a cap of 50 requests in flight (a realistic gateway, where adaptive concurrency decides).
In both, 5% of the answers to the first two contenders are 429 + ``Retry-After: 1``; in the
second, requests beyond the cap are 429 too (for the floor the cap is its concurrency: 50).
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import time
from pathlib import Path

from ..common import CaseResult, Row, Settings, median

KEY = "sk-bench-bulk-0123456789"
CONCURRENCY = 64
SCENARIOS = {
    "instant": {"X-Bench-Throttle": "0.05"},
    "gateway": {"X-Bench-Throttle": "0.05", "X-Bench-Delay": "0.2", "X-Bench-Cap": "50"},
}


def _messages(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"question {i}"}]


async def _zzz(base_url: str, headers: dict[str, str], n: int, concurrency: int = CONCURRENCY,
               max_concurrency: int = CONCURRENCY * 2) -> float:  # fmt: skip
    from zzz_core.bulk import arun_bulk

    items = ({"custom_id": f"q{i}", "messages": _messages(i)} for i in range(n))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        report = await arun_bulk(items, Path(tmp, "out.jsonl"), kind="chat", model="gpt-4o-mini", api_key=KEY,
                                 base_url=base_url, default_headers=headers, concurrency=concurrency,
                                 max_concurrency=max_concurrency, progress=False)  # fmt: skip
        dt = time.perf_counter() - t0
    assert report.complete and report.failed == 0, report.summary()
    return dt


async def _langchain(base_url: str, headers: dict[str, str], n: int) -> float | None:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError:
        return None
    model = ChatOpenAI(model="gpt-4o-mini", api_key=KEY, base_url=base_url, default_headers=headers, max_retries=0)
    runnable = model.with_retry(stop_after_attempt=8)
    t0 = time.perf_counter()
    out = await runnable.abatch([_messages(i) for i in range(n)], config={"max_concurrency": CONCURRENCY})
    dt = time.perf_counter() - t0
    assert len(out) == n
    return dt


async def _floor(base_url: str, headers: dict[str, str], n: int, concurrency: int = CONCURRENCY) -> float:
    import openai

    floor_headers = {k: v for k, v in headers.items() if k != "X-Bench-Throttle"}
    cap = int(headers.get("X-Bench-Cap") or 0)
    limit = min(concurrency, cap) if cap else concurrency  # a client that knows the cap stays under it
    client = openai.AsyncOpenAI(api_key=KEY, base_url=base_url, max_retries=0, default_headers=floor_headers,
                                http_client=openai.DefaultAioHttpClient())  # fmt: skip
    gate = asyncio.Semaphore(limit)

    async def one(i: int) -> None:
        async with gate:
            raw = await client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=_messages(i))
            raw.http_response.json()

    try:
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - t0
    finally:
        await client.close()


def run(s: Settings) -> CaseResult:
    logging.getLogger("zzz_core").setLevel(logging.ERROR)  # one warning per 429 retry is not what is timed
    # BENCH_BULK_REQUESTS: fewer than the 20,000 where a full run must fit a time budget
    n = s.n(int(os.environ.get("BENCH_BULK_REQUESTS") or 20_000), 300)
    rounds = 1  # a round of three 20,000-request jobs per scenario takes ~6 min on 2 cores; they are interleaved
    rows: list[Row] = []
    notes: list[str] = []
    for name, headers in SCENARIOS.items():
        samples: dict[str, list[float]] = {"zzz bulk": [], "ChatOpenAI.abatch": [], "floor": []}
        for _ in range(rounds):
            for label, fn in (("zzz bulk", _zzz), ("ChatOpenAI.abatch", _langchain), ("floor", _floor)):
                dt = asyncio.run(fn(s.server.base_url, headers, n))
                if dt is not None:
                    samples[label].append(dt)
                s.log(f"    bulk {name} {label}: {dt if dt is None else round(dt, 2)} s")
        values = {k: median(v) for k, v in samples.items() if v}
        rows.append(Row(f"bulk.{name}", "k", f"{n} chat requests, {name} server", "s", values, floor="floor"))
        if "ChatOpenAI.abatch" not in values:
            notes.append("langchain-openai is not installed here: ChatOpenAI.abatch was skipped")
    return CaseResult(rows, notes=notes, extra={"requests": n})
