"""zzz_core.bulk.ray on a local Ray instance, against the gateway simulator.

One ``ray.init(num_cpus=2)`` for the whole module (starting Ray costs seconds), the key
only in the runtime environment's ``env_vars`` (and the driver's environment), data kept
small.  The simulator runs in this process; the workers reach it on 127.0.0.1.

- the recipe of docs/ray.md, run as written: both skins' embeddings and both skins' chat
  models through ``map_batches``, results in order and equal to what the simulator computes;
- one key's rate limit shared by 4 workers: the simulator never sees more than the limit;
- a ``Retry-After`` seen by one worker pauses all of them;
- an empty balance ends the run cleanly and a rerun after the top-up sends only the rest.

Skipped where Ray is not installed (the openai-2 run of scripts/test.sh).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray", reason="Ray tests need the `ray` extra (scripts/test.sh installs it)")

from zzz_core.bulk.ray import ChatRows, resume, shared_limiter, write_results  # noqa: E402
from zzz_core.bulk.results import load_index, read_results  # noqa: E402
from zzz_testing import Fault, GatewaySimulator  # noqa: E402
from zzz_testing import embed as sim_embed  # noqa: E402

pytestmark = pytest.mark.timeout(180)

KEY = "sk-zk-RAYRAYRAY-0123456789abcdef"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "ray.md"
CHAT = "/chat/completions"


@pytest.fixture(scope="module")
def ray_local() -> Iterator[None]:
    """One local Ray for the module; its workers get the key from the runtime environment."""
    old = os.environ.get("ZZZ_API_KEY")
    os.environ["ZZZ_API_KEY"] = KEY  # the driver resolves configurations with it
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"ZZZ_API_KEY": KEY}},
    )
    ray.data.DataContext.get_current().enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # its DEBUG stats would flood failure reports
    try:
        yield
    finally:
        ray.shutdown()
        if old is None:
            os.environ.pop("ZZZ_API_KEY", None)
        else:
            os.environ["ZZZ_API_KEY"] = old


@pytest.fixture
def sim(ray_local: None) -> Iterator[GatewaySimulator]:
    with GatewaySimulator() as s:
        yield s


def _recipes() -> list[str]:
    """The Python blocks of docs/ray.md marked ``<!-- ray-recipe -->``, in order."""
    text = DOCS.read_text(encoding="utf-8")
    return re.findall(r"<!-- ray-recipe -->\n<!-- no-test -->\n```python\n(.*?)```", text, re.S)


def test_docs_recipe_runs_as_written(sim: GatewaySimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/ray.md's recipe: both skins' embeddings, then both skins' chat models with a
    shared limiter and resume; every answer is the simulator's answer to that row."""
    blocks = _recipes()
    assert len(blocks) == 2, "docs/ray.md should hold the embeddings and the chat recipe"
    monkeypatch.setenv("ZZZ_BASE_URL", sim.base_url)
    monkeypatch.chdir(tmp_path)
    ns: dict[str, Any] = {}
    t0 = time.monotonic()
    exec(compile(blocks[0], f"{DOCS}:embeddings", "exec"), ns)
    t_embed = time.monotonic() - t0

    texts = [f"chunk {i}: the returns policy allows 30 days" for i in range(200)]
    for rows in (ns["lc_rows"], ns["li_rows"]):
        assert [r["custom_id"] for r in rows] == [f"chunk-{i}" for i in range(200)]
        assert [r["text"] for r in rows] == texts
        for r in rows[::37]:  # each vector is the simulator's vector of that row's own text
            assert list(r["embedding"]) == pytest.approx(sim_embed(r["text"], 1536), abs=1e-6)
    # 200 texts in groups of up to 64 within batches of 50: 4 requests per skin when Ray Data
    # cuts exact batches of 50 (it does for these one-row blocks); never one request per text
    assert 8 <= sim.count("/embeddings") <= 16

    sim.clear_requests()
    t0 = time.monotonic()
    exec(compile(blocks[1], f"{DOCS}:chat", "exec"), ns)
    t_chat = time.monotonic() - t0
    report = ns["report"]
    assert (report.succeeded, report.failed, report.not_sent, report.exit_status) == (100, 0, 0, 0)
    lines = {line["custom_id"]: line for line in read_results(tmp_path / "answers.jsonl")}
    assert len(lines) == 100
    for i in (0, 42, 99):
        body = lines[f"q{i}"]["response"]["body"]
        assert body["choices"][0]["message"]["content"] == f"This is a simulated answer to: question {i}"
    li = ns["li_answers"]
    assert [r["custom_id"] for r in li] == [f"q{i}" for i in range(100)]
    assert all(r["content"] == f"This is a simulated answer to: {r['prompt']}" for r in li)
    assert sim.count(CHAT) == 200

    print(f"\nray recipe: embeddings {t_embed:.1f}s, chat {t_chat:.1f}s")


def test_four_workers_share_one_requests_per_minute_limit(sim: GatewaySimulator) -> None:
    """4 Ray workers, one limit of R requests per minute: the simulator never sees more.

    Scaled to run in seconds: R = 600/min, which the limit spaces evenly (one request per
    0.1 s), so any 2-second window may hold 600 * 2/60 = 20, plus a tolerance of 2 for
    network jitter between the limiter's grant and the request's arrival.  Four workers
    each keeping their own limit would send 4x that.

    The workers are four Ray tasks running the ``map_batches`` callable on a batch each:
    Ray Data decides for itself how many map tasks run at once (on a loaded 2-CPU machine
    often two), and this test needs four at once.
    """

    class Barrier:  # defined here so that Ray pickles it by value (workers cannot import tests)
        def __init__(self, n: int) -> None:
            self.n, self.arrived, self.all_here = n, 0, asyncio.Event()

        async def arrive(self) -> None:
            self.arrived += 1
            if self.arrived >= self.n:
                self.all_here.set()
            await self.all_here.wait()

    def worker(rows: ChatRows, batch: dict[str, list[Any]], barrier: Any) -> dict[str, list[Any]]:
        ray.get(barrier.arrive.remote())  # the four start together, however slowly Ray starts processes
        return rows(batch)

    rpm, n, window = 600, 48, 2.0
    limiter = shared_limiter(base_url=sim.base_url, concurrency=4, max_concurrency=4, requests_per_minute=rpm)
    try:
        rows = ChatRows("gpt-4o-mini", base_url=sim.base_url, limiter=limiter)
        barrier = ray.remote(num_cpus=0)(Barrier).remote(4)
        work = ray.remote(num_cpus=0.25)(worker)
        batches = [
            {"custom_id": [f"r{i}" for i in range(w, n, 4)], "prompt": [f"rate {i}" for i in range(w, n, 4)]}
            for w in range(4)
        ]
        t0 = time.monotonic()
        out = [row for batch in ray.get([work.remote(rows, b, barrier) for b in batches]) for row in batch["status"]]
        elapsed = time.monotonic() - t0
        assert out == ["ok"] * n
        times = sorted(r.time for r in sim.requests if r.path.endswith(CHAT))
        assert len(times) == n
        allowed = rpm * window / 60
        busiest = max(sum(1 for t in times if start <= t < start + window) for start in times)
        gaps = [round(b - a, 3) for a, b in zip(times, times[1:], strict=False)]
        assert busiest <= allowed + 2, (busiest, allowed, gaps)
        span = times[-1] - times[0]
        assert span >= (n - 1) * 60 / rpm * 0.9, span  # paced as one limit, not four
        status = limiter.status()
        assert status["peak_holders"] == 4, status  # four workers were waiting on the one limit at once
        assert status["started"] == n and status["in_flight"] == 0
        print(f"\nray rate limit: {n} requests, 4 workers, {rpm}/min: {elapsed:.1f}s, busiest {window:g}s: {busiest}")
    finally:
        limiter.kill()


def test_retry_after_seen_by_one_worker_pauses_all(sim: GatewaySimulator) -> None:
    """A gateway that throttles with Retry-After before answering anything halves the shared
    limit and holds every worker's new requests.

    The first 4 requests (the whole concurrency) are throttled, so no answer can reach the
    keeper first: one 429 amid answers is a random throttle, which only its own request waits
    out (``AdaptiveLimit.on_throttle``), and with one injected 429 which came first was a race
    between the workers.  What may still arrive after the first 429: requests granted before
    it (at most the concurrency), which a loaded machine can deliver late; then nothing until
    the gateway's Retry-After has passed (the throttled requests' own retries included).
    """
    pause = 2.0
    limiter = shared_limiter(base_url=sim.base_url, concurrency=4, max_concurrency=4)
    try:
        sim.inject(Fault.rate_limit(retry_after=pause), times=4, path=CHAT)
        ds = ray.data.from_items([{"custom_id": f"p{i}", "prompt": f"pause {i}"} for i in range(40)]).repartition(4)
        out = ds.map_batches(
            ChatRows("gpt-4o-mini", base_url=sim.base_url, limiter=limiter), batch_size=10, num_cpus=0.25
        ).take_all()
        assert all(r["status"] == "ok" for r in out)  # the throttled request was retried by its loop
        chat = [r for r in sim.requests if r.path.endswith(CHAT)]
        assert len(chat) == 44
        throttled_at = next(r.time for r in chat if not r.ok)
        after = [round(r.time - throttled_at, 3) for r in chat if r.time > throttled_at]
        late_grants = [t for t in after if t < pause / 2]
        assert len(late_grants) <= 4, after
        assert not [t for t in after if pause / 2 <= t < pause - 0.05], after
        status = limiter.status()
        assert status["decreases"] >= 1, status  # (additive increase then brings it back up to 4)
    finally:
        limiter.kill()


def test_balance_stop_then_top_up_resumes(sim: GatewaySimulator, tmp_path: Path) -> None:
    """The balance runs out after k answers: the run stops cleanly (exit status 3, nothing
    written for the rows not sent), and after a top-up the same run sends only the rest;
    across both runs each row is answered exactly once."""
    n, k = 40, 15
    out_file = tmp_path / "answers.jsonl"
    items = [{"custom_id": f"b{i}", "messages": [{"role": "user", "content": f"balance {i}"}]} for i in range(n)]
    sim.set_credits(k)

    limiter = shared_limiter(base_url=sim.base_url, concurrency=2, max_concurrency=2)

    def run() -> Any:  # what a user's script does, run twice
        todo = resume(ray.data.from_items(items), out_file)
        rows = ChatRows("gpt-4o-mini", base_url=sim.base_url, limiter=limiter)
        return write_results(todo.map_batches(rows, batch_size=10), out_file)

    first = run()
    assert first.stopped and first.stopped.startswith("InsufficientBalanceError")
    assert first.exit_status == 3 and "top up and run the same command again" in first.summary()
    assert first.succeeded == k and first.failed == 0 and first.not_sent == n - k
    assert len(load_index(out_file)) == k

    sim.set_credits(None)
    second = run()
    assert (second.already_done, second.succeeded, second.not_sent, second.exit_status) == (k, n - k, 0, 0)
    lines = list(read_results(out_file))
    assert sorted(line["custom_id"] for line in lines) == sorted(f"b{i}" for i in range(n))
    answered = [r.body["messages"][0]["content"] for r in sim.requests if r.path.endswith(CHAT) and r.ok]
    assert sorted(answered) == sorted(f"balance {i}" for i in range(n))  # each exactly once
    assert KEY not in out_file.read_text(encoding="utf-8")


def test_per_row_errors_are_recorded_and_the_batch_goes_on(sim: GatewaySimulator) -> None:
    """On a Ray worker: a row the gateway rejects is recorded with its class; the others answer."""
    sim.inject(Fault.error("context_length"), times=1, path=CHAT)
    ds = ray.data.from_items([{"prompt": f"row {i}"} for i in range(6)])
    out = ds.map_batches(ChatRows("gpt-4o-mini", base_url=sim.base_url, concurrency=1), batch_size=6).take_all()
    assert [r["status"] for r in out].count("failed") == 1
    failed = next(r for r in out if r["status"] == "failed")
    assert failed["error"].startswith("ContextLengthExceededError: ")
    line = json.loads(failed["result"])
    assert line["error"]["class"] == "ContextLengthExceededError" and line["error"]["retryable"] is False
    assert all(r["content"] == f"This is a simulated answer to: {r['prompt']}" for r in out if r["status"] == "ok")
    assert len({r["custom_id"] for r in out}) == 6  # stable ids from the rows' content
