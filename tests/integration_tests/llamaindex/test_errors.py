"""Every zzz_core error category, raised unchanged through each LlamaIndex entry point.

The simulator answers with the gateway's own error bodies; the exception must be
zzz_core's class (also the ``openai`` one), carry the gateway's ``msg``, and have
been sent exactly as often as zzz_core's one retry loop decides (max_retries=1).
"""

from __future__ import annotations

import logging
import pickle
import socket
from collections.abc import Callable
from typing import Any

import openai
import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.llms import ChatMessage

import zzz_core as Z
from llamaindex_zzz import ZZZ, ZZZEmbedding
from zzz_testing import Fault, GatewaySimulator, error_body

MODEL = "deepseek-chat"
CATEGORIES = {
    # category: (zzz_core class, openai parent, retried)
    "auth": (Z.AuthenticationError, openai.AuthenticationError, False),
    "permission": (Z.PermissionDeniedError, openai.PermissionDeniedError, False),
    "balance": (Z.InsufficientBalanceError, openai.PermissionDeniedError, False),
    "rate_limit": (Z.RateLimitError, openai.RateLimitError, True),
    "model_not_found": (Z.ModelNotFoundError, openai.NotFoundError, False),
    "invalid_request": (Z.InvalidRequestError, openai.BadRequestError, False),
    "context_length": (Z.ContextLengthExceededError, openai.BadRequestError, False),
    "content_filter": (Z.ContentFilterError, openai.BadRequestError, False),
    "server_error": (Z.GatewayServerError, openai.InternalServerError, True),
}
ASK = [ChatMessage(role="user", content="When did Mount Fuji last erupt?")]


def _chat(llm: ZZZ) -> Any:
    return llm.chat(ASK)


def _stream_chat(llm: ZZZ) -> Any:
    return list(llm.stream_chat(ASK))


async def _achat(llm: ZZZ) -> Any:
    return await llm.achat(ASK)


async def _astream_chat(llm: ZZZ) -> Any:
    return [r async for r in await llm.astream_chat(ASK)]


SYNC_PATHS: dict[str, Callable[[ZZZ], Any]] = {"chat": _chat, "stream_chat": _stream_chat}
ASYNC_PATHS: dict[str, Callable[[ZZZ], Any]] = {"achat": _achat, "astream_chat": _astream_chat}


@pytest.fixture(scope="module")
def index(sim: GatewaySimulator) -> VectorStoreIndex:
    embed = ZZZEmbedding(api_key="sk-zk-SECRET-integration-4d2b8e61a0", base_url=sim.base_url)
    return VectorStoreIndex.from_documents([Document(text="Mount Fuji last erupted in 1707.")], embed_model=embed)


async def _call(path: str, llm: ZZZ, index: VectorStoreIndex) -> BaseException:
    with pytest.raises(Z.ZZZError) as info:
        if path in SYNC_PATHS:
            SYNC_PATHS[path](llm)
        elif path in ASYNC_PATHS:
            await ASYNC_PATHS[path](llm)
        else:
            index.as_query_engine(llm=llm).query("When did Mount Fuji last erupt?")
    return info.value


def _check(exc: BaseException, cls: type, parent: type, key: str) -> None:
    assert type(exc) is cls, repr(exc)
    assert isinstance(exc, parent) and isinstance(exc, openai.OpenAIError)
    for text in (
        str(exc),
        repr(exc),
        str(exc.args),
        exc.body_excerpt or "",
        str(getattr(exc, "request", "") and exc.request.headers),
    ):
        assert key not in text
    assert key.encode() not in pickle.dumps(exc)


PATHS = ["chat", "stream_chat", "achat", "astream_chat", "query_engine"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("category", list(CATEGORIES))
async def test_gateway_error(sim, make_llm, index, key, category, path):
    cls, parent, retried = CATEGORIES[category]
    sim.inject(Fault.error(category), times=None, path="/chat/completions")
    llm = make_llm(MODEL, max_retries=1)
    exc = await _call(path, llm, index)
    _check(exc, cls, parent, key)
    _, body = error_body("zhizengzeng", category, model=MODEL)
    assert exc.msg == body["msg"] and body["msg"] in str(exc)
    assert exc.attempts == sim.count("/chat/completions") == (2 if retried else 1)


@pytest.mark.parametrize("path", PATHS)
async def test_connection_refused(make_llm, index, key, path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    llm = make_llm(MODEL, base_url=f"http://127.0.0.1:{port}/v1", max_retries=1)
    exc = await _call(path, llm, index)
    _check(exc, Z.GatewayConnectionError, openai.APIConnectionError, key)
    assert exc.attempts == 2 and exc.retryable


@pytest.mark.parametrize("path", PATHS)
async def test_timeout(sim, make_llm, index, key, path):
    sim.inject(Fault.slow_first_byte(1.5), times=None, path="/chat/completions")
    llm = make_llm(MODEL, timeout=0.25, max_retries=1)
    exc = await _call(path, llm, index)
    _check(exc, Z.GatewayTimeoutError, openai.APITimeoutError, key)
    assert exc.attempts == sim.count("/chat/completions") == 2


@pytest.mark.parametrize("style", ["data_envelope", "data_error_object", "event_error"])
def test_error_inside_a_stream(sim, make_llm, key, style):
    sim.inject(Fault.sse_error("balance", after_chunks=2, style=style))
    got = []
    with pytest.raises(Z.InsufficientBalanceError) as info:
        for response in make_llm(MODEL).stream_chat(ASK):
            got.append(response)
    _check(info.value, Z.InsufficientBalanceError, openai.PermissionDeniedError, key)
    assert sim.count("/chat/completions") == 1


def test_stream_interrupted_keeps_partial_text(sim, make_llm, key):
    sim.inject(Fault.mid_stream_drop(3))
    got = []
    with pytest.raises(Z.StreamInterruptedError) as info:
        for response in make_llm(MODEL, max_retries=2).stream_chat(ASK):
            got.append(response.delta)
    _check(info.value, Z.StreamInterruptedError, openai.APIConnectionError, key)
    assert got and info.value.partial_content == "".join(got)
    assert sim.count("/chat/completions") == 1  # text was delivered: not retried (it would repeat)


def test_retry_then_success(sim, make_llm):
    sim.inject(Fault.error("server_error"), times=1)
    assert make_llm(MODEL, max_retries=1).chat(ASK).message.content
    assert sim.count("/chat/completions") == 2


def test_embedding_errors_are_raised_too(sim, make_embedding, key):
    sim.inject(Fault.error("balance"), times=None, path="/embeddings")
    with pytest.raises(Z.InsufficientBalanceError) as info:
        make_embedding().get_text_embedding("hello")
    _check(info.value, Z.InsufficientBalanceError, openai.PermissionDeniedError, key)


async def test_key_never_in_logs(sim, make_llm, make_embedding, key, caplog):
    caplog.set_level(logging.DEBUG)
    llm = make_llm(MODEL, max_retries=1)
    llm.chat(ASK)
    list(llm.stream_chat(ASK))
    await llm.achat(ASK)
    make_embedding().get_text_embedding("hello")
    sim.inject(Fault.error("auth"), times=1)
    sim.inject(Fault.error("server_error"), times=2)
    for _ in range(2):
        with pytest.raises(Z.ZZZError):
            llm.chat(ASK)
    assert caplog.records  # the openai client and the retry loop did log at DEBUG
    assert key not in caplog.text and "SECRET" not in caplog.text
    for record in caplog.records:
        assert key not in str(record.__dict__)
