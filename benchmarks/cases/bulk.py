"""(k) A bulk job of N chat requests: the runner (``zzz_core.bulk``) against the usual ways.

Contenders, each sending the same N requests to the benchmark server:

* ``zzz bulk``: ``arun_bulk`` (resumable results file, adaptive concurrency starting at 64);
* ``ChatOpenAI.abatch``: ``ChatOpenAI(...).with_retry().abatch(inputs, config={"max_concurrency": 64})``,
  the usual LangChain way (only where langchain-openai is installed: ``benchmarks/run.sh``);
* the floor: ``AsyncOpenAI`` on aiohttp, raw-response path, an ``asyncio.Semaphore`` at the same
  concurrency, no resume, no retries, and **no injected 429s**.

Also: embeddings, N one-text items through ``zzz bulk`` (packed 256 to a request, each
recorded on its own line) against ``OpenAIEmbeddings.embed_documents`` (1,000 texts a request,
``check_embedding_ctx_length=False``); and memory, the peak RSS of a child process running a
bulk embedding job of 200,000 items against one of 20,000 (the runner must not grow with the input).

Two scenarios: the server answering at once (the client's CPU decides), and a 200 ms first byte
with a cap of 50 requests in flight (a realistic gateway, where adaptive concurrency decides).
In both, 5% of the answers to the first two contenders are 429 + ``Retry-After: 1``; in the
second, requests beyond the cap are 429 too (for the floor the cap is its concurrency: 50).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from pathlib import Path

from ..common import CaseResult, Row, Settings, median, run_child

KEY = "sk-bench-bulk-0123456789"
CONCURRENCY = 64
SCENARIOS = {
    "instant": {"X-Bench-Throttle": "0.05"},
    "gateway": {"X-Bench-Throttle": "0.05", "X-Bench-Delay": "0.2", "X-Bench-Cap": "50"},
}


def _messages(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"question {i}"}]


async def _zzz(base_url: str, headers: dict[str, str], n: int) -> float:
    from zzz_core.bulk import arun_bulk

    items = ({"custom_id": f"q{i}", "messages": _messages(i)} for i in range(n))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        report = await arun_bulk(items, Path(tmp, "out.jsonl"), kind="chat", model="gpt-4o-mini", api_key=KEY,
                                 base_url=base_url, default_headers=headers, concurrency=CONCURRENCY,
                                 max_concurrency=CONCURRENCY * 2, progress=False)  # fmt: skip
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


async def _floor(base_url: str, headers: dict[str, str], n: int) -> float:
    import openai

    floor_headers = {k: v for k, v in headers.items() if k != "X-Bench-Throttle"}
    limit = int(headers.get("X-Bench-Cap") or CONCURRENCY)
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


async def _zzz_embed(base_url: str, n: int) -> float:
    from zzz_core.bulk import arun_bulk

    items = ({"custom_id": f"t{i}", "input": f"text number {i}"} for i in range(n))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        report = await arun_bulk(items, Path(tmp, "out.jsonl"), kind="embed", model="text-embedding-3-small",
                                 api_key=KEY, base_url=base_url, concurrency=8, progress=False)  # fmt: skip
        dt = time.perf_counter() - t0
    assert report.complete and report.failed == 0, report.summary()
    return dt


def _lc_embed(base_url: str, n: int) -> float | None:
    try:
        from langchain_openai import OpenAIEmbeddings
    except ImportError:
        return None
    emb = OpenAIEmbeddings(model="text-embedding-3-small", base_url=base_url, api_key=KEY,
                           check_embedding_ctx_length=False)  # fmt: skip
    t0 = time.perf_counter()
    out = emb.embed_documents([f"text number {i}" for i in range(n)])
    assert len(out) == n
    return time.perf_counter() - t0


_MEMORY_CHILD = """
import asyncio, json, resource, sys, tempfile, pathlib
from zzz_core.bulk import arun_bulk
n, url = int(sys.argv[1]), sys.argv[2]
items = ({"custom_id": f"t{i}", "input": f"text number {i}", "dimensions": 64} for i in range(n))
out = pathlib.Path(tempfile.mkdtemp()) / "out.jsonl"
r = asyncio.run(arun_bulk(items, out, kind="embed", model="text-embedding-3-small", api_key="sk-bench-bulk-0123456789",
                          base_url=url, concurrency=8, progress=False))
assert r.complete, r.summary()
print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(s: Settings) -> CaseResult:
    logging.getLogger("zzz_core").setLevel(logging.ERROR)  # one warning per 429 retry is not what is timed
    n = s.n(20_000, 300)
    rounds = s.n(2, 1)
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
    texts = s.n(100_000, 2_000)
    emb: dict[str, float] = {}
    for label, dt in (("zzz bulk", asyncio.run(_zzz_embed(s.server.base_url, texts))),
                      ("OpenAIEmbeddings", _lc_embed(s.server.base_url, texts))):  # fmt: skip
        s.log(f"    bulk embeddings {label}: {dt if dt is None else round(dt, 2)} s")
        if dt is not None:
            emb[label] = dt
    rows.append(Row("bulk.embed", "k", f"{texts} texts embedded", "s", emb, floor="OpenAIEmbeddings"))
    small, large = s.n(20_000, 2_000), s.n(200_000, 20_000)
    rss = {}
    for count in (small, large):
        got = run_child(["-c", _MEMORY_CHILD, str(count), s.server.base_url], timeout=1800)
        s.log(f"    bulk memory {count} items: {got}")
        if "peak_rss_mb" in got:
            rss[f"{count} items"] = got["peak_rss_mb"]
        else:
            notes.append(f"memory child for {count} items failed: {got.get('error')}")
    rows.append(Row("bulk.memory", "k", f"peak RSS of a bulk embedding job, {small} vs {large} items", "MB", rss,
                    floor=f"{small} items"))  # fmt: skip
    return CaseResult(rows, notes=notes, extra={"requests": n, "texts": texts})
