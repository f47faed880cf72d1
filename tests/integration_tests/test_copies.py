"""``copy.copy`` / ``copy.deepcopy`` of every public model class of both skins (issue 15, item 6).

Each copy is taken before and after the original has made a call; then the
original and the copy each make a call against the simulator, so a copy that
shares a broken pool or lost its settings fails here.  No repr of a copy shows
the key.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from zzz_testing import GatewaySimulator

KEY = "sk-zkSECRETcopies0123456789abcdef0123456789abcd"


@pytest.fixture(scope="module")
def sim() -> Iterator[GatewaySimulator]:
    with GatewaySimulator("newapi") as s:  # the dialect that serves /v1/rerank
        yield s


def _lc_chat(url: str) -> tuple[Any, Callable[[Any], Any]]:
    from langchain_zzz import ChatZZZ

    llm = ChatZZZ(model="gpt-4o-mini", api_key=KEY, base_url=url, model_kwargs={"user": "u"})
    return llm, lambda m: m.invoke("hi").content


def _lc_llm(url: str) -> tuple[Any, Callable[[Any], Any]]:
    from langchain_zzz import ZZZ

    llm = ZZZ(model="gpt-3.5-turbo-instruct", api_key=KEY, base_url=url)
    return llm, lambda m: m.invoke("hi")


def _lc_embeddings(url: str) -> tuple[Any, Callable[[Any], Any]]:
    from langchain_zzz import ZZZEmbeddings

    emb = ZZZEmbeddings(model="text-embedding-3-small", api_key=KEY, base_url=url)
    return emb, lambda m: m.embed_query("hi")


def _li_llm(url: str) -> tuple[Any, Callable[[Any], Any]]:
    from llamaindex_zzz import ZZZ

    llm = ZZZ(model="gpt-4o-mini", api_key=KEY, base_url=url, additional_kwargs={"user": "u"})
    return llm, lambda m: m.complete("hi").text


def _li_embedding(url: str) -> tuple[Any, Callable[[Any], Any]]:
    from llamaindex_zzz import ZZZEmbedding

    emb = ZZZEmbedding(model_name="text-embedding-3-small", api_key=KEY, base_url=url)
    return emb, lambda m: m.get_text_embedding("hi")


def _lc_rerank(url: str) -> tuple[Any, Callable[[Any], Any]]:
    from langchain_core.documents import Document

    from langchain_zzz import ZZZRerank

    rerank = ZZZRerank(model="bge-reranker-v2-m3", api_key=KEY, base_url=url)
    docs = [Document(page_content="Mount Fuji last erupted in 1707."), Document(page_content="Tea is green.")]
    return rerank, lambda m: m.compress_documents(docs, "When did Mount Fuji erupt?")


def _li_rerank(url: str) -> tuple[Any, Callable[[Any], Any]]:
    from llama_index.core.schema import NodeWithScore, TextNode

    from llamaindex_zzz import ZZZRerank

    rerank = ZZZRerank(model="bge-reranker-v2-m3", api_key=KEY, base_url=url)
    nodes = [
        NodeWithScore(node=TextNode(text="Mount Fuji last erupted in 1707.")),
        NodeWithScore(node=TextNode(text="Tea.")),
    ]
    return rerank, lambda m: m.postprocess_nodes(nodes, query_str="When did Mount Fuji erupt?")


MAKERS = {
    "langchain.ChatZZZ": _lc_chat,
    "langchain.ZZZ": _lc_llm,
    "langchain.ZZZEmbeddings": _lc_embeddings,
    "llamaindex.ZZZ": _li_llm,
    "llamaindex.ZZZEmbedding": _li_embedding,
    "langchain.ZZZRerank": _lc_rerank,
    "llamaindex.ZZZRerank": _li_rerank,
}


@pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy], ids=["copy", "deepcopy"])
@pytest.mark.parametrize("used_first", [False, True], ids=["fresh", "used"])
@pytest.mark.parametrize("name", sorted(MAKERS))
def test_copies_work_and_keep_the_original_working(sim, name, used_first, copier) -> None:
    original, call = MAKERS[name](sim.base_url)
    if used_first:
        assert call(original)
    clone = copier(original)
    assert clone is not original
    assert type(clone) is type(original)
    assert clone.api_key.get_secret_value() == KEY
    sim.clear_requests()
    assert call(clone)
    assert call(original)
    assert call(clone)
    assert len(sim.requests) == 3
    for text in (repr(original), repr(clone), str(clone)):
        assert KEY not in text


@pytest.mark.parametrize("name", ["langchain.ChatZZZ", "llamaindex.ZZZ"])
def test_a_deep_copy_owns_its_request_fields(sim, name) -> None:
    original, _ = MAKERS[name](sim.base_url)
    clone = copy.deepcopy(original)
    extra = "model_kwargs" if name.startswith("langchain") else "additional_kwargs"
    getattr(clone, extra)["user"] = "changed"
    assert getattr(original, extra)["user"] == "u"
