"""Helpers shared by the reliability tests (a uniquely named module so that test files can
import it; ``conftest`` is not importable by name).

* the fake key, and :func:`assert_no_secret`, which looks for it everywhere an
  exception can show it;
* :data:`PARENTS`, the documented parents of every zzz_core error class
  (``docs/errors.md``), and :func:`assert_typed`;
* :class:`SleepRecorder`, which replaces the sleeps of ``zzz_core.transport`` (and
  only those) with a recorder;
* :func:`refused_address`, a 127.0.0.1 port that refuses connections.
"""

from __future__ import annotations

import asyncio
import pickle
import socket
import time
import types
from collections.abc import Iterator
from typing import Any

import openai
from langchain_core import exceptions as lc

import zzz_core
from zzz_core import errors as E

KEY = "sk-zk-SECRETSECRET-0000"
"""A recognisable fake key; the simulator accepts any key but ``sk-proj-``/``zp-`` ones."""
KEY_FRAGMENT = "SECRETSECRET"
"""Also searched for, so that a partly redacted key (``sk-zk-SECRET…``) counts as a leak."""

# zzz_core class -> (openai parents, LangChain parents), as docs/errors.md lists them.
PARENTS: dict[type[E.ZZZError], tuple[tuple[type, ...], tuple[type, ...]]] = {
    E.AuthenticationError: ((openai.AuthenticationError,), (lc.ModelAuthenticationError,)),
    E.PermissionDeniedError: ((openai.PermissionDeniedError,), (lc.ModelPermissionDeniedError,)),
    E.InsufficientBalanceError: ((openai.PermissionDeniedError,), (lc.ModelPermissionDeniedError,)),
    E.RateLimitError: ((openai.RateLimitError,), (lc.ModelRateLimitError,)),
    E.ModelNotFoundError: ((openai.NotFoundError,), (lc.ModelNotFoundError,)),
    E.EndpointNotSupportedError: ((openai.NotFoundError,), (lc.ModelNotFoundError,)),
    E.InvalidRequestError: ((openai.BadRequestError,), (lc.ModelInvalidRequestError,)),
    E.ContextLengthExceededError: ((openai.BadRequestError,), (lc.ContextOverflowError, lc.ModelInvalidRequestError)),
    E.ContentFilterError: ((openai.BadRequestError,), (lc.ModelInvalidRequestError,)),
    E.GatewayServerError: ((openai.InternalServerError,), (lc.ModelAPIError,)),
    E.GatewayError: ((openai.APIStatusError,), (lc.ModelAPIError,)),
    E.GatewayConnectionError: ((openai.APIConnectionError,), (lc.ModelConnectionError,)),
    E.GatewayTimeoutError: ((openai.APITimeoutError,), (lc.ModelTimeoutError, lc.ModelConnectionError)),
    E.StreamInterruptedError: ((openai.APIConnectionError,), (lc.ModelConnectionError,)),
    E.BudgetExceededError: ((openai.OpenAIError,), (lc.ModelError,)),
    E.BatchAPIUnsupportedError: ((openai.NotFoundError,), (lc.ModelNotFoundError,)),
    E.BatchJobError: ((openai.APIError,), (lc.ModelAPIError,)),
    E.BatchValidationError: ((openai.APIError,), (lc.ModelAPIError,)),
    E.BatchExpiredError: ((openai.APIError,), (lc.ModelAPIError,)),
    E.BatchCancelledError: ((openai.APIError,), (lc.ModelAPIError,)),
    E.BatchPendingError: ((openai.APIError,), (lc.ModelAPIError,)),
}
assert set(PARENTS) == set(E.GATEWAY_ERRORS)


def assert_typed(exc: BaseException, core: type[E.ZZZError], skin: str) -> None:
    """``exc`` is exactly ``core`` (llamaindex, zzz_core) or its LangChain twin (langchain),
    with every documented parent."""
    openai_parents, lc_parents = PARENTS[core]
    if skin == "langchain":
        assert type(exc).__module__ == "langchain_zzz.errors" and type(exc).__name__ == core.__name__, repr(exc)
        assert isinstance(exc, core)
        for parent in lc_parents:
            assert isinstance(exc, parent), (type(exc), parent)
        assert isinstance(exc, lc.ModelError)
        assert exc.is_retryable is exc.retryable  # type: ignore[attr-defined]
    else:
        assert zzz_core.errors.named_class(type(exc)) is core, repr(exc)
    status_class = zzz_core.errors.openai_class_for_status(getattr(exc, "status_code", None))
    if status_class is not None:  # also openai's class for the HTTP status it came with
        assert isinstance(exc, status_class), (type(exc), status_class)
    for parent in openai_parents:
        assert isinstance(exc, parent), (type(exc), parent)
    assert isinstance(exc, zzz_core.ZZZError) and isinstance(exc, openai.OpenAIError)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [e.__cause__, e.__context__]


def _views(e: BaseException) -> Iterator[str]:
    yield str(e)
    yield repr(e)
    yield repr(e.args)
    yield repr({k: v for k, v in vars(e).items() if k not in ("request", "response")})
    for name in ("request", "response"):
        obj = getattr(e, name, None)
        if obj is not None:
            yield repr(obj)
            yield repr(getattr(obj, "headers", ""))
            yield repr(getattr(obj, "url", ""))
    yield repr(getattr(e, "body", None))


def assert_no_secret(exc: BaseException, caplog: Any = None, key: str = KEY) -> None:
    """The key (or its recognisable middle) is in no view of ``exc``, its cause/context
    chain, its pickle, nor in the captured log records."""
    texts: list[str] = []
    for e in _chain(exc):
        texts += list(_views(e))
        try:
            texts.append(repr(pickle.dumps(e)))
        except Exception as err:  # noqa: BLE001 - an unpicklable error is itself a finding
            raise AssertionError(f"{type(e).__name__} does not pickle: {err!r}") from None
    if caplog is not None:
        texts.append(caplog.text)
        for record in caplog.records:
            texts.append(record.getMessage())
            texts.append(repr(record.__dict__))
    for text in texts:
        assert key not in text, text[:300]
        assert KEY_FRAGMENT not in text, text[:300]


class SleepRecorder:
    """Stands in for ``time`` and ``asyncio`` inside ``zzz_core.transport`` only: every
    retry wait is recorded instead of slept (the async one still yields once)."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        recorder = self

        def sleep(seconds: float) -> None:
            recorder.waits.append(seconds)

        async def asleep(seconds: float, result: Any = None) -> Any:
            recorder.waits.append(seconds)
            await asyncio.sleep(0)
            return result

        self.time = _Proxy(time, sleep=sleep)
        self.asyncio = _Proxy(asyncio, sleep=asleep)


class _Proxy(types.SimpleNamespace):
    """A module with some attributes replaced; everything else is the module's."""

    def __init__(self, module: types.ModuleType, **overrides: Any) -> None:
        super().__init__(**overrides)
        self.__module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__module, name)


def refused_address() -> tuple[socket.socket, str]:
    """A socket bound to a 127.0.0.1 port but not listening (connections to it are
    refused, and no other process can take the port while it is held), and its base URL."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, f"http://127.0.0.1:{s.getsockname()[1]}/v1"

