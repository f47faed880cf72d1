"""From the frameworks: prompt templates and ChatMessage lists through the bulk runner, the
embeddings' adaptive concurrency, and resumable RAG ingestion with each framework's own cache."""

from __future__ import annotations

import pytest
from bulk_kit import KEY

from zzz_core import errors as E
from zzz_core.bulk import run_bulk

MODEL = "gpt-4o-mini"
EMBED = "text-embedding-3-small"
TEXTS = [f"chunk {i}: Mount Fuji fact number {i}" for i in range(40)]


def _embedded_texts(sim) -> list[str]:
    """Every text the simulator embedded successfully, in the order it answered."""
    return [t for r in sim.requests if r.ok and r.path.endswith("/embeddings") for t in r.body["input"]]


def test_langchain_prompt_template_in_messages_out(tmp_path, zzz_simulator):
    from langchain_core.messages import AIMessage
    from langchain_core.prompts import ChatPromptTemplate

    from langchain_zzz import ChatZZZ
    from langchain_zzz.bulk import prompt_requests, read_messages

    prompt = ChatPromptTemplate.from_messages([("system", "Answer briefly."), ("human", "What is {thing}?")])
    things = ["the sky", "a volcano", "tea"]
    out = tmp_path / "out.jsonl"
    requests = prompt_requests(prompt, ({"thing": t} for t in things), ids=things, temperature=0)
    report = run_bulk(requests, out, kind="chat", model=MODEL, api_key=KEY, base_url=zzz_simulator.base_url,
                      progress=False)  # fmt: skip
    assert report.complete and report.succeeded == 3
    assert zzz_simulator.requests[0].body["temperature"] == 0
    got = {cid: (msg, err) for cid, msg, err in read_messages(str(out))}
    chat = ChatZZZ(model=MODEL, api_key=KEY, base_url=zzz_simulator.base_url, temperature=0)
    for thing in things:
        msg, err = got[thing]
        assert err is None and isinstance(msg, AIMessage)
        assert msg.content == chat.invoke(prompt.invoke({"thing": thing})).content  # as one call answers
        assert msg.usage_metadata["total_tokens"] > 0


def test_llamaindex_chat_messages_in_messages_out(tmp_path, zzz_simulator):
    from llama_index.core.llms import ChatMessage

    from llamaindex_zzz import ZZZ
    from llamaindex_zzz.bulk import chat_requests, read_messages, read_responses

    conversations = [[ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content=q)]
                     for q in ("Why is the sky blue?", "What is 2+2?")]  # fmt: skip
    out = tmp_path / "out.jsonl"
    report = run_bulk(chat_requests(conversations), out, kind="chat", model=MODEL, api_key=KEY,
                      base_url=zzz_simulator.base_url, progress=False)  # fmt: skip
    assert report.complete
    llm = ZZZ(model=MODEL, api_key=KEY, base_url=zzz_simulator.base_url)
    expected = sorted(llm.chat(c).message.content for c in conversations)
    messages = [m for _, m, _ in read_messages(str(out))]
    assert all(m.role == "assistant" for m in messages)
    assert sorted(m.content for m in messages) == expected
    assert all(r.raw["usage"]["total_tokens"] > 0 for _, r, _ in read_responses(str(out)))


@pytest.mark.parametrize("skin", ["langchain", "llamaindex"])
async def test_embeddings_back_off_from_a_saturated_gateway(zzz_simulator_factory, skin):
    sim = zzz_simulator_factory(latency=0.02)
    reference = zzz_simulator_factory()
    sim.set_max_in_flight(2, retry_after=0.05)
    texts = [f"text {i}" for i in range(64)]
    if skin == "langchain":
        from langchain_zzz import ZZZEmbeddings

        def make(url):
            return ZZZEmbeddings(model=EMBED, api_key=KEY, base_url=url, chunk_size=4, max_concurrency=8, max_retries=8)

        got, want = (
            await make(sim.base_url).aembed_documents(texts),
            await make(reference.base_url).aembed_documents(texts),
        )
    else:
        from llamaindex_zzz import ZZZEmbedding

        def make(url):
            return ZZZEmbedding(model_name=EMBED, api_key=KEY, base_url=url, embed_batch_size=4, max_concurrency=8,
                                max_retries=8)  # fmt: skip

        got = await make(sim.base_url).aget_text_embedding_batch(texts)
        want = await make(reference.base_url).aget_text_embedding_batch(texts)
    assert got == want  # every vector, in order
    assert sim.limits.saturated > 0  # the cap was met, and the retry loop plus the limit got through it
    assert sim.limits.saturated < sim.count("/embeddings")


def test_langchain_cache_backed_embeddings_resume_after_a_balance_stop(tmp_path, zzz_simulator):
    """The recipe of docs/bulk.md: CacheBackedEmbeddings over a LocalFileStore, in batches of
    one request each; after the balance runs out, the rerun embeds only what the store lacks."""
    from langchain_classic.embeddings import CacheBackedEmbeddings
    from langchain_classic.storage import LocalFileStore

    from langchain_zzz import ZZZEmbeddings

    def embedder():
        inner = ZZZEmbeddings(model=EMBED, api_key=KEY, base_url=zzz_simulator.base_url, chunk_size=8)
        store = LocalFileStore(str(tmp_path / "cache"))
        return CacheBackedEmbeddings.from_bytes_store(inner, store, namespace=EMBED, batch_size=8, key_encoder="sha256")

    zzz_simulator.set_credits(3)  # three requests of 8 texts, then 余额不足
    with pytest.raises(E.InsufficientBalanceError):
        embedder().embed_documents(TEXTS)
    first = _embedded_texts(zzz_simulator)
    assert first == TEXTS[:24]
    zzz_simulator.top_up(None)
    zzz_simulator.clear_requests()
    vectors = embedder().embed_documents(TEXTS)
    assert _embedded_texts(zzz_simulator) == TEXTS[24:]  # only what was missing
    fresh = ZZZEmbeddings(model=EMBED, api_key=KEY, base_url=zzz_simulator.base_url).embed_documents(TEXTS)
    assert len(vectors) == len(fresh) and all(a == pytest.approx(b) for a, b in zip(vectors, fresh, strict=True))


def test_llamaindex_ingestion_pipeline_resume_after_a_balance_stop(tmp_path, zzz_simulator):
    """The recipe of docs/bulk.md: IngestionPipeline with a docstore and a vector store
    (upserts), run chunk by chunk and persisted; the rerun embeds only the missing chunks."""
    from llama_index.core import Document
    from llama_index.core.ingestion import DocstoreStrategy, IngestionCache, IngestionPipeline
    from llama_index.core.storage.docstore import SimpleDocumentStore
    from llama_index.core.vector_stores import SimpleVectorStore

    from llamaindex_zzz import ZZZEmbedding

    docs = [Document(text=t, id_=f"doc-{i}") for i, t in enumerate(TEXTS)]
    persist = tmp_path / "pipeline"

    def pipeline():
        embed = ZZZEmbedding(model_name=EMBED, api_key=KEY, base_url=zzz_simulator.base_url, embed_batch_size=8)
        p = IngestionPipeline(transformations=[embed], docstore=SimpleDocumentStore(),
                              vector_store=SimpleVectorStore(), cache=IngestionCache(),
                              docstore_strategy=DocstoreStrategy.UPSERTS)  # fmt: skip
        if persist.exists():
            p.load(str(persist))
        return p

    def ingest(p):
        for start in range(0, len(docs), 8):  # one request per chunk; persisted after each
            p.run(documents=docs[start : start + 8])
            p.persist(str(persist))

    zzz_simulator.set_credits(3)
    p = pipeline()
    with pytest.raises(E.InsufficientBalanceError):
        ingest(p)
    assert _embedded_texts(zzz_simulator) == TEXTS[:24]
    zzz_simulator.top_up(None)
    zzz_simulator.clear_requests()
    p = pipeline()
    ingest(p)
    assert _embedded_texts(zzz_simulator) == TEXTS[24:]  # only what was missing
    assert len(p.docstore.get_all_document_hashes()) == len(TEXTS)
