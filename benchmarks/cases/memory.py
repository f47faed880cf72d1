"""(f) Peak RSS of a streamed completion, and whether cost grows with its length.

Each measurement is a fresh interpreter (``python -m benchmarks.cases.memory``):
import the library, build the client, stream 20 chunks so that everything
loaded lazily is loaded, then stream N chunks (2,000, and 100,000 one-token
chunks) and read the peak RSS (``VmHWM``, reset to the current RSS just before
the stream; not ``ru_maxrss``, which Linux carries over from the parent
process).  The consumer keeps only counts, so what grows is the library's.

Flatness is measured paired, in the 100,000-chunk process: a 2,000-chunk
stream is timed first, then the 100,000-chunk one; the ratio of their
microseconds per chunk is 1.0 when the cost per chunk does not grow with the
length (a quadratic concatenation shows as growth).
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time

from ..clients import CHUNKS_HEADER, SYNC_NAMES, chat_contenders
from ..common import CaseResult, Row, Settings, median, round_robin, run_child, slot

#: the paired shorter stream timed before the long one
PAIRED = 2000


def _status(field: str) -> float:
    """A ``/proc/self/status`` figure in MB (VmRSS: now, VmHWM: peak)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


def _reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux: ``echo 5 > /proc/self/clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_mb() -> float:
    try:
        return _status("VmHWM")
    except (OSError, KeyError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(obj: object) -> tuple[int, float]:
    t0 = time.perf_counter()
    n = obj.stream()  # type: ignore[attr-defined]
    return n, time.perf_counter() - t0


def measure(cls: type, chunks: int, base_url: str, paired: int | None = None) -> dict:
    out: dict = {"name": cls.name}
    if paired:
        n, dt = _timed(cls(base_url, {CHUNKS_HEADER: str(paired)}))
        out["paired_us_per_chunk"] = dt / max(1, n) * 1e6
    obj = cls(base_url, {CHUNKS_HEADER: str(chunks)})
    gc.collect()
    _reset_peak()
    before = _status("VmRSS")
    n, dt = _timed(obj)
    peak = _peak_mb()
    out.update(chunks=n, seconds=dt, us_per_chunk=dt / max(1, n) * 1e6, rss_before=before, peak=peak,
               growth=max(0.0, peak - before))  # fmt: skip
    return out


def child(argv: list[str]) -> dict:
    """``NAME CHUNKS[,CHUNKS...] BASE_URL``: the first size in a fresh process, further sizes after it (short runs)."""
    from .. import clients

    name, sizes, base_url = argv[0], [int(x) for x in argv[1].split(",")], argv[2]
    cls = {c.name: c for c in clients.CHAT}[name]
    cls(base_url, {CHUNKS_HEADER: "20"}).stream()  # load everything loaded lazily
    runs = [measure(cls, n, base_url, PAIRED if n > PAIRED and len(sizes) == 1 else None) for n in sizes]
    return runs[0] if len(runs) == 1 else {"runs": runs}


def _text_bytes(chunks: int) -> int:
    from ..server import WORDS

    return sum(len((WORDS[k % len(WORDS)] + " ").encode()) for k in range(chunks))


def run(s: Settings) -> CaseResult:
    sizes = (100, 300) if s.short else (2000, 100000)
    names = [c.name for c in chat_contenders(SYNC_NAMES, s.only)]
    rows: list[Row] = []
    notes: list[str] = []
    per_size: dict[int, dict[str, list[dict]]] = {}
    if s.short:  # proves it works: one process per contender, both sizes in it
        names = [n for n in names if n in ("httpx", "ChatZZZ", "ZZZ", "ChatOpenAI", "OpenAILike")]
        for name in names:
            out = run_child(["-m", "benchmarks.cases.memory", name, ",".join(map(str, sizes)), s.server.base_url], 120)
            if "error" in out:
                notes.append(f"{name}: {out['error']}")
                continue
            for k, size in enumerate(sizes):
                per_size.setdefault(size, {})[name] = [out["runs"][k]]
    else:
        for size in sizes:

            def sample(name: str, size: int = size) -> dict:
                out = run_child(["-m", "benchmarks.cases.memory", name, str(size), s.server.base_url], 1500)
                if "error" in out:
                    notes.append(f"{name}, {size:,} chunks: {out['error']}")
                elif out["chunks"] != size:
                    notes.append(f"{name}, {size:,} chunks: received {out['chunks']}")
                return out

            got = round_robin(names, sample, s.n(2, 1), warmup=0, log=s.log)
            per_size[size] = {n: [o for o in v if "error" not in o] for n, v in got.items()}
    for size in sizes:
        ok = {n: v for n, v in per_size.get(size, {}).items() if v}
        grown = {slot(n): f"+{median([o['growth'] for o in v]):.1f} MB in stream" for n, v in ok.items()}
        rows.append(Row(f"mem.{size}.peak", "f", f"peak RSS, stream of {size:,} chunks", "MB",
                        {slot(n): median([o["peak"] for o in v]) for n, v in ok.items()}, detail=grown))  # fmt: skip
        rows.append(Row(f"mem.{size}.growth", "f", f"RSS growth during the {size:,}-chunk stream", "MB",
                        {slot(n): median([o["growth"] for o in v]) for n, v in ok.items()}))  # fmt: skip
    small, large = sizes
    big = {n: v for n, v in per_size.get(large, {}).items() if v}
    text = _text_bytes(large) / large
    rows.append(Row(f"mem.{large}.perchunk", "f",
                    f"RSS growth per chunk, {large:,}-chunk stream (the text itself: {text:.1f} bytes/chunk)", "bytes",
                    {slot(n): median([o["growth"] for o in v]) * 2**20 / large for n, v in big.items()}))  # fmt: skip
    flat = {}
    for n, v in big.items():
        paired = [o["us_per_chunk"] / o["paired_us_per_chunk"] for o in v if o.get("paired_us_per_chunk")]
        if not paired:  # short runs: the two sizes of one process
            a = [o["us_per_chunk"] for o in per_size.get(small, {}).get(n, [])]
            paired = [median([o["us_per_chunk"] for o in v]) / median(a)] if a else []
        if paired:
            flat[slot(n)] = median(paired)
    base = PAIRED if not s.short else small
    label = f"µs/chunk at {large:,} chunks ÷ at {base:,}, same process (1.0 = flat)"
    rows.append(Row("flat", "f", label, "×", flat, floor=""))
    rows.append(Row(f"stream.{large}", "f", f"stream, sync, {large:,} chunks, fresh process", "µs/chunk",
                    {slot(n): median([o["us_per_chunk"] for o in v]) for n, v in big.items()}))  # fmt: skip
    return CaseResult(rows, notes=notes)


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1:])))
