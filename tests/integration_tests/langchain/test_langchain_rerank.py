"""``ZZZRerank`` (a LangChain ``BaseDocumentCompressor``) against the simulator's ``/v1/rerank``.

Ordering, ``top_n``, metadata kept, async, empty input, settings and secrets, the typed
errors with their LangChain and openai parents, ``ContextualCompressionRetriever``, and a
RAG chain whose answer cites the right document only after the rerank step.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import openai
import pytest
from langchain_classic.retrievers import ContextualCompressionRetriever
from langchain_core import exceptions as lc
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.vectorstores import InMemoryVectorStore

import zzz_core
from langchain_zzz import ChatZZZ, ZZZEmbeddings, ZZZRerank, zzz_cost
from langchain_zzz import errors as lz
from zzz_testing import Fault, GatewaySimulator

KEY = "sk-zkSECRET0123456789SECRET0123456789abcdef0123"
QUESTION = "When did Mount Fuji last erupt?"
DOCS = [
    Document("Mount Fuji is the highest mountain in Japan.", metadata={"source": "height"}, id="d0"),
    Document(
        "Visitors to Japan often ask about volcanoes, and the records kept during the Edo period are clear: "
        "the volcano last erupted in 1707, when ash from Mount Fuji fell on Edo for two weeks.",
        metadata={"source": "eruption", "page": 7},
        id="d1",
    ),
    Document("The Great Wall of China stretches over 21,000 kilometers.", metadata={"source": "wall"}, id="d2"),
    Document("Mount Fuji can be climbed in July and August.", metadata={"source": "climbing"}, id="d3"),
]


@pytest.fixture(scope="module")
def newapi() -> Iterator[GatewaySimulator]:
    with GatewaySimulator("newapi") as s:
        yield s


@pytest.fixture
def sim(newapi: GatewaySimulator) -> Iterator[GatewaySimulator]:
    newapi.clear_faults()
    newapi.clear_requests()
    yield newapi
    newapi.clear_faults()


def _rerank(sim: GatewaySimulator, **kw) -> ZZZRerank:
    return ZZZRerank(**{"api_key": KEY, "base_url": sim.base_url, **kw})


def test_documents_come_back_best_first_with_their_metadata_and_a_score(sim):
    got = _rerank(sim, top_n=2).compress_documents(DOCS, QUESTION)
    assert [d.metadata["source"] for d in got] == ["eruption", "height"]
    assert got[0].metadata == {"source": "eruption", "page": 7, "relevance_score": got[0].metadata["relevance_score"]}
    assert got[0].id == "d1" and got[0].page_content == DOCS[1].page_content
    assert got[0].metadata["relevance_score"] > got[1].metadata["relevance_score"] > 0
    assert "relevance_score" not in DOCS[1].metadata  # the caller's documents are not modified
    (body,) = [r.body for r in sim.requests if r.path.endswith("/rerank")]
    assert body["top_n"] == 2 and body["documents"] == [d.page_content for d in DOCS]
    assert body["model"] == "bge-reranker-v2-m3"


def test_top_n_none_reorders_all_and_top_n_beyond_the_documents_returns_all(sim):
    every = _rerank(sim, top_n=None).compress_documents(DOCS, QUESTION)
    assert len(every) == 4 and every[-1].metadata["source"] == "wall"
    assert [d.id for d in _rerank(sim, top_n=10).compress_documents(DOCS, QUESTION)] == [d.id for d in every]


def test_ties_keep_the_retrieved_order(sim):
    same = [Document("Kyoto temples", metadata={"n": i}) for i in range(3)]
    got = _rerank(sim, top_n=None).compress_documents(same, QUESTION)
    assert [d.metadata["n"] for d in got] == [0, 1, 2]
    assert len({d.metadata["relevance_score"] for d in got}) == 1


async def test_async_matches_sync(sim):
    reranker = _rerank(sim, top_n=3)
    got = await reranker.acompress_documents(DOCS, QUESTION)
    assert [d.metadata for d in got] == [d.metadata for d in reranker.compress_documents(DOCS, QUESTION)]
    await reranker.aclose()


async def test_empty_input_sends_nothing(sim):
    reranker = _rerank(sim)
    assert reranker.compress_documents([], QUESTION) == []
    assert await reranker.acompress_documents([], QUESTION) == []
    assert sim.count("/rerank") == 0


def test_settings_come_from_the_environment_and_the_key_stays_secret(sim, monkeypatch):
    monkeypatch.setenv("ZZZ_API_KEY", KEY)
    monkeypatch.setenv("ZZZ_BASE_URL", sim.base_url)
    reranker = ZZZRerank(model_name="jina-reranker-v2-base-multilingual", top_n=1)
    assert reranker.compress_documents(DOCS, QUESTION)[0].id == "d1"
    assert sim.requests[-1].body["model"] == "jina-reranker-v2-base-multilingual"
    assert KEY not in repr(reranker) and KEY not in str(reranker.model_dump())
    assert KEY.encode() not in pickle.dumps(reranker)
    assert pickle.loads(pickle.dumps(reranker)).compress_documents(DOCS, QUESTION)[0].id == "d1"  # key from env


def test_unknown_arguments_are_sent_in_the_body(sim):
    with pytest.warns(UserWarning, match="max_chunk_per_doc"):
        reranker = _rerank(sim, max_chunk_per_doc=256)
    reranker.compress_documents(DOCS, QUESTION)
    assert sim.requests[-1].body["max_chunk_per_doc"] == 256
    with pytest.raises(ValueError, match="did you mean 'max_documents'"):
        _rerank(sim, max_document=2)


def test_a_blank_query_is_a_value_error_before_sending(sim):
    with pytest.raises(ValueError, match="non-empty query"):
        _rerank(sim).compress_documents(DOCS, "  ")
    assert sim.count("/rerank") == 0


# -------------------------------------------------------------------------- errors
def test_401_is_typed_with_all_three_parents(sim):
    sim.inject(Fault.error("auth"), path="/rerank")
    with pytest.raises(lc.ModelAuthenticationError) as info:
        _rerank(sim).compress_documents(DOCS, QUESTION)
    exc = info.value
    assert isinstance(exc, lz.AuthenticationError)
    assert isinstance(exc, openai.AuthenticationError) and isinstance(exc, zzz_core.AuthenticationError)
    assert exc.attempts == 1 and sim.count("/rerank") == 1 and KEY not in str(exc)


async def test_429_is_retried_once_then_answers(sim):
    sim.inject(Fault.rate_limit(retry_after=0), times=1, path="/rerank")
    got = await _rerank(sim, top_n=1).acompress_documents(DOCS, QUESTION)
    assert got[0].id == "d1" and sim.count("/rerank") == 2


def test_429_every_time_is_a_rate_limit_error_after_the_retries(sim):
    sim.inject(Fault.rate_limit(retry_after=0), times=None, path="/rerank")
    with pytest.raises(lc.ModelRateLimitError) as info:
        _rerank(sim, max_retries=1).compress_documents(DOCS, QUESTION)
    assert isinstance(info.value, openai.RateLimitError) and info.value.is_retryable
    assert info.value.attempts == 2 and sim.count("/rerank") == 2


def test_the_zhizengzeng_envelope_is_typed():
    with GatewaySimulator("zhizengzeng", rerank=True) as zsim:
        zsim.inject(Fault.error("balance", shape="envelope_200"), path="/rerank")
        with pytest.raises(lz.InsufficientBalanceError) as info:
            _rerank(zsim).compress_documents(DOCS, QUESTION)
    exc = info.value
    assert isinstance(exc, lc.ModelPermissionDeniedError) and isinstance(exc, openai.PermissionDeniedError)
    assert exc.status_code == 200 and exc.code not in (None, 0) and not exc.is_retryable


def test_zhizengzeng_has_no_rerank_and_says_so():
    with GatewaySimulator("zhizengzeng") as zsim:
        with pytest.raises(lz.EndpointNotSupportedError) as info:
            _rerank(zsim).compress_documents(DOCS, QUESTION)
        assert zsim.count("/rerank") == 1
    exc = info.value
    assert isinstance(exc, lc.ModelNotFoundError) and isinstance(exc, openai.NotFoundError)
    assert isinstance(exc, zzz_core.EndpointNotSupportedError) and "gateway='4z'" in str(exc)


# ------------------------------------------------------------------------------ RAG
def _store(sim: GatewaySimulator) -> InMemoryVectorStore:
    store = InMemoryVectorStore(ZZZEmbeddings(model="text-embedding-3-small", api_key=KEY, base_url=sim.base_url))
    store.add_documents(DOCS)
    return store


def test_contextual_compression_retriever_reranks_what_the_store_retrieved(sim):
    store = _store(sim)
    plain = store.as_retriever(search_kwargs={"k": 4}).invoke(QUESTION)
    assert plain[0].metadata["source"] == "height"  # vector search alone puts the short passage first
    retriever = ContextualCompressionRetriever(
        base_compressor=_rerank(sim, top_n=2), base_retriever=store.as_retriever(search_kwargs={"k": 4})
    )
    got = retriever.invoke(QUESTION)
    assert [d.metadata["source"] for d in got] == ["eruption", "height"]
    assert all("relevance_score" in d.metadata for d in got)


async def test_contextual_compression_retriever_async(sim):
    retriever = ContextualCompressionRetriever(
        base_compressor=_rerank(sim, top_n=1), base_retriever=_store(sim).as_retriever(search_kwargs={"k": 4})
    )
    assert [d.id for d in await retriever.ainvoke(QUESTION)] == ["d1"]


PROMPT = ChatPromptTemplate.from_messages(
    [("system", "Answer from the context only."), ("human", "Context:\n{context}\n\nQuestion: {question}")]
)


def _answer(sim: GatewaySimulator, retriever) -> str:
    chain = PROMPT | ChatZZZ(model="gpt-4o-mini", api_key=KEY, base_url=sim.base_url) | StrOutputParser()
    docs = retriever.invoke(QUESTION)
    return chain.invoke({"context": "\n\n".join(d.page_content for d in docs), "question": QUESTION})


def test_rag_answer_cites_the_right_document_only_after_reranking(sim):
    store = _store(sim)
    without = _answer(sim, store.as_retriever(search_kwargs={"k": 1}))
    reranked = ContextualCompressionRetriever(
        base_compressor=_rerank(sim, top_n=1), base_retriever=store.as_retriever(search_kwargs={"k": 4})
    )
    answer = _answer(sim, reranked)
    assert "1707" not in without  # top-1 by vectors is the passage about the height
    assert "1707" in answer and "Mount Fuji" in answer
    assert answer in DOCS[1].page_content  # grounded on the eruption passage


# ----------------------------------------------------------------------------- cost
PRICES = {"bge-reranker-*": {"input": 0.5, "output": 0.0, "currency": "CNY"}}


async def test_rerank_calls_count_in_zzz_cost_totals_where_a_price_exists(sim):
    reranker = _rerank(sim, top_n=1, prices=PRICES)
    with zzz_cost() as cb:
        reranker.compress_documents(DOCS, QUESTION)
        await reranker.acompress_documents(DOCS, QUESTION)
        reranker.compress_documents([], QUESTION)  # nothing sent, nothing counted
    row = cb.by_model["bge-reranker-v2-m3"]
    assert row["calls"] == 2 and cb.calls == 2
    result = reranker.rerank([d.page_content for d in DOCS], QUESTION)
    assert result.cost is not None and result.cost.currency == "CNY"
    assert result.cost.amount == pytest.approx(result.usage.prompt_tokens * 0.5e-6)
    assert cb.total_cost == pytest.approx(2 * result.cost.amount) and cb.currency == "CNY"


def test_a_spent_budget_stops_the_rerank_before_sending(sim):
    reranker = _rerank(sim, top_n=1, prices=PRICES)
    with zzz_cost(max_cost=1e-9) as cb:
        reranker.compress_documents(DOCS, QUESTION)
        with pytest.raises(lz.BudgetExceededError):
            reranker.compress_documents(DOCS, QUESTION)
    assert sim.count("/rerank") == 1 and cb.calls == 1
