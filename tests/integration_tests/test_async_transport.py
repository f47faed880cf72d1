"""The optional aiohttp async transport: same results, same typed errors."""

from __future__ import annotations

import asyncio

import pytest

from zzz_core import ConfigurationError, Gateway, ZZZConfig, build_chat_request
from zzz_core import errors as E
from zzz_core.simulator import Fault, GatewaySimulator

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
