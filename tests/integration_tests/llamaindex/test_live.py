"""The RAG and agent flows against the real gateway; run only when ZZZ_API_KEY is set.

Models: ``ZZZ_TEST_CHAT_MODEL`` (default deepseek-chat) and ``ZZZ_TEST_EMBED_MODEL``
(default text-embedding-3-small); the gateway from ``ZZZ_GATEWAY``/``ZZZ_BASE_URL``.
"""

from __future__ import annotations

import os

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult

from llamaindex_zzz import ZZZ, ZZZEmbedding

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not os.environ.get("ZZZ_API_KEY"), reason="live gateway tests need ZZZ_API_KEY"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
]
CHAT_MODEL = os.environ.get("ZZZ_TEST_CHAT_MODEL", "deepseek-chat")
EMBED_MODEL = os.environ.get("ZZZ_TEST_EMBED_MODEL", "text-embedding-3-small")


def test_live_rag():
    docs = [
        Document(text="The Zorblat festival is held every year in the town of Quexburg on the 9th of March."),
        Document(text="Quexburg's river is called the Fenwater and freezes every January."),
    ]
    index = VectorStoreIndex.from_documents(docs, embed_model=ZZZEmbedding(model_name=EMBED_MODEL))
    engine = index.as_query_engine(llm=ZZZ(model=CHAT_MODEL, max_tokens=200), similarity_top_k=1)
    response = engine.query("On what date is the Zorblat festival held?")
    assert "Zorblat" in response.source_nodes[0].text
    assert "9" in str(response) and ("March" in str(response) or "3月" in str(response))


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"sunny and 21 degrees in {city}"


def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"10:30 in {city}"


async def test_live_function_agent():
    llm = ZZZ(model=CHAT_MODEL, max_tokens=300)
    assert llm.metadata.is_function_calling_model
    agent = FunctionAgent(tools=[get_weather, get_time], llm=llm)
    handler = agent.run("What is the weather and the local time in Paris? Use both tools.")
    called = {ev.tool_name async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)}
    result = await handler
    assert called == {"get_weather", "get_time"}
    assert "21" in str(result) and "10:30" in str(result)
