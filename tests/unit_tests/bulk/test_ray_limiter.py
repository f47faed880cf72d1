"""The shared limiter's actor body (``LimitKeeper``) as plain asyncio, without Ray.

Ray runs ``LimitKeeper`` as an async actor: every method on one event loop, each caller a
"holder".  Here the holders are coroutines of one loop; tests/integration_tests/test_ray.py
runs the same class as a real actor consulted by four worker processes.
"""

from __future__ import annotations

import asyncio
import pickle
import subprocess
import sys
import time

import pytest

from zzz_core.bulk.ray_limiter import LimitKeeper, RayLimiter, limiter_name
from zzz_core.config import ZZZConfig

KEY = "sk-zk-LIMITERKEY-0123456789"


async def test_holders_share_one_concurrency_limit() -> None:
    keeper = LimitKeeper(2, 2)
    await keeper.acquire("a")
    await keeper.acquire("b")
    third = asyncio.ensure_future(keeper.acquire("c"))
    await asyncio.sleep(0.05)
    assert not third.done()  # two in flight across holders: the third waits
    await keeper.release("a", "ok")
    assert await asyncio.wait_for(third, 1) == 2
    status = await keeper.status()
    assert (status["in_flight"], status["started"], status["holders"]) == (2, 3, 3)


async def test_requests_per_minute_spaces_every_holders_requests() -> None:
    keeper = LimitKeeper(8, 8, requests_per_minute=1200)  # one request per 0.05 s
    granted: list[float] = []

    async def worker(holder: str) -> None:
        for _ in range(3):
            await keeper.acquire(holder)
            granted.append(time.monotonic())
            await keeper.release(holder, "ok")

    await asyncio.gather(*(worker(h) for h in ("a", "b", "c")))
    gaps = [b - a for a, b in zip(granted, granted[1:], strict=False)]
    assert len(granted) == 9 and min(gaps) >= 0.045, gaps
    assert (await keeper.status())["peak_holders"] == 3


async def test_a_throttle_with_retry_after_pauses_every_holder() -> None:
    keeper = LimitKeeper(4, 4)
    await keeper.acquire("a")
    await keeper.observe("throttled", 0.3)  # an attempt the retry loop sends again
    t0 = time.monotonic()
    await keeper.acquire("b")
    assert time.monotonic() - t0 >= 0.25
    status = await keeper.status()
    assert status["decreases"] == 1 and status["limit"] == 2


async def test_a_slot_never_released_is_taken_back_after_the_lease_timeout() -> None:
    keeper = LimitKeeper(1, 1, lease_timeout=0.05)
    await keeper.acquire("dead-worker")
    await asyncio.sleep(0.1)
    await asyncio.wait_for(keeper.acquire("live-worker"), 1)  # the dead worker's slot came back
    await keeper.release("dead-worker", "ok")  # a late release frees nothing twice
    status = await keeper.status()
    assert status["expired_leases"] == 1 and status["in_flight"] == 1


async def test_an_account_stop_halts_only_its_own_run() -> None:
    keeper = LimitKeeper()
    await keeper.halt("run-1", "InsufficientBalanceError: 余额不足")
    await keeper.halt("run-1", "a later reason does not replace the first")
    assert await keeper.halted("run-1") == "InsufficientBalanceError: 余额不足"
    assert await keeper.halted("run-2") is None


def test_the_actor_name_is_per_key_and_gateway_and_shows_neither() -> None:
    cfg = ZZZConfig.resolve(api_key=KEY, base_url="https://relay.example.com/v1")
    name = limiter_name(cfg)
    assert name == limiter_name(ZZZConfig.resolve(api_key=KEY, base_url="https://relay.example.com/v1"))
    assert name.startswith("zzz-limit-") and "LIMITERKEY" not in name and "relay" not in name
    assert name != limiter_name(ZZZConfig.resolve(api_key=KEY + "x", base_url="https://relay.example.com/v1"))
    assert name != limiter_name(ZZZConfig.resolve(api_key=KEY, base_url="https://other.example.com/v1"))


def test_a_pickled_ray_limiter_is_the_actor_handle_and_a_holder_of_its_own() -> None:
    limiter = RayLimiter("<actor handle>", "zzz-limit-abc")
    copy = pickle.loads(pickle.dumps(limiter))
    assert (copy._actor, copy.name, copy.namespace) == ("<actor handle>", "zzz-limit-abc", "zzz")
    assert copy._holder != limiter._holder  # each unpickling process holds its own leases


def test_zzz_core_does_not_need_ray() -> None:
    code = (
        "import sys, zzz_core.bulk, zzz_core.bulk.ray, zzz_core.bulk.ray_limiter\n"
        "zzz_core.bulk.ChatRows, zzz_core.bulk.shared_limiter\n"
        "assert 'ray' not in sys.modules, 'zzz_core imported ray'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("outcome", ["ok", "throttled", "error"])
async def test_release_accepts_every_outcome_of_the_protocol(outcome: str) -> None:
    keeper = LimitKeeper(1, 1)
    await keeper.acquire("a")
    await keeper.release("a", outcome, 0.01 if outcome == "throttled" else None)
    assert (await keeper.status())["in_flight"] == 0
