"""``Gateway.rerank`` end to end: zzz_core -> the real openai client -> the simulator's ``/v1/rerank``.

Ordering, ``top_n``, ties, batching (limit from the profile, the preset or the call)
with one merged order, empty input, the typed errors and their retries, and 智增增,
which has no rerank route.
"""

from __future__ import annotations

import asyncio

import openai
import pytest

from zzz_core import Gateway, InvalidInputError, ZZZConfig, presets, register_profile, unregister_profile
from zzz_core import errors as E
from zzz_testing import Fault, GatewaySimulator

KEY = "sk-zkSECRET0123456789SECRET0123456789abcdef0123"
MODEL = "bge-reranker-v2-m3"
QUERY = "When did Mount Fuji last erupt?"
DOCS = [
    "The Eiffel Tower was finished in 1889 in Paris.",
    "Python is a programming language loved by data scientists.",
    "Mount Fuji last erupted in 1707, during the Edo period.",
    "Kyoto has many temples and gardens.",
    "Fuji is the highest mountain in Japan.",
]
RIGHT = 2  # the passage that answers QUERY


@pytest.fixture(scope="module")
def sim():
    with GatewaySimulator("newapi") as s:
        yield s


@pytest.fixture
def gw(sim, monkeypatch):
    sim.clear_faults()
    sim.clear_requests()
    monkeypatch.setattr("zzz_core.retry.backoff_delay", lambda n, retry_after=None: 0.0)
    return Gateway(ZZZConfig.resolve(api_key=KEY, base_url=sim.base_url, max_retries=2, timeout=5))


def _sent(sim, n=-1):
    return [r for r in sim.requests if r.path.endswith("/rerank")][n].body


def test_the_answering_passage_ranks_first_with_scores_best_first(gw, sim):
    result = gw.rerank(QUERY, DOCS, model=MODEL)
    assert result.results[0].index == RIGHT
    assert result.results[0].text == DOCS[RIGHT] and result.results[0].document == DOCS[RIGHT]
    scores = [h.relevance_score for h in result.results]
    assert scores == sorted(scores, reverse=True) and len(scores) == len(DOCS)
    assert sorted(h.index for h in result.results) == list(range(len(DOCS)))
    assert all(h.text == DOCS[h.index] for h in result.results)
    assert result.usage is not None and result.usage.total_tokens > 0
    assert result.requests == 1 and result.host == f"127.0.0.1:{sim.port}"
    assert _sent(sim) == {"model": MODEL, "query": QUERY, "documents": DOCS, "return_documents": False}


def test_top_n_cuts_and_a_top_n_beyond_the_documents_means_all(gw, sim):
    assert [h.index for h in gw.rerank(QUERY, DOCS, model=MODEL, top_n=2).results][0] == RIGHT
    assert len(gw.rerank(QUERY, DOCS, model=MODEL, top_n=2).results) == 2
    everything = gw.rerank(QUERY, DOCS, model=MODEL, top_n=50)
    assert len(everything.results) == len(DOCS)
    assert _sent(sim)["top_n"] == len(DOCS)  # clamped before sending: some upstreams answer 400


def test_ties_keep_the_original_order(gw):
    docs = ["Kyoto temples", "Mount Fuji erupted in 1707", "Kyoto temples", "Kyoto temples"]
    hits = gw.rerank(QUERY, docs, model=MODEL).results
    tied = [h for h in hits if h.text == "Kyoto temples"]
    assert len({h.relevance_score for h in tied}) == 1
    assert [h.index for h in tied] == [0, 2, 3]


def test_objects_pass_through_and_return_documents_is_sent_on(gw, sim):
    docs = [{"text": d, "id": i} for i, d in enumerate(DOCS)]
    result = gw.rerank(QUERY, docs, model=MODEL, top_n=1, return_documents=True)
    assert result.results[0].document == docs[RIGHT] and result.results[0].text == DOCS[RIGHT]
    assert _sent(sim)["documents"] == docs and _sent(sim)["return_documents"] is True


def test_empty_documents_send_nothing(gw, sim):
    result = gw.rerank(QUERY, [], model=MODEL)
    assert result.results == [] and result.requests == 0 and sim.count("/rerank") == 0


@pytest.mark.parametrize(
    "query,docs,kw,match",
    [
        ("  ", DOCS, {}, "non-empty query"),
        (QUERY, "one string", {}, "list of strings"),
        (QUERY, ["ok", 3, None], {}, r"positions \[1, 2\]"),
        (QUERY, DOCS, {"top_n": 0}, "top_n"),
        (QUERY, DOCS, {"max_documents": 0}, "max_documents"),
    ],
)
def test_bad_input_is_refused_before_sending(gw, sim, query, docs, kw, match):
    with pytest.raises(InvalidInputError, match=match):
        gw.rerank(query, docs, model=MODEL, **kw)
    assert sim.count("/rerank") == 0


# ------------------------------------------------------------------------ batching
@pytest.fixture(scope="module")
def small_sim():
    """An upstream that takes at most 2 documents per request."""
    with GatewaySimulator("newapi", rerank_max_documents=2) as s:
        yield s


def test_without_a_known_limit_the_upstream_refusal_is_a_typed_error(small_sim):
    gw = Gateway(ZZZConfig.resolve(api_key=KEY, base_url=small_sim.base_url, max_retries=2))
    with pytest.raises(E.InvalidRequestError, match="at most 2"):
        gw.rerank(QUERY, DOCS, model=MODEL)


@pytest.mark.parametrize("how", ["profile", "preset", "call"])
def test_batches_follow_the_limit_and_merge_into_one_order(small_sim, sim, monkeypatch, how):
    whole = Gateway(ZZZConfig.resolve(api_key=KEY, base_url=sim.base_url)).rerank(QUERY, DOCS, model=MODEL, top_n=3)
    model, gateway, kw = "test-reranker-small", None, {}
    if how == "profile":
        register_profile("test-reranker-small", like=MODEL, max_documents=2)
    elif how == "preset":
        preset = presets.GatewayPreset(name="test-small", base_url=small_sim.base_url, rerank_max_documents=2)
        monkeypatch.setitem(presets.PRESETS, "test-small", preset)
        gateway = "test-small"
    else:
        kw = {"max_documents": 2}
    try:
        small_sim.clear_requests()
        cfg = ZZZConfig.resolve(api_key=KEY, base_url=small_sim.base_url, gateway=gateway)
        result = Gateway(cfg).rerank(QUERY, DOCS, model=model, top_n=3, **kw)
    finally:
        unregister_profile("test-reranker-small")
    assert result.requests == 3 == small_sim.count("/rerank")
    assert [(h.index, h.relevance_score, h.text) for h in result.results] == [
        (h.index, h.relevance_score, h.text) for h in whole.results
    ]
    assert [len(r.body["documents"]) for r in small_sim.requests] == [2, 2, 1]
    assert [r.body["top_n"] for r in small_sim.requests] == [2, 2, 1]  # each batch returns only its own best
    assert result.usage is not None and result.usage.total_tokens == sum(
        Gateway(ZZZConfig.resolve(api_key=KEY, base_url=sim.base_url))
        .rerank(QUERY, DOCS[i : i + 2], model=MODEL)
        .usage.total_tokens
        for i in (0, 2, 4)
    )


async def test_async_ranks_like_sync_and_batches_concurrently(gw, small_sim):
    sync = gw.rerank(QUERY, DOCS, model=MODEL, top_n=4)
    agw = Gateway(ZZZConfig.resolve(api_key=KEY, base_url=small_sim.base_url))
    small_sim.clear_requests()
    got = await agw.arerank(QUERY, DOCS, model=MODEL, top_n=4, max_documents=2)
    assert [(h.index, h.relevance_score) for h in got.results] == [(h.index, h.relevance_score) for h in sync.results]
    assert small_sim.count("/rerank") == 3
    both = await asyncio.gather(gw.arerank(QUERY, DOCS, model=MODEL), gw.arerank("Kyoto temples", DOCS, model=MODEL))
    assert both[0].results[0].index == RIGHT and both[1].results[0].index == 3
    await agw.aclose()
    await gw.aclose()


# -------------------------------------------------------------------------- errors
def test_401_is_an_authentication_error_sent_once(gw, sim):
    sim.inject(Fault.error("auth"), path="/rerank")
    with pytest.raises(E.AuthenticationError) as info:
        gw.rerank(QUERY, DOCS, model=MODEL)
    assert isinstance(info.value, openai.AuthenticationError)
    assert info.value.attempts == 1 and sim.count("/rerank") == 1
    assert KEY not in str(info.value) and KEY not in repr(info.value)


def test_429_is_retried_by_the_one_loop_then_succeeds(gw, sim):
    sim.inject(Fault.rate_limit(retry_after=0), times=1, path="/rerank")
    result = gw.rerank(QUERY, DOCS, model=MODEL, top_n=1)
    assert result.results[0].index == RIGHT and sim.count("/rerank") == 2


def test_429_every_time_gives_up_after_max_retries(gw, sim):
    sim.inject(Fault.rate_limit(retry_after=0), times=None, path="/rerank")
    with pytest.raises(E.RateLimitError) as info:
        gw.rerank(QUERY, DOCS, model=MODEL)
    assert isinstance(info.value, openai.RateLimitError) and info.value.retryable
    assert info.value.attempts == 3 and sim.count("/rerank") == 3


@pytest.mark.parametrize(
    "category,cls", [("balance", E.InsufficientBalanceError), ("auth", E.AuthenticationError),
                     ("model_not_found", E.ModelNotFoundError)],
)  # fmt: skip
def test_the_zhizengzeng_envelope_on_rerank_is_typed(monkeypatch, category, cls):
    """A 智增增-dialect relay that does serve rerank: its {"code", "msg"} envelope, with HTTP 200."""
    monkeypatch.setattr("zzz_core.retry.backoff_delay", lambda n, retry_after=None: 0.0)
    with GatewaySimulator("zhizengzeng", rerank=True) as zsim:
        gw = Gateway(ZZZConfig.resolve(api_key=KEY, base_url=zsim.base_url, max_retries=2))
        assert gw.rerank(QUERY, DOCS, model=MODEL).results[0].index == RIGHT  # the envelope on success too
        zsim.inject(Fault.error(category, shape="envelope_200"), path="/rerank")
        with pytest.raises(cls) as info:
            gw.rerank(QUERY, DOCS, model=MODEL)
    assert info.value.status_code == 200 and info.value.code not in (None, 0) and info.value.attempts == 1


def test_zhizengzeng_without_rerank_is_endpoint_not_supported(monkeypatch):
    with GatewaySimulator("zhizengzeng") as zsim:
        gw = Gateway(ZZZConfig.resolve(api_key=KEY, base_url=zsim.base_url, max_retries=2))
        with pytest.raises(E.EndpointNotSupportedError) as info:
            gw.rerank(QUERY, DOCS, model=MODEL)
        assert zsim.count("/rerank") == 1  # not retried
    exc = info.value
    assert isinstance(exc, openai.NotFoundError) and exc.status_code == 404 and not exc.retryable
    assert "/v1/rerank" in str(exc) and "gateway='4z'" in str(exc)
    assert "base_url is probably wrong" not in str(exc)


@pytest.mark.parametrize("fault", [Fault.error("unknown_code", status=501), Fault.html(501)])
def test_a_501_on_rerank_is_endpoint_not_supported_and_not_retried(gw, sim, fault):
    sim.inject(fault, times=None, path="/rerank")
    with pytest.raises(E.EndpointNotSupportedError):
        gw.rerank(QUERY, DOCS, model=MODEL)
    assert sim.count("/rerank") == 1


def test_a_404_on_chat_stays_what_it_was(gw, sim):
    """Only optional routes become EndpointNotSupportedError."""
    from zzz_core import error_map
    from zzz_core.error_map import ErrorContext

    err = error_map.from_body(
        404, b'{"error": {"message": "Invalid URL"}}', ErrorContext(url="http://h/v1/chat/completions")
    )
    assert isinstance(err, E.InvalidRequestError) and not isinstance(err, E.EndpointNotSupportedError)


async def test_a_failed_batch_names_the_documents_it_carried(small_sim, monkeypatch):
    monkeypatch.setattr("zzz_core.retry.backoff_delay", lambda n, retry_after=None: 0.0)
    gw = Gateway(ZZZConfig.resolve(api_key=KEY, base_url=small_sim.base_url, max_retries=0))
    small_sim.clear_faults()
    small_sim.inject(Fault.error("balance"), times=None, path="/rerank")
    try:
        with pytest.raises(E.InsufficientBalanceError, match=r"batch of documents 0-1 of 5 failed"):
            gw.rerank(QUERY, DOCS, model=MODEL, max_documents=2)
        with pytest.raises(E.InsufficientBalanceError, match=r"batch of documents \d-\d of 5 failed"):
            await gw.arerank(QUERY, DOCS, model=MODEL, max_documents=2)
        with pytest.raises(E.InsufficientBalanceError) as one_batch:
            gw.rerank(QUERY, DOCS, model=MODEL)
        assert "batch" not in str(one_batch.value)
    finally:
        small_sim.clear_faults()
        await gw.aclose()
