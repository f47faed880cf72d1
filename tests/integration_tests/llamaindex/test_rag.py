"""A RAG pipeline: ingestion with ZZZEmbedding, a vector index, query and chat engines on ZZZ."""

from __future__ import annotations

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.llms import ChatMessage
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.prompts import ChatPromptTemplate

DOCS = [
    Document(
        text="The Eiffel Tower is located in Paris. The Eiffel Tower was completed in 1889 for a world fair.",
        metadata={"source": "eiffel"},
    ),
    Document(
        text="The Great Wall of China stretches over 21,000 kilometers. "
        "Its oldest walls were built in the 7th century BC.",
        metadata={"source": "wall"},
    ),
    Document(
        text="Mount Fuji is the highest mountain in Japan at 3,776 meters. Mount Fuji last erupted in 1707.",
        metadata={"source": "fuji"},
    ),
]
# The default QA template puts the retrieved context and the query in ONE user message
# ("Context information is below. ... Query: ...\nAnswer: "); this one puts the context in the
# system message, another ordinary configuration.
QA = ChatPromptTemplate(
    message_templates=[
        ChatMessage(role="system", content="Answer from this context only.\n{context_str}"),
        ChatMessage(role="user", content="{query_str}"),
    ]
)


@pytest.fixture
def index(make_embedding):
    embed_model = make_embedding()
    pipeline = IngestionPipeline(transformations=[SentenceSplitter(chunk_size=64, chunk_overlap=0), embed_model])
    nodes = pipeline.run(documents=DOCS)
    assert len(nodes) == 3 and all(len(n.embedding) == 1536 for n in nodes)
    return VectorStoreIndex(nodes, embed_model=embed_model)


@pytest.mark.parametrize(
    ("question", "source", "answer"),
    [
        ("When did Mount Fuji last erupt?", "fuji", "Mount Fuji last erupted in 1707."),
        ("How many kilometers does the Great Wall of China stretch?", "wall",
         "The Great Wall of China stretches over 21,000 kilometers."),
    ],
)  # fmt: skip
def test_query_engine(sim, index, make_llm, question, source, answer):
    engine = index.as_query_engine(llm=make_llm(), similarity_top_k=1)  # LlamaIndex's default prompts
    response = engine.query(question)
    assert response.source_nodes[0].metadata["source"] == source  # the embeddings found the right document
    assert str(response) == answer  # and the answer is grounded on it
    assert sim.count("/embeddings") == 2  # one batch for the ingestion, one for the query
    (body,) = [r.body for r in sim.requests if r.path.endswith("/chat/completions")]
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][1]["content"].startswith("Context information is below.")
    assert f"Query: {question}\nAnswer: " in body["messages"][1]["content"]


def test_query_engine_with_the_context_in_the_system_message(index, make_llm):
    engine = index.as_query_engine(llm=make_llm(), similarity_top_k=1, text_qa_template=QA)
    assert str(engine.query("When did Mount Fuji last erupt?")) == "Mount Fuji last erupted in 1707."


def test_streaming_query_engine(index, make_llm):
    engine = index.as_query_engine(llm=make_llm(), similarity_top_k=1, streaming=True)
    response = engine.query("When was the Eiffel Tower completed?")
    tokens = list(response.response_gen)
    assert len(tokens) > 3
    assert "".join(tokens) == "The Eiffel Tower was completed in 1889 for a world fair."
    assert response.source_nodes[0].metadata["source"] == "eiffel"


async def test_async_query_engine(index, make_llm):
    engine = index.as_query_engine(llm=make_llm(), similarity_top_k=1)
    response = await engine.aquery("When did Mount Fuji last erupt?")
    assert str(response) == "Mount Fuji last erupted in 1707."


@pytest.mark.parametrize("mode", ["context", "condense_plus_context"])
def test_chat_engine_two_turns(sim, index, make_llm, mode):
    engine = index.as_chat_engine(chat_mode=mode, llm=make_llm(), similarity_top_k=1)
    first = engine.chat("How tall is Mount Fuji in meters?")
    assert str(first) == "Mount Fuji is the highest mountain in Japan at 3,776 meters."
    second = engine.chat("Where is the Eiffel Tower located?")
    assert second.source_nodes[0].metadata["source"] == "eiffel"
    assert str(second) == "The Eiffel Tower is located in Paris."
    last = [r.body for r in sim.requests if r.path.endswith("/chat/completions")][-1]
    roles = [m["role"] for m in last["messages"]]
    assert roles == ["system", "user", "assistant", "user"]  # the first turn is in the history
    assert last["messages"][2]["content"] == str(first)
    if mode == "condense_plus_context":  # the history + follow-up went in ONE user message...
        condense = [r.body for r in sim.requests if r.path.endswith("/chat/completions")][-2]["messages"]
        assert [m["role"] for m in condense] == ["user"]
        assert "Follow Up Input: Where is the Eiffel Tower located?" in condense[0]["content"]
        assert condense[0]["content"].rstrip().endswith("Standalone question:")
        # ...and the standalone question it got back is what retrieval embedded
        query = [r.body for r in sim.requests if r.path.endswith("/embeddings")][-1]["input"]
        assert query in ("Where is the Eiffel Tower located?", ["Where is the Eiffel Tower located?"])


def test_streaming_chat_engine(index, make_llm):
    engine = index.as_chat_engine(chat_mode="condense_plus_context", llm=make_llm(), similarity_top_k=1)
    streamed = engine.stream_chat("When did Mount Fuji last erupt?")
    assert "".join(streamed.response_gen) == "Mount Fuji last erupted in 1707."
