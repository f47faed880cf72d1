"""The basic calls, sync and async, streamed and not, against the simulator."""

from __future__ import annotations

import base64

import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
QUESTION = [
    ChatMessage(role="system", content="Paris is the capital of France. Rome is the capital of Italy."),
    ChatMessage(role="user", content="What is the capital of Italy?"),
]


def test_chat_and_complete(sim, make_llm):
    llm = make_llm()
    resp = llm.chat(QUESTION)
    assert resp.message.content == "Rome is the capital of Italy."
    assert resp.raw["usage"]["total_tokens"] == resp.additional_kwargs["total_tokens"] > 0
    assert llm.complete("hello there").text == "This is a simulated answer to: hello there"
    assert sim.requests[-1].body["messages"] == [{"role": "user", "content": "hello there"}]


def test_stream_chat_and_stream_complete(sim, make_llm):
    llm = make_llm()
    responses = list(llm.stream_chat(QUESTION))
    assert len(responses) > 3
    assert "".join(r.delta for r in responses) == responses[-1].message.content == "Rome is the capital of Italy."
    assert responses[-1].raw["usage"]["completion_tokens"] > 0  # stream_options.include_usage was asked for
    assert sim.requests[-1].body["stream_options"] == {"include_usage": True}
    chunks = list(llm.stream_complete("hello there"))
    assert chunks[-1].text == "".join(c.delta for c in chunks) == "This is a simulated answer to: hello there"


async def test_async_twins(sim, make_llm):
    llm = make_llm()
    assert (await llm.achat(QUESTION)).message.content == "Rome is the capital of Italy."
    assert (await llm.acomplete("hello there")).text == "This is a simulated answer to: hello there"
    gen = await llm.astream_chat(QUESTION)
    responses = [r async for r in gen]
    assert responses[-1].message.content == "".join(r.delta for r in responses) == "Rome is the capital of Italy."
    gen = await llm.astream_complete("hello there")
    assert [c async for c in gen][-1].text == "This is a simulated answer to: hello there"


def test_completion_only_model_uses_v1_completions(sim, make_llm):
    llm = make_llm("gpt-3.5-turbo-instruct")
    assert not llm.metadata.is_chat_model
    assert llm.complete("Rome is old.\nWhat is old?").text.strip() == "Rome is old."
    assert sim.requests[-1].path == "/v1/completions"
    assert "".join(c.delta for c in llm.stream_complete("Rome is old.\nWhat is old?")).strip() == "Rome is old."
    resp = llm.chat(QUESTION)  # chat on a completion model: messages_to_prompt, then /v1/completions
    assert sim.requests[-1].path == "/v1/completions" and resp.message.content


def test_images_go_out_as_image_url_parts(sim, make_llm):
    msg = ChatMessage(
        role="user",
        blocks=[TextBlock(text="describe"), ImageBlock(url="https://example.com/a.png"), ImageBlock(image=PNG)],
    )
    make_llm("gpt-4o-mini").chat([msg])
    parts = sim.requests[-1].body["messages"][0]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "image_url"]
    assert parts[1]["image_url"]["url"] == "https://example.com/a.png"
    assert parts[2]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()


def test_additional_kwargs_extra_body_and_headers_reach_the_wire(sim, make_llm):
    llm = make_llm(
        temperature=0.1,
        max_tokens=50,
        additional_kwargs={"seed": 3, "extra_body": {"enable_search": True}, "user": "u1"},
        default_headers={"X-Trace": "t-1"},
    )
    llm.chat(QUESTION, top_p=0.5, thinking={"type": "disabled"})
    req = sim.requests[-1]
    body = req.body
    assert (body["temperature"], body["max_tokens"], body["seed"], body["top_p"], body["user"]) == (
        0.1,
        50,
        3,
        0.5,
        "u1",
    )
    assert body["enable_search"] is True and body["thinking"] == {"type": "disabled"}
    assert req.header("x-trace") == "t-1"


def test_max_tokens_cut_is_reported(sim, make_llm):
    resp = make_llm(max_tokens=2).chat(QUESTION)
    assert resp.raw["choices"][0]["finish_reason"] == "length"


def test_embeddings_batched_ordered_and_sized(sim, make_embedding):
    texts = [f"text number {i} about topic {i % 3}" for i in range(5)]
    emb = make_embedding(embed_batch_size=2, dimensions=64, default_headers={"X-ZZZ-Shuffle": "1"})
    vectors = emb.get_text_embedding_batch(texts)
    assert len(vectors) == 5 and all(len(v) == 64 for v in vectors)
    bodies = [r.body for r in sim.requests if r.path.endswith("/embeddings")]
    assert [len(b["input"]) for b in bodies] == [2, 2, 1]
    assert all(b["dimensions"] == 64 for b in bodies)
    # order preserved although the gateway listed the entries shuffled
    assert vectors == [emb.get_text_embedding(t) for t in texts]
    assert emb.get_query_embedding(texts[0]) == vectors[0]


async def test_async_embeddings_bounded_concurrency(sim, make_embedding):
    import time

    texts = [f"sentence {i}" for i in range(8)]
    emb = make_embedding(embed_batch_size=1, max_concurrency=2)
    sim.config.latency = 0.15
    try:
        start = time.perf_counter()
        vectors = await emb.aget_text_embedding_batch(texts)
        elapsed = time.perf_counter() - start
    finally:
        sim.config.latency = 0.0
    assert len(vectors) == 8 and vectors[3] == emb.get_text_embedding("sentence 3")
    assert elapsed >= 4 * 0.15 * 0.9  # 8 requests, 2 at a time
    assert await emb.aget_query_embedding("sentence 5") == vectors[5]


def test_bad_embedding_input_is_refused_before_sending(sim, make_embedding):
    from zzz_core import InvalidInputError

    with pytest.raises(InvalidInputError, match="input 1 is an empty string"):
        make_embedding().get_text_embedding_batch(["ok", ""])
    assert sim.count("/embeddings") == 0


async def test_injected_http_clients_are_used(sim, make_llm):
    from zzz_core._compat import AsyncClient, Client

    seen: list[str] = []
    client = Client(event_hooks={"request": [lambda request: seen.append("sync")]})
    aclient = AsyncClient(event_hooks={"request": [_async_hook(seen)]})
    llm = make_llm(http_client=client, http_async_client=aclient)
    assert llm.chat(QUESTION).message.content == "Rome is the capital of Italy."
    assert (await llm.achat(QUESTION)).message.content == "Rome is the capital of Italy."
    assert seen == ["sync", "async"]
    client.close()
    await aclient.aclose()


def _async_hook(seen):
    async def hook(request):
        seen.append("async")

    return hook


def test_wrong_http_client_package_is_refused_at_construction(make_llm):
    from zzz_core._compat import HTTP_PACKAGE

    other = pytest.importorskip("httpx" if HTTP_PACKAGE == "httpx2" else "httpx2")
    with pytest.raises(TypeError, match=HTTP_PACKAGE):
        make_llm(http_client=other.Client())
