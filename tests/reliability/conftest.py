"""Shared fixtures of the reliability suite (fault matrix, failover, soak, fuzz, secrets).

Everything runs against zzz_testing's gateway simulator over real sockets on
127.0.0.1: sockets to any other host are refused (pytest-socket), and the
``ZZZ_*`` environment is cleared so a developer's real key, base URL or mirrors
never reach a test.  Helpers the test modules share live in ``reliability_kit``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import enable_socket, socket_allow_hosts
from reliability_kit import SleepRecorder, refused_address

from zzz_core.params import reset_param_warnings


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("ZZZ_API_KEY", "ZZZ_BASE_URL", "ZZZ_GATEWAY", "ZZZ_MIRRORS"):
        monkeypatch.delenv(name, raising=False)
    socket_allow_hosts(["127.0.0.1"], allow_unix_socket=True)
    reset_param_warnings()
    yield
    enable_socket()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> SleepRecorder:
    """Retry waits are recorded in ``sleeps.waits``, not slept: those of ``zzz_core.transport``,
    and those of the bulk runner's limiter, whose ``retry_gate`` does the transport's wait."""
    import zzz_core.bulk.limiter as limiter
    import zzz_core.transport as transport

    recorder = SleepRecorder()
    monkeypatch.setattr(transport, "time", recorder.time)
    monkeypatch.setattr(transport, "asyncio", recorder.asyncio)
    monkeypatch.setattr(limiter, "asyncio", recorder.asyncio)
    return recorder


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """``zzz_core.retry.backoff_delay`` returns 0: retried failures cost no waiting."""
    monkeypatch.setattr("zzz_core.retry.backoff_delay", lambda retry_number, retry_after=None: 0.0)


@pytest.fixture(scope="module")
def refused_url() -> Iterator[str]:
    """A base URL on 127.0.0.1 whose port refuses connections (held for the module)."""
    sock, url = refused_address()
    try:
        yield url
    finally:
        sock.close()
