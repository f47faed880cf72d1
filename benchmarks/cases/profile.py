"""Where the time goes: a sampling profile (pyinstrument) of each contender, grouped by package.

Self time of every sampled frame is charged to the package of the nearest
Python frame (so a C function such as ``json.loads``' scanner or pydantic-core's
validator counts for the package that called it), except time blocked in the
socket layer, which is shown as "socket I/O and waiting".  Shares are of the
profiled wall time; the ≈ figures scale them to the unprofiled medians of the
same run.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from ..clients import ASYNC_NAMES, CHUNKS_HEADER, SYNC_NAMES, chat_contenders, importable
from ..common import CaseResult, Settings, slot

_GROUPS = [
    ("zzz_core", re.compile(r"/zzz_core/")),
    ("langchain_zzz", re.compile(r"/langchain_zzz/")),
    ("llamaindex_zzz", re.compile(r"/llamaindex_zzz/")),
    ("benchmark consumer", re.compile(r"/benchmarks/")),
    ("httpx/httpcore/h11", re.compile(r"/site-packages/(httpx2?|httpcore2?|h11|anyio|sniffio|certifi)/")),
    (
        "aiohttp",
        re.compile(
            r"/site-packages/(aiohttp|httpx_aiohttp|multidict|yarl|propcache|aiohappyeyeballs|frozenlist|openai/_vendor)/"
        ),
    ),
    ("openai SDK", re.compile(r"/site-packages/openai/")),
    ("pydantic", re.compile(r"/site-packages/(pydantic|pydantic_core)/")),
    ("langchain_core", re.compile(r"/site-packages/(langchain_core|langsmith|langchain_protocol)/")),
    ("langchain_openai", re.compile(r"/site-packages/langchain_openai/")),
    ("llama_index", re.compile(r"/site-packages/(llama_index|llama_index_instrumentation|workflows)/")),
    ("json", re.compile(r"/lib/python3\.\d+/json/")),
    ("asyncio", re.compile(r"/lib/python3\.\d+/asyncio/")),
    ("socket I/O and waiting", re.compile(r"/lib/python3\.\d+/(socket|selectors|ssl)\.py")),
]
#: other standard-library helpers (typing, inspect, copy, uuid, contextlib, ...) are charged to their caller
_STDLIB = re.compile(r"/lib/python3\.\d+/")
_WAIT = re.compile(r"(recv|poll|select|epoll|send|sock_|wait|acquire)", re.I)


def group_of(path: str | None) -> str | None:
    """The group of a source file, or None when its time belongs to its caller."""
    if not path or path.startswith("<"):
        return None
    for name, pattern in _GROUPS:
        if pattern.search(path):
            return name
    if _STDLIB.search(path) and "site-packages" not in path:
        return None
    return "other"


def shares(session: Any) -> dict[str, float]:
    totals: dict[str, float] = {}

    def walk(frame: Any, owner: str) -> None:
        path = frame.file_path
        builtin = not path or path.startswith("<")
        here = group_of(path) or owner
        if not frame.children:
            key = here
            if builtin and frame.function and frame.function != "[self]" and _WAIT.search(frame.function):
                key = "socket I/O and waiting"
            totals[key] = totals.get(key, 0.0) + frame.time
            return
        own = frame.time - sum(c.time for c in frame.children)
        if own > 0:
            totals[here] = totals.get(here, 0.0) + own
        for child in frame.children:
            walk(child, here)

    root = session.root_frame()
    if root is not None:
        walk(root, "other")
    whole = sum(totals.values()) or 1.0
    return {k: v / whole for k, v in totals.items()}


def run(s: Settings) -> CaseResult:
    if not importable("pyinstrument"):
        return CaseResult(notes=["profile: pyinstrument is not installed here (it is in benchmarks/requirements.txt)"])
    from pyinstrument import Profiler

    chunks = s.n(2000, 50)
    reps = s.n(5, 1)
    extra: dict[str, Any] = {}

    def profile(fn: Any) -> dict[str, float]:
        p = Profiler(interval=0.0001, async_mode="disabled")
        p.start()
        try:
            fn()
        finally:
            p.stop()
        return shares(p.last_session)

    stream_objs = {
        c.name: c(s.server.base_url, {CHUNKS_HEADER: str(chunks)}) for c in chat_contenders(SYNC_NAMES, s.only)
    }
    for o in stream_objs.values():
        o.stream()  # warm
    extra["stream"] = {"title": f"Where the time goes: sync stream of {chunks:,} chunks", "row": "stream.sync",
                       "contenders": {slot(n): profile(lambda o=o: [o.stream() for _ in range(reps)])
                                      for n, o in stream_objs.items()}}  # fmt: skip
    call_objs = {c.name: c(s.server.base_url) for c in chat_contenders(SYNC_NAMES, s.only)}
    for o in call_objs.values():
        o.call()
    calls = s.n(300, 20)
    extra["nonstream"] = {"title": "Where the time goes: non-stream calls", "row": "nonstream.median",
                          "contenders": {slot(n): profile(lambda o=o: [o.call() for _ in range(calls)])
                                         for n, o in call_objs.items()}}  # fmt: skip
    size = s.n(200, 20)
    loop = asyncio.new_event_loop()
    try:
        conc = {}
        for cls in chat_contenders(ASYNC_NAMES, s.only):
            obj = cls(s.server.base_url, {"X-Bench-Pool": "profile"})

            async def burst(obj: Any = obj) -> None:
                await asyncio.gather(*(obj.acall() for _ in range(size)))

            loop.run_until_complete(burst())
            loop.run_until_complete(burst())
            conc[slot(cls.name)] = profile(lambda: loop.run_until_complete(burst()))
            loop.run_until_complete(obj.aclose())
        extra["concurrency"] = {"title": f"Where the time goes: {size} concurrent async calls, steady state",
                                "row": f"conc.{size}.steady", "contenders": conc}  # fmt: skip
    finally:
        loop.close()
    return CaseResult(extra=extra)
