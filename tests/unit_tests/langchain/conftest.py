"""Unit tests of the LangChain skin: no sockets (only the unix socketpair asyncio needs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket

KEY = "sk-zk-SECRET-lc-unit-4b8d2f6a1c"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("ZZZ_API_KEY", "ZZZ_BASE_URL", "ZZZ_GATEWAY", "ZZZ_MIRRORS"):
        monkeypatch.delenv(name, raising=False)
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()


@pytest.fixture
def key_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """Only ZZZ_API_KEY set, as a user would have it."""
    monkeypatch.setenv("ZZZ_API_KEY", KEY)
    return KEY


@pytest.fixture(autouse=True)
def _param_warnings_again() -> None:
    """zzz_core warns once per (family, parameter) per process; each test sees its own warnings."""
    from zzz_core.params import reset_param_warnings

    reset_param_warnings()
