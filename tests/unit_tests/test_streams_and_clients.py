"""Streams are built whole by their constructors; the transport's clients live in zzz_core.clients."""

from __future__ import annotations

import asyncio

import pytest

from zzz_core import AsyncChatStream, AsyncCompletionStream, ChatStream, CompletionStream, ZZZConfig
from zzz_core.clients import ClientPool
from zzz_core.gateway import Gateway

KEY = "sk-zk-SECRET-unit-7f3a9c1e5b"


def gateway() -> Gateway:
    return Gateway(ZZZConfig.resolve(api_key=KEY, base_url="http://127.0.0.1:9/v1", max_retries=0))


def test_each_call_gets_its_own_stream_class_and_nothing_is_sent_before_iterating():
    gw = gateway()  # sockets are disabled in unit tests: any send would fail loudly
    chat = gw.chat_stream({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    completion = gw.complete_stream({"model": "m", "prompt": "hi"})
    assert type(chat) is ChatStream and type(completion) is CompletionStream
    assert type(gw.achat_stream({"model": "m", "messages": []})) is AsyncChatStream
    assert type(gw.acomplete_stream({"model": "m", "prompt": "hi"})) is AsyncCompletionStream
    assert not isinstance(completion, ChatStream)
    with pytest.raises(RuntimeError, match="has not started"):
        completion.result()
    chat.close()
    completion.close()


def test_stream_hooks_start_a_fresh_assembler_per_attempt():
    stream = gateway().chat_stream({"model": "m", "messages": []})
    first = stream._make_sink("a.example:443")
    second = stream._make_sink("b.example:443")
    assert first is not second and stream.host == "b.example:443"
    assert second.feed({"choices": [{"delta": {"content": "hi"}}]})[0].content == "hi"
    assert stream.result().choices[0].content == "hi"


def test_client_pool_keeps_one_sync_client_and_one_async_client_per_loop():
    pool = ClientPool(gateway().config)
    assert pool.sync_client is pool.sync_client

    async def client():
        return pool.async_client

    first, second = asyncio.run(client()), asyncio.run(client())
    assert first is not second  # a pool cannot cross event loops
    assert len(pool._async) == 0  # each was closed and dropped when its loop shut down
    pool.close()
    assert pool._sync is None


def test_a_user_client_is_never_closed_by_the_pool():
    from zzz_core._compat import Client

    user = Client()
    pool = ClientPool(ZZZConfig.resolve(api_key=KEY, base_url="http://127.0.0.1:9/v1", http_client=user))
    assert pool.sync_client._client is user
    pool.close()
    assert not user.is_closed
    user.close()
