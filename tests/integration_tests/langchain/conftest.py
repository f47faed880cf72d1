"""Fixtures of the LangChain skin's integration tests.

Everything except classes marked ``live`` runs against zzz_core's gateway
simulator on 127.0.0.1 through the real ``openai`` client: sockets may connect to
127.0.0.1 only, the ``ZZZ_*`` environment is cleared (so a developer's real key
or mirrors never leak into a simulator test), and zzz_core's retry backoff is
shortened so retried failures take milliseconds.  Images and PDFs that
langchain-tests would download are served from bytes made here.
"""

from __future__ import annotations

import types
from collections.abc import Iterator

import pytest
from lc_testkit import fake_get
from pytest_socket import socket_allow_hosts

from zzz_testing import GatewaySimulator


@pytest.fixture(scope="module")
def sim() -> Iterator[GatewaySimulator]:
    """One running simulator (智增增 dialect) for the module."""
    with GatewaySimulator() as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _offline(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import langchain_tests.integration_tests.chat_models as lc_tests

    monkeypatch.setattr(lc_tests, "httpx", types.SimpleNamespace(get=fake_get))
    if request.node.get_closest_marker("live"):
        yield
        return
    for name in ("ZZZ_API_KEY", "ZZZ_BASE_URL", "ZZZ_GATEWAY", "ZZZ_MIRRORS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("zzz_core.retry.INITIAL_BACKOFF", 0.005)
    socket_allow_hosts(["127.0.0.1"], allow_unix_socket=True)
    yield


@pytest.fixture
def fresh(sim: GatewaySimulator) -> Iterator[GatewaySimulator]:
    """The module's simulator with no queued faults and no recorded requests."""
    sim.clear_faults()
    sim.clear_requests()
    sim.set_down(False)
    yield sim
    sim.clear_faults()
    sim.set_down(False)


@pytest.fixture(autouse=True)
def _param_warnings_again() -> None:
    """zzz_core warns once per (family, parameter) per process; each test sees its own warnings."""
    from zzz_core.params import reset_param_warnings

    reset_param_warnings()
