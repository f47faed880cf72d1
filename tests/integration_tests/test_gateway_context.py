"""``with Gateway(...)`` / ``async with``: the connection pool is closed on leaving, also on an exception.

Each test drives the simulator through the real openai client, keeps a reference to the
HTTP client the pool used, and checks that client is closed after the block; a closed
``Gateway`` opens a new pool on its next call.
"""

from __future__ import annotations

import pytest

from zzz_core import Gateway, ZZZConfig, build_chat_request
from zzz_core import errors as E
from zzz_testing import Fault, GatewaySimulator

BODY = build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hello"}])


@pytest.fixture
def sim():
    with GatewaySimulator("newapi") as s:
        yield s


def gateway(sim: GatewaySimulator) -> Gateway:
    # httpx for async too: the check reads the HTTP client's is_closed, which aiohttp's lacks
    cfg = ZZZConfig.resolve(api_key="sk-test", base_url=sim.base_url, max_retries=0, async_transport="httpx")
    return Gateway(cfg)


def test_with_returns_the_gateway_and_closes_its_pool(sim):
    gw = gateway(sim)
    with gw as entered:
        assert entered is gw
        answer = gw.chat(BODY).choices[0].content
        http = gw.transport.sync_client._client
        assert not http.is_closed
    assert answer and http.is_closed
    assert gw.transport.clients._sync is None
    assert gw.chat(BODY).choices[0].content == answer  # closing is not final: a new pool
    assert gw.transport.sync_client._client is not http
    gw.close()


def test_with_closes_the_pool_when_the_block_raises(sim):
    sim.inject(Fault.error("balance", shape="envelope_200"))
    gw = gateway(sim)
    with pytest.raises(E.InsufficientBalanceError), gw:
        http = gw.transport.sync_client._client
        gw.chat(BODY)
    assert http.is_closed and gw.transport.clients._sync is None


def test_with_leaves_a_users_http_client_open(sim):
    from zzz_core._compat import Client

    user = Client()
    cfg = ZZZConfig.resolve(api_key="sk-test", base_url=sim.base_url, http_client=user)
    with Gateway(cfg) as gw:
        assert gw.chat(BODY).choices[0].content
    assert not user.is_closed  # its owner closes it
    user.close()


async def test_async_with_closes_the_loops_pool(sim):
    gw = gateway(sim)
    async with gw as entered:
        assert entered is gw
        assert (await gw.achat(BODY)).choices[0].content
        http = gw.transport.async_client._client
        assert not http.is_closed
    assert http.is_closed and not gw.transport.clients._async
    assert (await gw.achat(BODY)).choices[0].content  # reopened
    await gw.aclose()


async def test_async_with_closes_the_pool_when_the_block_raises(sim):
    sim.inject(Fault.error("rate_limit"))
    gw = gateway(sim)
    with pytest.raises(E.RateLimitError):
        async with gw:
            http = gw.transport.async_client._client
            await gw.achat(BODY)
    assert http.is_closed and not gw.transport.clients._async
