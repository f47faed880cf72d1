"""Fixtures for the LlamaIndex skin against the gateway simulator on 127.0.0.1.

Every request goes through the real ``openai`` client and a real socket; sockets
to anything but 127.0.0.1 are refused, so no test can reach the internet (the
live tests, marked ``live``, are the exception and run only with ZZZ_API_KEY).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_socket import enable_socket, socket_allow_hosts

from llamaindex_zzz import ZZZ, ZZZEmbedding
from zzz_testing import GatewaySimulator

KEY = "sk-zk-SECRET-integration-4d2b8e61a0"
LIVE_KEY = os.environ.get("ZZZ_API_KEY")  # read before any test changes the environment


@pytest.fixture(autouse=True)
def _loopback_only(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if request.node.get_closest_marker("live"):
        yield
        return
    for name in ("ZZZ_API_KEY", "ZZZ_BASE_URL", "ZZZ_GATEWAY", "ZZZ_MIRRORS"):
        monkeypatch.delenv(name, raising=False)
    socket_allow_hosts(["127.0.0.1"], allow_unix_socket=True)
    yield
    enable_socket()


@pytest.fixture(scope="module")
def sim() -> Iterator[GatewaySimulator]:
    """One simulator per module (zhizengzeng dialect); faults and records are reset per test."""
    with GatewaySimulator() as s:
        yield s


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> Iterator[None]:
    if "sim" not in request.fixturenames:
        yield
        return
    s: GatewaySimulator = request.getfixturevalue("sim")
    s.clear_faults()
    s.clear_requests()
    yield
    s.clear_faults()


@pytest.fixture
def key() -> str:
    return KEY


@pytest.fixture
def make_llm(sim: GatewaySimulator) -> Callable[..., ZZZ]:
    def make(model: str = "deepseek-chat", **kw: Any) -> ZZZ:
        kw.setdefault("api_key", KEY)
        kw.setdefault("base_url", sim.base_url)
        return ZZZ(model=model, **kw)

    return make


@pytest.fixture
def make_embedding(sim: GatewaySimulator) -> Callable[..., ZZZEmbedding]:
    def make(model_name: str = "text-embedding-3-small", **kw: Any) -> ZZZEmbedding:
        kw.setdefault("api_key", KEY)
        kw.setdefault("base_url", sim.base_url)
        return ZZZEmbedding(model_name=model_name, **kw)

    return make


@pytest.fixture
def chat_bodies(sim: GatewaySimulator) -> Callable[[], list[dict[str, Any]]]:
    """The JSON bodies of the chat requests the simulator received in this test."""
    return lambda: [r.body for r in sim.requests if r.path.endswith("/chat/completions")]
