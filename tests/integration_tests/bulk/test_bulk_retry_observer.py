"""The transport's retry observer: it sees every attempt the one retry loop sends again."""

from __future__ import annotations

import asyncio

import pytest

from zzz_core import Gateway, ZZZConfig, build_chat_request
from zzz_core import errors as E
from zzz_core.transport import retry_observer
from zzz_testing import Fault


def _gateway(sim, **kw):
    return Gateway(ZZZConfig.resolve(api_key="sk-test-observer", base_url=sim.base_url, **kw))


def test_observer_sees_retried_throttles_not_the_final_failure(zzz_simulator):
    gw = _gateway(zzz_simulator, max_retries=2)
    seen = []
    zzz_simulator.inject(Fault.rate_limit(retry_after=0.01), times=2)
    token = retry_observer.set(lambda exc, delay: seen.append((type(exc).__name__, delay)))
    try:
        result = gw.chat(build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hi"}]))
        assert result.choices[0].content
        assert seen == [("RateLimitError", 0.01), ("RateLimitError", 0.01)]
        seen.clear()
        zzz_simulator.inject(Fault.rate_limit(retry_after=0.01), times=3)
        with pytest.raises(E.RateLimitError):
            gw.chat(build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hi"}]))
        assert len(seen) == 2  # the third failure is raised, not observed
    finally:
        retry_observer.reset(token)
    gw.close()


async def test_observer_is_per_task(zzz_simulator):
    gw = _gateway(zzz_simulator, max_retries=1)
    seen: dict[str, int] = {"a": 0, "b": 0}

    async def call(name: str, fault: bool) -> None:
        retry_observer.set(lambda exc, delay: seen.__setitem__(name, seen[name] + 1))
        body = build_chat_request("gpt-4o-mini", [{"role": "user", "content": name}])
        if fault:
            zzz_simulator.inject(Fault.rate_limit(retry_after=0.01), times=1)
        await gw.achat(body)

    await asyncio.gather(asyncio.create_task(call("a", True)), asyncio.create_task(call("b", False)))
    assert seen == {"a": 1, "b": 0}
    assert retry_observer.get() is None  # set inside the tasks only: each task has its own copy
    await gw.aclose()
