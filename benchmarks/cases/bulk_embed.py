"""(l) Embedding a document set in bulk: N texts through the runner vs ``OpenAIEmbeddings.embed_documents``.

Contenders, each embedding the same N texts against the benchmark server (answering at once):

* ``zzz bulk``: ``arun_bulk`` over N one-text lines (``{"custom_id", "input", "dimensions"}``, the
  shorthand a RAG ingestion writes, one line per chunk), with the runner's defaults: it packs 256
  lines to a request, sends them under its adaptive concurrency and records each vector on its
  own line of the results file;
* ``zzz bulk+b64``: the same lines asking ``"encoding_format": "base64"`` (what the openai SDK asks
  by default, so the wire carries the same bytes as the peer's);
* ``OpenAIEmbeddings.embed_documents``: langchain-openai with its defaults (``chunk_size=1000``,
  one request after the other, base64 asked by the SDK) and ``check_embedding_ctx_length=False``
  (the default tokenizes with tiktoken, which downloads a file: impossible offline; see
  docs/benchmarks.md); only where langchain-openai is installed (``benchmarks/run.sh``).

Every contender asks ``dimensions=256``: 100,000 vectors of 1,536 floats as Python lists are ~5 GB
in the peer's process, too much for a shared machine; the ratio is what is compared.
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
import time
from pathlib import Path

from ..clients import API_KEY, EMBED_MODEL
from ..common import CaseResult, Meter, Row, Settings, median

DIMS = 256


def texts(n: int) -> list[str]:
    return [f"chunk {i} of the handbook: relays forward OpenAI-compatible requests, part {i % 97}" for i in range(n)]


async def _zzz(base_url: str, data: list[str], b64: bool) -> float:
    from zzz_core.bulk import arun_bulk

    extra = {"encoding_format": "base64"} if b64 else {}
    lines = [{"custom_id": f"t{i}", "input": text, "dimensions": DIMS, **extra} for i, text in enumerate(data)]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        report = await arun_bulk(lines, Path(tmp, "vectors.jsonl"), kind="embeddings", model=EMBED_MODEL,
                                 api_key=API_KEY, base_url=base_url, progress=False)  # fmt: skip
        dt = time.perf_counter() - t0
    assert report.complete and report.failed == 0 and report.succeeded == len(data), report.summary()
    return dt


def _langchain(base_url: str, data: list[str]) -> float | None:
    try:
        from langchain_openai import OpenAIEmbeddings
    except ImportError:
        return None
    emb = OpenAIEmbeddings(model=EMBED_MODEL, base_url=base_url, api_key=API_KEY, dimensions=DIMS,
                           check_embedding_ctx_length=False)  # fmt: skip
    t0 = time.perf_counter()
    vectors = emb.embed_documents(data)
    dt = time.perf_counter() - t0
    assert len(vectors) == len(data) and len(vectors[0]) == DIMS
    del vectors
    return dt


def run(s: Settings) -> CaseResult:
    n = s.n(100_000, 600)
    rounds = s.n(1, 1)
    data = texts(n)
    samples: dict[str, list[float]] = {"zzz bulk": [], "zzz bulk+b64": [], "OpenAIEmbeddings": []}
    runs = {
        "zzz bulk": lambda: asyncio.run(_zzz(s.server.base_url, data, b64=False)),
        "zzz bulk+b64": lambda: asyncio.run(_zzz(s.server.base_url, data, b64=True)),
        "OpenAIEmbeddings": lambda: _langchain(s.server.base_url, data),
    }
    requests: dict[str, int] = {}
    with Meter(s.server) as m:
        for _ in range(rounds):
            for label, fn in runs.items():
                gc.collect()
                before = s.server.requests("/embeddings")
                dt = fn()
                requests[label] = s.server.requests("/embeddings") - before
                if dt is not None:
                    samples[label].append(dt)
                s.log(f"    bulk embed {label}: {dt if dt is None else round(dt, 2)} s, {requests[label]} requests")
    values = {k: median(v) for k, v in samples.items() if v}
    detail = {k: f"{requests[k]} req" for k in values}
    notes = []
    if "OpenAIEmbeddings" not in values:
        notes.append("langchain-openai is not installed here: OpenAIEmbeddings.embed_documents was skipped")
    row = Row("bulk.embed", "l", f"embed {n:,} texts x {DIMS} dims", "s", values, detail=detail,
              floor="OpenAIEmbeddings")  # fmt: skip
    return CaseResult([row], client_cpu=m.client, server_cpu=m.srv, wall=m.wall, notes=notes,
                      extra={"texts": n, "dims": DIMS})  # fmt: skip
