"""ZZZ (text completions) and ZZZEmbeddings end to end against the gateway simulator."""

from __future__ import annotations

import time

import pytest
from langchain_core import exceptions as lc
from langchain_core.load import dumps
from lc_testkit import KEY, sim_params

import zzz_core
from langchain_zzz import ZZZ, ZZZEmbeddings
from langchain_zzz import errors as lz
from zzz_testing import Fault, GatewaySimulator, embed

PROMPT = "Beijing is the capital of China.\nWhat is the capital of China?"
ANSWER = " Beijing is the capital of China."


def llm(sim: GatewaySimulator, **kwargs: object) -> ZZZ:
    return ZZZ(**sim_params(sim, model="gpt-3.5-turbo-instruct", **kwargs))


def embedder(sim: GatewaySimulator, **kwargs: object) -> ZZZEmbeddings:
    return ZZZEmbeddings(**sim_params(sim, model="text-embedding-3-small", **kwargs))


# ------------------------------------------------------------------ completions
def test_completion_invoke_and_usage(fresh: GatewaySimulator) -> None:
    result = llm(fresh).generate([PROMPT])
    assert result.generations[0][0].text == ANSWER
    assert result.generations[0][0].generation_info["finish_reason"] == "stop"
    usage = result.llm_output["token_usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    assert result.llm_output["model_name"] == "gpt-3.5-turbo-instruct"
    body = fresh.requests[-1].body
    assert fresh.requests[-1].path == "/v1/completions" and body["max_tokens"] == 256
    assert llm(fresh).invoke(PROMPT) == ANSWER


def test_completion_stream(fresh: GatewaySimulator) -> None:
    tokens = list(llm(fresh).stream(PROMPT))
    assert len(tokens) > 3 and "".join(tokens) == ANSWER
    assert fresh.requests[-1].body["stream_options"] == {"include_usage": True}
    streamed = llm(fresh, streaming=True).generate([PROMPT])
    assert streamed.generations[0][0].text == ANSWER
    assert streamed.llm_output["token_usage"]["completion_tokens"] > 0


def test_completion_batch_uses_batch_size(fresh: GatewaySimulator) -> None:
    prompts = [f"Question {i}?" for i in range(5)]
    answers = llm(fresh).batch(prompts)
    assert answers == [f" This is a simulated answer to: Question {i}?" for i in range(5)]
    fresh.clear_requests()
    result = llm(fresh, batch_size=2, n=2).generate(prompts)
    assert fresh.count("/completions") == 3
    assert [len(g) for g in result.generations] == [2] * 5
    assert result.generations[4][1].text == " This is a simulated answer to: Question 4? (choice 2)"
    assert [r.body["prompt"] for r in fresh.requests] == [prompts[0:2], prompts[2:4], prompts[4:5]]


async def test_completion_async(fresh: GatewaySimulator) -> None:
    model = llm(fresh)
    assert await model.ainvoke(PROMPT) == ANSWER
    assert "".join([t async for t in model.astream(PROMPT)]) == ANSWER
    assert await model.abatch(["a?", "b?"]) == [
        " This is a simulated answer to: a?",
        " This is a simulated answer to: b?",
    ]
    streamed = await llm(fresh, streaming=True).agenerate([PROMPT])
    assert streamed.generations[0][0].text == ANSWER


def test_completion_echo_suffix_logprobs_best_of(fresh: GatewaySimulator) -> None:
    assert llm(fresh, echo=True).invoke(PROMPT) == PROMPT + ANSWER
    result = llm(fresh, logprobs=2, suffix="\nThe end.", best_of=2).generate([PROMPT])
    logprobs = result.generations[0][0].generation_info["logprobs"]
    assert "".join(logprobs["tokens"]) == ANSWER
    assert max(len(top) for top in logprobs["top_logprobs"]) == 2
    body = fresh.requests[-1].body
    assert (body["suffix"], body["logprobs"], body["best_of"]) == ("\nThe end.", 2, 2)


def test_completion_errors_are_typed(fresh: GatewaySimulator) -> None:
    fresh.inject(Fault.error("balance"), times=None)
    with pytest.raises(lz.InsufficientBalanceError) as info:
        llm(fresh).invoke(PROMPT)
    assert isinstance(info.value, lc.ModelPermissionDeniedError) and fresh.count("/completions") == 1
    with pytest.raises(lc.ModelPermissionDeniedError):
        list(llm(fresh).stream(PROMPT))
    assert KEY not in dumps(llm(fresh)) and KEY not in repr(llm(fresh))


# ------------------------------------------------------------------- embeddings
def test_embeddings_keep_input_order_across_batches(fresh: GatewaySimulator) -> None:
    texts = [f"text number {i} 第{i}段" for i in range(10)]
    emb = embedder(fresh, chunk_size=3, default_headers={"X-ZZZ-Shuffle": "1"})
    vectors = emb.embed_documents(texts)
    assert vectors == [pytest.approx(embed(t, 1536)) for t in texts]
    assert [len(r.body["input"]) for r in fresh.requests] == [3, 3, 3, 1]
    assert emb.embed_query(texts[4]) == pytest.approx(vectors[4])
    assert emb.embed_documents([]) == []


def test_embeddings_dimensions_and_base64(fresh: GatewaySimulator) -> None:
    vectors = embedder(fresh, dimensions=256, encoding_format="base64").embed_documents(["hello", "你好"])
    assert [len(v) for v in vectors] == [256, 256]
    assert vectors[0] == pytest.approx(embed("hello", 256), abs=1e-6)
    body = fresh.requests[-1].body
    assert body["dimensions"] == 256 and body["encoding_format"] == "base64"
    assert body["input"] == ["hello", "你好"]  # raw text, never token arrays


@pytest.mark.parametrize(
    ("texts", "match"),
    [(["ok", ""], "input 1 is an empty string"), (["ok", 42, [1, 2]], "inputs 1 and 2 are not strings")],
)
def test_embeddings_refuse_bad_inputs_before_sending(fresh: GatewaySimulator, texts: list, match: str) -> None:
    with pytest.raises(zzz_core.InvalidInputError, match=match):
        embedder(fresh).embed_documents(texts)
    assert fresh.count() == 0


def test_embeddings_failure_names_what_was_not_embedded(fresh: GatewaySimulator) -> None:
    fresh.inject(Fault.error("invalid_request"), times=None, path="/embeddings")
    with pytest.raises(lz.InvalidRequestError, match="inputs from position 0 of 4 were not embedded") as info:
        embedder(fresh, chunk_size=2).embed_documents(["a", "b", "c", "d"])
    assert isinstance(info.value, lc.ModelInvalidRequestError)


async def test_async_embeddings_bounded_concurrency(fresh: GatewaySimulator) -> None:
    texts = [f"passage {i}" for i in range(8)]
    fresh.config.latency = 0.1
    try:
        start = time.monotonic()
        vectors = await embedder(fresh, chunk_size=1, max_concurrency=2).aembed_documents(texts)
        elapsed = time.monotonic() - start
    finally:
        fresh.config.latency = 0.0
    assert vectors == [pytest.approx(embed(t, 1536)) for t in texts]
    arrivals = sorted(r.time for r in fresh.requests)
    assert len(arrivals) == 8
    # With two in flight, request k+2 is sent only after request k was answered (~0.1 s later).
    assert all(arrivals[k + 2] - arrivals[k] >= 0.08 for k in range(6))
    assert 0.35 < elapsed < 2.0
    assert await embedder(fresh).aembed_query(texts[3]) == pytest.approx(vectors[3])


async def test_async_embeddings_errors_are_typed(fresh: GatewaySimulator) -> None:
    fresh.inject(Fault.error("rate_limit"), times=None, path="/embeddings")
    with pytest.raises(lc.ModelRateLimitError) as info:
        await embedder(fresh, max_retries=1).aembed_documents(["a"])
    assert info.value.attempts == 2 and fresh.count("/embeddings") == 2
