"""Mirror failover through both skins, with two simulators on 127.0.0.1 (primary and mirror).

zzz_core-level failover is tested in tests/integration_tests/test_gateway_faults.py; here the
same policy is checked from ``ChatZZZ`` and llamaindex ``ZZZ``, sync, async and streaming:

* the primary down (connection refused, or an nginx 502 page): the call succeeds on the
  mirror, with the answer the primary would have given;
* the healthy host is preferred for the cool-down: the next calls go straight to the
  mirror (no second failover, no second try of the primary);
* when the primary is back and the cool-down is over, it is used again;
* both down: the error names both hosts and says how many attempts were made.

The skins do not take ``failover_cooldown`` (it is ``ZZZConfig``'s only, 60 s), so the
cool-down is passed by advancing ``zzz_core.retry``'s monotonic clock.
"""

from __future__ import annotations

import inspect
import logging
import time
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage
from reliability_kit import KEY, assert_no_secret, assert_typed

from langchain_zzz import ChatZZZ
from llamaindex_zzz import ZZZ as LIChat
from zzz_core import errors as E
from zzz_core.config import DEFAULT_FAILOVER_COOLDOWN
from zzz_testing import Fault, GatewaySimulator

pytestmark = pytest.mark.timeout(60)

MODEL = "gpt-4o-mini"
PROMPT = "Which host answered this?"
ASK = [ChatMessage(role="user", content=PROMPT)]
MAX_RETRIES = 1


def _lc_stream(m: ChatZZZ) -> str:
    return "".join(c.text for c in m.stream(PROMPT))


async def _lc_astream(m: ChatZZZ) -> str:
    return "".join([c.text async for c in m.astream(PROMPT)])


async def _lc_ainvoke(m: ChatZZZ) -> str:
    return (await m.ainvoke(PROMPT)).text


async def _li_achat(m: LIChat) -> str:
    return (await m.achat(ASK)).message.content or ""


async def _li_astream_chat(m: LIChat) -> str:
    return "".join([r.delta or "" async for r in await m.astream_chat(ASK)])


# surface -> (skin, constructor, one call returning the answer text)
SURFACES: dict[str, tuple[str, Callable[..., Any], Callable[[Any], Any]]] = {
    "ChatZZZ.invoke": ("langchain", ChatZZZ, lambda m: m.invoke(PROMPT).text),
    "ChatZZZ.stream": ("langchain", ChatZZZ, _lc_stream),
    "ChatZZZ.ainvoke": ("langchain", ChatZZZ, _lc_ainvoke),
    "ChatZZZ.astream": ("langchain", ChatZZZ, _lc_astream),
    "li.ZZZ.chat": ("llamaindex", LIChat, lambda m: m.chat(ASK).message.content),
    "li.ZZZ.stream_chat": ("llamaindex", LIChat, lambda m: "".join(r.delta or "" for r in m.stream_chat(ASK))),
    "li.ZZZ.achat": ("llamaindex", LIChat, _li_achat),
    "li.ZZZ.astream_chat": ("llamaindex", LIChat, _li_astream_chat),
}
CHAT = "/chat/completions"


@pytest.fixture
def pair() -> Iterator[tuple[GatewaySimulator, GatewaySimulator]]:
    with GatewaySimulator() as primary, GatewaySimulator() as mirror:
        yield primary, mirror


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """``zzz_core.retry``'s monotonic clock, which ``clock.advance(s)`` moves forward."""
    import zzz_core.retry as retry

    state = types.SimpleNamespace(offset=0.0)
    state.advance = lambda seconds: setattr(state, "offset", state.offset + seconds)
    fake = types.SimpleNamespace(monotonic=lambda: time.monotonic() + state.offset)
    monkeypatch.setattr(retry, "time", fake)
    return state


class Client:
    """One surface bound to one model pointed at (primary, mirror)."""

    def __init__(self, surface: str, primary: GatewaySimulator, mirror: GatewaySimulator) -> None:
        self.skin, cls, self._call = SURFACES[surface]
        self.model = cls(
            model=MODEL, api_key=KEY, base_url=primary.base_url, mirrors=[mirror.base_url], max_retries=MAX_RETRIES,
            timeout=10,
        )  # fmt: skip

    async def __call__(self) -> str:
        result = self._call(self.model)
        return await result if inspect.isawaitable(result) else result


def _failovers(caplog: pytest.LogCaptureFixture, to: GatewaySimulator) -> int:
    return sum(f"sending again to 127.0.0.1:{to.port}" in r.getMessage() for r in caplog.records)


async def _expected(surface: str, primary: GatewaySimulator, mirror: GatewaySimulator) -> str:
    """The answer with both hosts up (from the primary), before any fault; records cleared."""
    answer = await Client(surface, primary, mirror)()
    assert answer and primary.count(CHAT) == 1 and mirror.count() == 0
    primary.clear_requests()
    return answer


@pytest.mark.parametrize("surface", list(SURFACES))
async def test_primary_refusing_connections_fails_over_and_the_mirror_is_preferred(
    surface: str, pair: tuple[GatewaySimulator, GatewaySimulator], no_backoff: None, caplog: pytest.LogCaptureFixture
) -> None:
    primary, mirror = pair
    expected = await _expected(surface, primary, mirror)
    client = Client(surface, primary, mirror)  # the same configuration: the same Gateway and host health
    primary.set_down(True)
    caplog.set_level(logging.DEBUG)
    assert await client() == expected
    assert mirror.count(CHAT) == 1 and _failovers(caplog, mirror) == 1
    # the cool-down: the healthy mirror is tried first, the primary is not tried again
    for n in (2, 3):
        assert await client() == expected
        assert mirror.count(CHAT) == n
    assert _failovers(caplog, mirror) == 1
    assert KEY not in caplog.text


@pytest.mark.parametrize("surface", list(SURFACES))
async def test_primary_answering_nginx_502_fails_over_and_is_passed_over_for_the_cooldown(
    surface: str, pair: tuple[GatewaySimulator, GatewaySimulator], no_backoff: None
) -> None:
    primary, mirror = pair
    expected = await _expected(surface, primary, mirror)
    client = Client(surface, primary, mirror)
    primary.inject(Fault.html(502), times=None)
    for n in (1, 2, 3):
        assert await client() == expected
        assert mirror.count(CHAT) == n
    assert primary.count(CHAT) == 1  # one 502, then the cool-down keeps requests on the mirror


@pytest.mark.parametrize("surface", list(SURFACES))
async def test_primary_is_used_again_once_back_and_the_cooldown_is_over(
    surface: str, pair: tuple[GatewaySimulator, GatewaySimulator], no_backoff: None, clock: types.SimpleNamespace
) -> None:
    primary, mirror = pair
    expected = await _expected(surface, primary, mirror)
    client = Client(surface, primary, mirror)
    primary.set_down(True)
    assert await client() == expected and mirror.count(CHAT) == 1
    primary.set_down(False)
    assert await client() == expected  # still cooling down: the mirror
    assert (primary.count(CHAT), mirror.count(CHAT)) == (0, 2)
    clock.advance(DEFAULT_FAILOVER_COOLDOWN + 1)
    assert await client() == expected  # the cool-down is over: the primary again
    assert (primary.count(CHAT), mirror.count(CHAT)) == (1, 2)
    assert await client() == expected
    assert (primary.count(CHAT), mirror.count(CHAT)) == (2, 2)


@pytest.mark.parametrize("surface", ["ChatZZZ.invoke", "li.ZZZ.astream_chat"])
async def test_a_cooling_primary_is_still_tried_when_the_mirror_fails_too(
    surface: str, pair: tuple[GatewaySimulator, GatewaySimulator], no_backoff: None
) -> None:
    primary, mirror = pair
    expected = await _expected(surface, primary, mirror)
    client = Client(surface, primary, mirror)
    primary.inject(Fault.html(502), times=1)
    assert await client() == expected  # 502 -> mirror; the primary now cools down
    mirror.set_down(True)
    assert await client() == expected  # mirror refused -> the cooling primary, which answers
    assert (primary.count(CHAT), mirror.count(CHAT)) == (2, 1)


@pytest.mark.parametrize("surface", list(SURFACES))
async def test_both_hosts_down_names_both(
    surface: str, pair: tuple[GatewaySimulator, GatewaySimulator], no_backoff: None, caplog: pytest.LogCaptureFixture
) -> None:
    primary, mirror = pair
    client = Client(surface, primary, mirror)
    primary.set_down(True)
    mirror.set_down(True)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(E.GatewayConnectionError) as info:
        await client()
    exc = info.value
    assert_typed(exc, E.GatewayConnectionError, client.skin)
    hosts = (f"127.0.0.1:{primary.port}", f"127.0.0.1:{mirror.port}")
    assert exc.hosts_tried == hosts
    assert all(h in str(exc) for h in hosts)
    # each host once per round (failing over is not a retry), 1 + MAX_RETRIES rounds
    assert exc.attempts == 2 * (1 + MAX_RETRIES)
    assert f"after {exc.attempts} attempts" in str(exc)
    assert_no_secret(exc, caplog)
