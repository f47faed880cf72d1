"""Both skins' embeddings send large inputs as the bulk runner sends its items (zzz_core.bulk.turns):
one adaptive limit per event loop, a throttled request resent by the one retry loop only when the
limit allows, and rate limits waited out for a time instead of failing after ``max_retries``."""

from __future__ import annotations

import threading

import pytest
from bulk_kit import KEY

from zzz_core import errors as E
from zzz_testing import Fault

EMBED = "text-embedding-3-small"
TEXTS = [f"text {i}" for i in range(64)]
BATCH = 4  # 16 requests


def _model(skin: str, url: str, **kw):
    if skin == "langchain":
        from langchain_zzz import ZZZEmbeddings

        return ZZZEmbeddings(model=EMBED, api_key=KEY, base_url=url, chunk_size=BATCH, **kw)
    from llamaindex_zzz import ZZZEmbedding

    return ZZZEmbedding(model_name=EMBED, api_key=KEY, base_url=url, embed_batch_size=BATCH, **kw)


def _embed(skin: str, model, texts: list[str]) -> list[list[float]]:
    return model.embed_documents(texts) if skin == "langchain" else model.get_text_embedding_batch(texts)


async def _aembed(skin: str, model, texts: list[str]) -> list[list[float]]:
    return await (model.aembed_documents(texts) if skin == "langchain" else model.aget_text_embedding_batch(texts))


@pytest.mark.parametrize("skin", ["langchain", "llamaindex"])
async def test_a_large_async_call_under_a_concurrency_cap_gets_every_vector_in_order(zzz_simulator_factory, skin):
    sim = zzz_simulator_factory(latency=0.02)
    reference = zzz_simulator_factory()
    sim.set_max_in_flight(2, retry_after=0.02)
    # max_retries=1: counted, the cap's 429s would end the call; waited out for a time, they do not.
    got = await _aembed(skin, _model(skin, sim.base_url, max_concurrency=8, max_retries=1), TEXTS)
    assert got == await _aembed(skin, _model(skin, reference.base_url), TEXTS)  # every vector, in order
    assert sim.limits.saturated > 0
    # One loop: each 429 was sent again once, each batch answered once; no call was repeated whole.
    assert sim.count("/embeddings") == len(TEXTS) // BATCH + sim.limits.saturated


@pytest.mark.parametrize("skin", ["langchain", "llamaindex"])
async def test_concurrent_calls_of_one_model_share_one_adaptive_limit(zzz_simulator_factory, skin):
    import asyncio

    sim = zzz_simulator_factory(latency=0.02)
    model = _model(skin, sim.base_url, max_concurrency=3)
    halves = await asyncio.gather(_aembed(skin, model, TEXTS[:32]), _aembed(skin, model, TEXTS[32:]))
    assert sim.limits.peak_in_flight <= 3  # one limit of 3 for both calls, not 3 each
    assert halves[0] + halves[1] == await _aembed(skin, _model(skin, sim.base_url), TEXTS)


@pytest.mark.parametrize("skin", ["langchain", "llamaindex"])
def test_large_sync_calls_from_threads_under_a_cap_all_finish(zzz_simulator_factory, skin):
    sim = zzz_simulator_factory(latency=0.02)
    reference = zzz_simulator_factory()
    sim.set_max_in_flight(1, retry_after=0.02)
    parts = [TEXTS[i : i + 16] for i in range(0, 64, 16)]
    results: dict[int, list[list[float]]] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results[i] = _embed(skin, _model(skin, sim.base_url, max_retries=1), parts[i])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(parts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sim.limits.saturated > 0  # the threads collided at the cap and waited their turn
    want = _embed(skin, _model(skin, reference.base_url), TEXTS)
    assert [v for i in range(len(parts)) for v in results[i]] == want
    assert sim.count("/embeddings") == len(TEXTS) // BATCH + sim.limits.saturated


@pytest.mark.parametrize("skin", ["langchain", "llamaindex"])
def test_a_call_of_one_request_still_fails_after_max_retries(zzz_simulator, skin):
    zzz_simulator.inject(Fault.rate_limit(retry_after=0.01), times=None, path="/embeddings")
    model = _model(skin, zzz_simulator.base_url, max_retries=2)
    with pytest.raises(E.RateLimitError):
        _embed(skin, model, TEXTS[:BATCH])
    assert zzz_simulator.count("/embeddings") == 3  # 1 + max_retries: a plain call, not a job
