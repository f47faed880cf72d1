"""(m) Peak RSS of a bulk run: 200,000 items against 20,000, each in a fresh interpreter.

Each measurement is ``python -m benchmarks.cases.bulk_memory KIND N BASE_URL``: write an input
file of N lines (the CLI's input), run a 50-item job first so that everything loaded lazily is
loaded, then reset the peak (``VmHWM``, as case f does) and run the N-item job (the runner's
defaults, no progress display) into a fresh results file.  What is reported is the process's
peak RSS during that job.  The runner promises that memory does not grow with the input (it
streams the input, keeps 8 bytes per item while checking it, and holds at most ``limit``
requests at once), so the ratio of the two peaks should be near 1.

Two kinds, ten times the items each:

* ``embed``, 20,000 and 200,000 items (the issue's sizes): one-text embedding lines (256 dims,
  base64 asked), the bulk job with the most items (a RAG ingestion), packed 256 to a request,
  each vector recorded on its own line, so what could grow with the item count (the input
  check, the done-index, the results file, the bookkeeping per item) does so 200,000 times;
* ``chat``, 2,000 and 20,000 items: one request per item, so what could grow per *request*
  (tasks, the limiter, the connection pool, the retry loop) does so 20,000 times.  200,000 chat
  requests would take some five minutes on two cores; the ratio of sizes is the same.

Each pair is measured twice: with the runner's defaults (the issue's goal), and with the
concurrency held at ``HELD`` (``concurrency=max_concurrency=HELD``) for both sizes.  With the
defaults the adaptive limit keeps rising while nothing throttles (one more slot per window of
``limit`` answers, so it ends near ``sqrt(2 x requests)``: about 20 after the 78 packed
requests of 20,000 embedding lines, about 42 after the 782 of 200,000), and every slot holds
an answer (256 vectors) while it waits to be read: the larger job's peak is higher because it
ran longer at a higher limit, not because it kept anything per item.  Holding the limit
separates the two; the limit each job ended at is in the table.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

from ..clients import API_KEY, EMBED_MODEL, MODEL
from ..common import CaseResult, Row, Settings, run_child
from .memory import _peak_mb, _reset_peak, _status

#: kind -> (smaller, larger) item counts; short runs use SHORT_SIZES
SIZES = {"embed": (20_000, 200_000), "chat": (2_000, 20_000)}
SHORT_SIZES = {"embed": (300, 3_000), "chat": (100, 1_000)}
DIMS = 256
HELD = 32
"""The concurrency of the second measurement of each pair (the limit held, not adapted)."""


def _line(kind: str, i: int, prefix: str) -> dict:
    if kind == "embed":
        return {
            "custom_id": f"{prefix}{i}",
            "input": f"chunk {i} of the handbook, part {i % 97}",
            "dimensions": DIMS,
            "encoding_format": "base64",
        }
    return {"custom_id": f"{prefix}{i}", "messages": [{"role": "user", "content": f"question {i}"}]}


def _write_input(path: Path, kind: str, n: int, prefix: str) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps(_line(kind, i, prefix)) + "\n")


def child(kind: str, n: int, base_url: str, held: int = 0) -> dict:
    from zzz_core.bulk import arun_bulk

    model = EMBED_MODEL if kind == "embed" else MODEL
    options = {"kind": kind, "model": model, "api_key": API_KEY, "base_url": base_url, "progress": False}
    if held:
        options.update(concurrency=held, max_concurrency=held)
    with tempfile.TemporaryDirectory() as tmp:
        warm, source = Path(tmp, "warm.jsonl"), Path(tmp, "in.jsonl")
        _write_input(warm, kind, 50, "w")
        _write_input(source, kind, n, "q")
        asyncio.run(arun_bulk(warm, Path(tmp, "warm-out.jsonl"), **options))
        gc.collect()
        _reset_peak()
        before = _status("VmRSS")
        t0 = time.perf_counter()
        report = asyncio.run(arun_bulk(source, Path(tmp, "out.jsonl"), **options))
        seconds = time.perf_counter() - t0
        peak = _peak_mb()
    if not report.complete or report.failed:
        raise SystemExit(f"the {n}-item job did not complete: {report.summary()}")
    return {
        "items": n,
        "peak": peak,
        "rss_before": before,
        "growth": max(0.0, peak - before),
        "seconds": seconds,
        "limit": report.limit,
    }


def run(s: Settings) -> CaseResult:
    notes: list[str] = []
    rows: list[Row] = []
    for kind, (small, large) in (SHORT_SIZES if s.short else SIZES).items():
        for held in (0, HELD):
            how = f"concurrency held at {held}" if held else "defaults"
            got: dict[int, dict] = {}
            for size in (small, large):
                args = ["-m", "benchmarks.cases.bulk_memory", kind, str(size), s.server.base_url, str(held)]
                out = run_child(args, 1500)
                if "error" in out:
                    notes.append(f"bulk memory, {kind}, {size:,} items, {how}: {out['error']}")
                    continue
                got[size] = out
                s.log(f"    bulk memory {kind} {size:,} items, {how}: peak {out['peak']:.1f} MB "
                      f"(+{out['growth']:.1f}), {out['seconds']:.1f} s, limit {out['limit']}")  # fmt: skip
            what = "one-text embedding lines" if kind == "embed" else "chat requests"
            labels = {small: "smaller", large: "larger"}
            detail = {labels[k]: f"{k:,} items, +{v['growth']:.1f} MB in the job, {v['seconds']:.0f} s, "
                                 f"limit {v['limit']} at the end"
                      for k, v in got.items()}  # fmt: skip
            rows.append(Row(f"bulk.mem.{kind}" + (".held" if held else ""), "m",
                            f"peak RSS, {what}: {small:,} vs {large:,} items, {how}", "MB",
                            {labels[k]: v["peak"] for k, v in got.items()}, detail=detail,
                            floor="smaller"))  # fmt: skip
    return CaseResult(rows, notes=notes)


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0)))
