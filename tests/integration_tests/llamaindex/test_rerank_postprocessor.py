"""``ZZZRerank`` (a LlamaIndex ``BaseNodePostprocessor``) against the simulator's ``/v1/rerank``.

Ordering and scores, ``top_n``, metadata kept, async, empty input, nodes without text,
the typed errors (401, 429 with retry, the 智增增 envelope, 智增增 without rerank), the
namespace import, pickling without the key, and a query engine whose answer cites the
right document only with the reranker in ``node_postprocessors``.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import openai
import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import ImageNode, NodeWithScore, TextNode

from llamaindex_zzz import ZZZRerank
from zzz_core import errors as E
from zzz_testing import Fault, GatewaySimulator

KEY = "sk-zk-SECRET-integration-4d2b8e61a0"
QUESTION = "When did Mount Fuji last erupt?"
TEXTS = {
    "height": "Mount Fuji is the highest mountain in Japan.",
    "eruption": "Visitors to Japan often ask about volcanoes, and the records kept during the Edo period are clear: "
    "the volcano last erupted in 1707, when ash from Mount Fuji fell on Edo for two weeks.",
    "wall": "The Great Wall of China stretches over 21,000 kilometers.",
    "climbing": "Mount Fuji can be climbed in July and August.",
}


@pytest.fixture(scope="module")
def sim() -> Iterator[GatewaySimulator]:
    """new-api serves /v1/rerank (智增增 documents none)."""
    with GatewaySimulator("newapi") as s:
        yield s


def _nodes() -> list[NodeWithScore]:
    return [
        NodeWithScore(node=TextNode(text=t, id_=name, metadata={"source": name}), score=0.5)
        for name, t in TEXTS.items()
    ]


def _rerank(sim: GatewaySimulator, **kw) -> ZZZRerank:
    return ZZZRerank(**{"api_key": KEY, "api_base": sim.base_url, "model": "bge-reranker-v2-m3", **kw})


def test_top_nodes_come_back_best_first_scored_by_relevance(sim):
    nodes = _nodes()
    got = _rerank(sim, top_n=2).postprocess_nodes(nodes, query_str=QUESTION)
    assert [n.node.metadata["source"] for n in got] == ["eruption", "height"]
    assert got[0].score > got[1].score > 0 and got[0].node is nodes[1].node  # metadata and ids kept
    assert all(n.score == 0.5 for n in nodes)  # the nodes passed in keep their retrieval scores
    (body,) = [r.body for r in sim.requests if r.path.endswith("/rerank")]
    assert body["top_n"] == 2 and body["query"] == QUESTION and len(body["documents"]) == 4
    assert TEXTS["eruption"] in body["documents"][1]


def test_top_n_beyond_the_nodes_and_ties(sim):
    assert len(_rerank(sim, top_n=10).postprocess_nodes(_nodes(), query_str=QUESTION)) == 4
    same = [NodeWithScore(node=TextNode(text="Kyoto temples", id_=f"k{i}")) for i in range(3)]
    got = _rerank(sim, top_n=None).postprocess_nodes(same, query_str=QUESTION)
    assert [n.node.node_id for n in got] == ["k0", "k1", "k2"] and len({n.score for n in got}) == 1


async def test_async_matches_sync(sim):
    reranker = _rerank(sim, top_n=3)
    got = await reranker.apostprocess_nodes(_nodes(), query_str=QUESTION)
    sync = reranker.postprocess_nodes(_nodes(), query_str=QUESTION)
    assert [(n.node.node_id, n.score) for n in got] == [(n.node.node_id, n.score) for n in sync]
    await reranker.aclose()


async def test_empty_input_sends_nothing(sim):
    reranker = _rerank(sim)
    assert reranker.postprocess_nodes([], query_str=QUESTION) == []
    assert await reranker.apostprocess_nodes([], query_str=QUESTION) == []
    assert sim.count("/rerank") == 0


def test_nodes_without_text_are_refused_by_name(sim):
    nodes = [*_nodes(), NodeWithScore(node=ImageNode(image_url="http://x/y.png", id_="img-1"))]
    with pytest.raises(ValueError, match=r"positions \[4\] \(ids \['img-1'\]\) have no text"):
        _rerank(sim).postprocess_nodes(nodes, query_str=QUESTION)
    with pytest.raises(ValueError, match="needs the query"):
        _rerank(sim).postprocess_nodes(_nodes())
    assert sim.count("/rerank") == 0


def test_namespace_import_and_pickle_without_the_key(sim, monkeypatch):
    from llama_index.postprocessor.zzz_rerank import ZZZRerank as Namespaced

    assert Namespaced is ZZZRerank
    reranker = _rerank(sim)
    assert KEY not in repr(reranker) and KEY not in reranker.to_json()
    assert KEY.encode() not in pickle.dumps(reranker)
    monkeypatch.setenv("ZZZ_API_KEY", KEY)
    again = pickle.loads(pickle.dumps(reranker))
    assert again.postprocess_nodes(_nodes(), query_str=QUESTION)[0].node.node_id == "eruption"


def test_rerank_events_are_dispatched(sim):
    seen: list[str] = []

    class Recorder(BaseEventHandler):
        def handle(self, event, **kwargs) -> None:
            seen.append(event.class_name())

    root = get_dispatcher()
    handler = Recorder()
    root.add_event_handler(handler)
    try:
        _rerank(sim).postprocess_nodes(_nodes(), query_str=QUESTION)
    finally:
        root.event_handlers.remove(handler)
    assert "ReRankStartEvent" in seen and "ReRankEndEvent" in seen


# -------------------------------------------------------------------------- errors
def test_401_is_an_authentication_error(sim):
    sim.inject(Fault.error("auth"), path="/rerank")
    with pytest.raises(E.AuthenticationError) as info:
        _rerank(sim).postprocess_nodes(_nodes(), query_str=QUESTION)
    assert isinstance(info.value, openai.AuthenticationError) and info.value.attempts == 1
    assert KEY not in str(info.value)


async def test_429_is_retried_then_answers(sim, monkeypatch):
    monkeypatch.setattr("zzz_core.retry.backoff_delay", lambda n, retry_after=None: 0.0)
    sim.inject(Fault.rate_limit(retry_after=0), times=1, path="/rerank")
    got = await _rerank(sim, top_n=1).apostprocess_nodes(_nodes(), query_str=QUESTION)
    assert got[0].node.node_id == "eruption" and sim.count("/rerank") == 2


def test_the_zhizengzeng_envelope_is_typed():
    with GatewaySimulator("zhizengzeng", rerank=True) as zsim:
        zsim.inject(Fault.error("rate_limit", shape="envelope_200"), times=None, path="/rerank")
        with pytest.raises(E.RateLimitError) as info:
            _rerank(zsim, max_retries=1).postprocess_nodes(_nodes(), query_str=QUESTION)
        assert zsim.count("/rerank") == 2
    assert isinstance(info.value, openai.RateLimitError) and info.value.status_code == 200


def test_zhizengzeng_without_rerank_is_endpoint_not_supported():
    with GatewaySimulator("zhizengzeng") as zsim:
        with pytest.raises(E.EndpointNotSupportedError) as info:
            _rerank(zsim).postprocess_nodes(_nodes(), query_str=QUESTION)
    assert isinstance(info.value, openai.NotFoundError) and "/v1/rerank" in str(info.value)


# ------------------------------------------------------------------------------ RAG
@pytest.fixture
def index(make_embedding) -> VectorStoreIndex:
    docs = [Document(text=t, id_=name, metadata={"source": name}) for name, t in TEXTS.items()]
    return VectorStoreIndex.from_documents(
        docs, embed_model=make_embedding(), transformations=[SentenceSplitter(chunk_size=512)]
    )


def test_query_engine_answer_cites_the_right_document_only_after_reranking(sim, index, make_llm):
    plain = index.as_query_engine(llm=make_llm(), similarity_top_k=1).query(QUESTION)
    assert plain.source_nodes[0].metadata["source"] == "height" and "1707" not in str(plain)
    engine = index.as_query_engine(llm=make_llm(), similarity_top_k=4, node_postprocessors=[_rerank(sim, top_n=1)])
    response = engine.query(QUESTION)
    (source,) = response.source_nodes
    assert source.metadata["source"] == "eruption" and 0.5 < source.score <= 1.0
    assert "1707" in str(response) and str(response) in TEXTS["eruption"]


async def test_async_query_engine_with_the_reranker(sim, index, make_llm):
    engine = index.as_query_engine(llm=make_llm(), similarity_top_k=4, node_postprocessors=[_rerank(sim, top_n=1)])
    response = await engine.aquery(QUESTION)
    assert response.source_nodes[0].metadata["source"] == "eruption" and "1707" in str(response)


# ----------------------------------------------------------------------------- cost
PRICES = {"bge-reranker-*": {"input": 0.5, "output": 0.0, "currency": "CNY"}}


async def test_rerank_calls_count_in_zzz_cost_totals_where_a_price_exists(sim):
    from llamaindex_zzz import zzz_cost

    reranker = _rerank(sim, top_n=1, prices=PRICES)
    with zzz_cost() as run:
        reranker.postprocess_nodes(_nodes(), query_str=QUESTION)
        await reranker.apostprocess_nodes(_nodes(), query_str=QUESTION)
        reranker.postprocess_nodes([], query_str=QUESTION)  # nothing sent, nothing counted
    assert run.calls == 2 and run.by_model["bge-reranker-v2-m3"]["calls"] == 2 and run.currency == "CNY"
    tokens = run.by_model["bge-reranker-v2-m3"]["input_tokens"]
    assert tokens > 0 and run.total_cost == pytest.approx(tokens * 0.5e-6)


def test_a_spent_budget_stops_the_rerank_before_sending(sim):
    from llamaindex_zzz import zzz_cost
    from zzz_core import BudgetExceededError

    reranker = _rerank(sim, prices=PRICES)
    with zzz_cost(max_cost=1e-9):
        reranker.postprocess_nodes(_nodes(), query_str=QUESTION)
        with pytest.raises(BudgetExceededError):
            reranker.postprocess_nodes(_nodes(), query_str=QUESTION)
    assert sim.count("/rerank") == 1
