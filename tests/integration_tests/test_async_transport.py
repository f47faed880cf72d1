"""The optional aiohttp async transport: same results, same typed errors."""

from __future__ import annotations

import asyncio

import pytest

from zzz_core import ConfigurationError, Gateway, ZZZConfig, build_chat_request
from zzz_core import errors as E
from zzz_testing import Fault, GatewaySimulator

pytest.importorskip("aiohttp")


@pytest.fixture
def sim():
    with GatewaySimulator("newapi") as s:
        yield s


def aio_gateway(sim, **kw):
    try:
        cfg = ZZZConfig.resolve(api_key="sk-test", base_url=sim.base_url, async_transport="aiohttp", **kw)
        gw = Gateway(cfg)
        return gw
    except ConfigurationError as exc:  # openai 2.x without openai[aiohttp]
        pytest.skip(str(exc))


async def test_chat_stream_and_concurrency(sim):
    gw = aio_gateway(sim)
    try:
        body = build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hello"}])
        results = await asyncio.gather(*(gw.achat(body) for _ in range(50)))
    except ConfigurationError as exc:
        pytest.skip(str(exc))
    assert len({r.choices[0].content for r in results}) == 1
    text = "".join([c.content async for c in gw.achat_stream(body)])
    assert text == results[0].choices[0].content
    assert sim.count("/chat/completions") == 51
    await gw.aclose()


async def test_errors_are_typed(sim):
    gw = aio_gateway(sim, max_retries=0)
    body = build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hello"}])
    sim.inject(Fault.error("balance", shape="envelope_200"))
    try:
        with pytest.raises(E.InsufficientBalanceError):
            await gw.achat(body)
    except ConfigurationError as exc:
        pytest.skip(str(exc))
    sim.inject(Fault.mid_stream_drop(after_chunks=2))
    with pytest.raises(E.StreamInterruptedError) as info:
        async for _ in gw.achat_stream(body):
            pass
    assert info.value.partial_content
    await gw.aclose()


def test_unknown_transport_is_refused():
    with pytest.raises(ConfigurationError, match="aiohttp"):
        ZZZConfig.resolve(api_key="sk-test", async_transport="curl")


# ---- the default ("auto"), the skins' argument, and the pool's lifetime -------------------


def _aiohttp_available() -> bool:
    import openai

    try:
        openai.DefaultAioHttpClient()
    except RuntimeError:
        return False
    return True


async def test_auto_is_aiohttp_when_installed_and_httpx_when_asked(sim, monkeypatch):
    monkeypatch.delenv("ZZZ_ASYNC_TRANSPORT", raising=False)
    auto = Gateway(ZZZConfig.resolve(api_key="sk-test", base_url=sim.base_url))
    plain = Gateway(ZZZConfig.resolve(api_key="sk-test", base_url=sim.base_url, async_transport="httpx"))
    assert auto.config.async_transport == "auto"
    body = build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hello"}])
    assert (await auto.achat(body)).choices[0].content == (await plain.achat(body)).choices[0].content
    auto_kind = type(auto.transport.async_client._client).__name__
    plain_kind = type(plain.transport.async_client._client).__name__
    assert ("Aio" in auto_kind) is _aiohttp_available(), auto_kind
    assert "Aio" not in plain_kind, plain_kind
    await auto.aclose()
    await plain.aclose()


def test_auto_falls_back_to_httpx_and_aiohttp_insists(sim, monkeypatch):
    import openai

    def missing(**_: object) -> None:
        raise RuntimeError("To use the aiohttp client you must have installed the package with the `aiohttp` extra")

    monkeypatch.setattr(openai, "DefaultAioHttpClient", missing)
    body = build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hello"}])
    auto = Gateway(ZZZConfig.resolve(api_key="sk-test", base_url=sim.base_url, async_transport="auto"))
    assert asyncio.run(auto.achat(body)).choices[0].content
    strict = Gateway(ZZZConfig.resolve(api_key="sk-test", base_url=sim.base_url, async_transport="aiohttp"))
    with pytest.raises(ConfigurationError, match="pip install aiohttp"):
        asyncio.run(strict.achat(body))


def test_every_skin_takes_async_transport(sim, monkeypatch):
    from langchain_zzz import ZZZ as LCCompletions
    from langchain_zzz import ChatZZZ, ZZZEmbeddings
    from llamaindex_zzz import ZZZ, ZZZEmbedding

    kw = {"api_key": "sk-test", "base_url": sim.base_url, "async_transport": "httpx"}
    built = [
        ChatZZZ(model="gpt-4o-mini", **kw),
        LCCompletions(model="gpt-3.5-turbo-instruct", **kw),
        ZZZEmbeddings(model="text-embedding-3-small", **kw),
        ZZZ(model="gpt-4o-mini", **kw),
        ZZZEmbedding(**kw),
    ]
    assert [m._config.async_transport for m in built] == ["httpx"] * 5
    monkeypatch.setenv("ZZZ_ASYNC_TRANSPORT", "httpx")
    assert ChatZZZ(model="gpt-4o-mini", api_key="sk-test", base_url=sim.base_url)._config.async_transport == "httpx"
    with pytest.raises(ConfigurationError, match="async_transport"):
        ZZZ(model="gpt-4o-mini", api_key="sk-test", base_url=sim.base_url, async_transport="curl")


def _open_fds() -> int:
    import os

    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else -1


@pytest.mark.parametrize("transport", ["auto", "httpx"])
def test_asyncio_run_closes_its_pool(sim, transport, caplog):
    """A script calling asyncio.run per request, never aclose(): no client, socket or
    aiohttp session outlives its loop."""
    from langchain_zzz import ChatZZZ

    model = ChatZZZ(model="gpt-4o-mini", api_key="sk-test", base_url=sim.base_url, async_transport=transport)
    asyncio.run(model.ainvoke("hello"))
    before = _open_fds()
    for _ in range(15):
        assert asyncio.run(model.ainvoke("hello")).content
    assert len(model._gateway.transport.clients._async) == 0
    if before >= 0:
        assert _open_fds() <= before + 1
    assert "Unclosed" not in caplog.text


@pytest.mark.parametrize("transport", ["auto", "httpx"])
def test_a_loop_closed_by_hand(sim, transport):
    """Without shutdown_asyncgens nothing closes the pool, but it is forgotten (it would pin
    the loop and its sockets); aclose() before loop.close() closes it."""
    from llamaindex_zzz import ZZZ

    llm = ZZZ(model="gpt-4o-mini", api_key="sk-test", base_url=sim.base_url, async_transport=transport)
    registry = llm._gateway.transport.clients._async
    for _ in range(5):
        loop = asyncio.new_event_loop()
        loop.run_until_complete(llm.acomplete("hello"))
        loop.run_until_complete(llm.aclose())
        assert len(registry) == 0
        loop.close()
    for _ in range(3):
        loop = asyncio.new_event_loop()
        loop.run_until_complete(llm.acomplete("hello"))
        loop.close()
    assert len(registry) == 1  # only the last; the closed loops before it were forgotten


async def test_a_closed_pool_is_reopened(sim):
    from langchain_zzz import ChatZZZ

    model = ChatZZZ(model="gpt-4o-mini", api_key="sk-test", base_url=sim.base_url)
    assert (await model.ainvoke("hello")).content
    await model.aclose()
    assert (await model.ainvoke("hello")).content
    model.close()
    assert model.invoke("hello").content


async def test_a_users_http_client_is_never_closed_by_us(sim):
    from langchain_zzz import ChatZZZ
    from zzz_core import _compat

    async_client = _compat.AsyncClient()
    sync_client = _compat.Client()
    kw = {"api_key": "sk-test", "base_url": sim.base_url, "http_async_client": async_client}
    model = ChatZZZ(model="gpt-4o-mini", http_client=sync_client, **kw)
    assert (await model.ainvoke("hello")).content
    await model.aclose()
    model.close()
    assert not async_client.is_closed and not sync_client.is_closed
    assert (await model.ainvoke("hello")).content and model.invoke("hello").content
    await async_client.aclose()
    sync_client.close()


async def test_a_dropped_connection_is_named_as_such(sim):
    """openai's aiohttp transport calls a hang-up ConnectTimeout; the error says what happened."""
    gw = Gateway(ZZZConfig.resolve(api_key="sk-test", base_url=sim.base_url, max_retries=0))
    sim.inject(Fault.connection_reset())
    body = build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hello"}])
    with pytest.raises(E.GatewayConnectionError) as info:
        await gw.achat(body)
    assert not isinstance(info.value, E.GatewayTimeoutError)
    assert "ConnectTimeout" not in str(info.value), str(info.value)
    await gw.aclose()
