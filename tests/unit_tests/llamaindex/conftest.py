"""Unit tests of the LlamaIndex skin: no sockets (only the unix socketpair asyncio needs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket

KEY = "sk-zk-SECRET-unit-7f3a9c1e5b"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("ZZZ_API_KEY", "ZZZ_BASE_URL", "ZZZ_GATEWAY", "ZZZ_MIRRORS"):
        monkeypatch.delenv(name, raising=False)
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()


@pytest.fixture
def key() -> str:
    return KEY


@pytest.fixture
def key_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """Only ZZZ_API_KEY set, as a user would have it."""
    monkeypatch.setenv("ZZZ_API_KEY", KEY)
    return KEY
