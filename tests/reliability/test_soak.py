"""A bounded soak: many concurrent streamed chats through both skins, some with faults.

Short by default (CI): 200 streamed chats at concurrency 20.  ``ZZZ_SOAK=long``: 2,000 at
concurrency 100.  Half go through ``ChatZZZ.astream``, half through llamaindex
``ZZZ.astream_chat``; every 20th (5 %) carries a fault, chosen per request with the
simulator's ``X-ZZZ-Fault`` header.  The skins have no per-call headers, so each fault has
its own model instance built with ``default_headers={"X-ZZZ-Fault": name}``.

Asserted:
* every stream without a fault succeeds, and its text equals, byte for byte and in
  order, the non-streamed answer to the same prompt (the simulator is deterministic);
* every faulty request fails with the fault's typed exception (the LangChain twin from
  ``ChatZZZ``), and one that failed after content keeps exactly the text that arrived;
* nothing leaks: after a warm-up round, the open file descriptors (``/proc/self/fd``)
  grow by no more than the sockets the connection pools keep (each pooled connection
  is two descriptors here: the simulator runs in this process), asyncio tasks and
  threads return to their count, and traced memory (tracemalloc) returns near its level.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage
from reliability_kit import KEY, assert_typed

from langchain_zzz import ChatZZZ
from llamaindex_zzz import ZZZ as LIChat
from zzz_core import errors as E
from zzz_testing import GatewaySimulator

LONG = os.environ.get("ZZZ_SOAK") == "long"
REQUESTS, CONCURRENCY = (2000, 100) if LONG else (200, 20)
FAULT_EVERY = 20  # 5 %
WARMUP = 2 * CONCURRENCY
MODEL = "gpt-4o-mini"
PROMPTS = [f"Question {k}: what is the capital of country number {k}?" for k in range(25)]

# X-ZZZ-Fault value -> (zzz_core class raised, fails after content was delivered)
FAULTS: dict[str, tuple[type[E.ZZZError], bool]] = {
    "mid_stream_drop:3": (E.StreamInterruptedError, True),
    "no_done:2": (E.StreamInterruptedError, True),
    "sse_error:rate_limit:data_envelope:after=2": (E.RateLimitError, True),
    "sse_error:balance:event_error:after=0": (E.InsufficientBalanceError, False),
    "json_error_to_stream:auth": (E.AuthenticationError, False),
    "server_error": (E.GatewayServerError, False),
    "html:502": (E.GatewayServerError, False),
    "connection_reset": (E.GatewayConnectionError, False),
}
FAULT_NAMES = list(FAULTS)

pytestmark = [pytest.mark.soak, pytest.mark.timeout(900 if LONG else 180)]


@dataclass
class Tally:
    """What a round produced, kept small (no texts), so it does not count as a leak."""

    ok: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    n_problems: int = 0

    def problem(self, text: str) -> None:
        self.n_problems += 1
        if len(self.problems) < 20:
            self.problems.append(text)


def plan(n: int, offset: int = 0) -> list[tuple[str, str, str | None]]:
    """(skin, prompt, fault) for n requests: alternate skins, every FAULT_EVERY-th faulty."""
    skins = ("langchain", "llamaindex")
    out: list[tuple[str, str, str | None]] = []
    for i in range(offset, offset + n):
        prompt = PROMPTS[i % len(PROMPTS)]
        if i % FAULT_EVERY == FAULT_EVERY - 1:  # the k-th faulty request: every fault in turn, skins alternating
            k = i // FAULT_EVERY
            out.append((skins[(k + k // len(FAULT_NAMES)) % 2], prompt, FAULT_NAMES[k % len(FAULT_NAMES)]))
        else:
            out.append((skins[i % 2], prompt, None))
    return out


class Models:
    """A normal model per skin, and one per (skin, fault) sending the fault header."""

    def __init__(self, sim: GatewaySimulator) -> None:
        common = {"api_key": KEY, "base_url": sim.base_url, "mirrors": [], "max_retries": 2, "timeout": 30}
        self.models: dict[tuple[str, str | None], Any] = {}
        for fault in [None, *FAULT_NAMES]:
            headers = {"X-ZZZ-Fault": fault} if fault else None
            self.models["langchain", fault] = ChatZZZ(model=MODEL, default_headers=headers, **common)
            self.models["llamaindex", fault] = LIChat(model=MODEL, default_headers=headers, **common)

    def __getitem__(self, key: tuple[str, str | None]) -> Any:
        return self.models[key]

    def pooled_connections(self) -> int | None:
        """Connections kept by the pools of every client these models use (None: unknown)."""
        transports = {id(m._gateway.transport): m._gateway.transport for m in self.models.values()}
        try:
            n = 0
            for t in transports.values():
                clients = list(t._async.values()) + ([t._sync] if t._sync is not None else [])
                n += sum(len(c._client._transport._pool._connections) for c in clients)
            return n
        except AttributeError:  # another HTTP library or version: fall back to the generous bound
            return None


async def one(models: Models, expected: dict[tuple[str, str], str], tally: Tally, skin: str, prompt: str,
              fault: str | None) -> None:  # fmt: skip
    """One streamed chat, checked on the spot."""
    model = models[skin, fault]
    received: list[str] = []
    try:
        if skin == "langchain":
            async for chunk in model.astream(prompt):
                received.append(chunk.text)
        else:
            async for r in await model.astream_chat([ChatMessage(role="user", content=prompt)]):
                received.append(r.delta or "")
    except Exception as exc:  # noqa: BLE001 - every failure is checked to be typed
        if fault is None:
            tally.problem(f"{skin} {prompt!r}: no fault, but {exc!r}")
            return
        cls, after_content = FAULTS[fault]
        try:
            assert_typed(exc, cls, skin)
            if after_content:  # not retried, and the text that arrived is kept
                assert exc.attempts == 1 and exc.partial_content and exc.partial_content == "".join(received)
            assert KEY not in str(exc) and KEY not in repr(exc)
        except AssertionError as failed:
            tally.problem(f"{skin} {fault}: {exc!r}: {failed}")
        tally.failures[fault] += 1
        return
    text = "".join(received)
    if fault is not None:
        tally.problem(f"{skin} {fault}: no error, answered {text[:60]!r}")
    elif text != expected[skin, prompt]:
        tally.problem(f"{skin} {prompt!r}: streamed {text!r} != {expected[skin, prompt]!r}")
    else:
        tally.ok += 1


async def run(
    models: Models, expected: dict[tuple[str, str], str], requests: list[tuple[str, str, str | None]]
) -> Tally:
    """CONCURRENCY workers taking the requests in order (at most CONCURRENCY in flight)."""
    tally = Tally()
    queue = iter(requests)

    async def worker() -> None:
        for skin, prompt, fault in queue:
            await one(models, expected, tally, skin, prompt, fault)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return tally


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def settle() -> None:
    """Let closing connections finish closing (the simulator closes its side in its own
    thread): wait until the descriptor count holds still for a while (at most ~3 s)."""
    gc.collect()
    last, steady = fds(), 0
    for _ in range(60):
        await asyncio.sleep(0.05)
        now = fds()
        steady = steady + 1 if now == last else 0
        last = now
        if steady >= 5:
            break
    gc.collect()


@pytest.fixture
def sim() -> Iterator[GatewaySimulator]:
    with GatewaySimulator(record_requests=False) as s:
        yield s


async def test_soak(sim: GatewaySimulator, no_backoff: None) -> None:
    models = Models(sim)
    expected: dict[tuple[str, str], str] = {}
    for prompt in PROMPTS:  # the non-streamed answers
        expected["langchain", prompt] = (await models["langchain", None].ainvoke(prompt)).text
        answer = await models["llamaindex", None].achat([ChatMessage(role="user", content=prompt)])
        expected["llamaindex", prompt] = answer.message.content
    assert all(expected.values())

    warm = await run(models, expected, plan(WARMUP, offset=REQUESTS))  # fills the pools, starts lazy machinery
    assert not warm.problems, warm.problems
    await settle()
    tracemalloc.start()
    before = {"fds": fds(), "tasks": len(asyncio.all_tasks()), "threads": threading.active_count(),
              "pooled": models.pooled_connections(), "memory": tracemalloc.get_traced_memory()[0]}  # fmt: skip

    tally = await run(models, expected, plan(REQUESTS))

    await settle()
    after = {"fds": fds(), "tasks": len(asyncio.all_tasks()), "threads": threading.active_count(),
             "pooled": models.pooled_connections(), "memory": tracemalloc.get_traced_memory()[0]}  # fmt: skip
    tracemalloc.stop()

    # -- correctness: every clean stream exact, every fault typed
    assert not tally.problems, (tally.n_problems, tally.problems)
    n_faults = REQUESTS // FAULT_EVERY
    assert tally.ok == REQUESTS - n_faults
    assert sum(tally.failures.values()) == n_faults and set(tally.failures) == set(FAULTS)

    # -- leaks
    pooled_growth = (after["pooled"] - before["pooled"]) if before["pooled"] is not None else CONCURRENCY
    assert after["fds"] - before["fds"] <= 2 * max(pooled_growth, 0) + 4, (before, after)
    assert after["tasks"] <= before["tasks"], (before, after)
    assert after["threads"] <= before["threads"], (before, after)
    memory_growth = after["memory"] - before["memory"]
    assert memory_growth < 2_000_000 + 200 * REQUESTS, (before, after)  # generous: ~0 is expected

    print(
        f"\nsoak: {REQUESTS} streamed chats at concurrency {CONCURRENCY} ({'long' if LONG else 'short'}), "
        f"{n_faults} with faults {dict(tally.failures)}; fds {before['fds']}->{after['fds']} "
        f"(pooled connections {before['pooled']}->{after['pooled']}), tasks {before['tasks']}->{after['tasks']}, "
        f"threads {before['threads']}->{after['threads']}, traced memory +{memory_growth / 1e6:.2f} MB"
    )
