"""The ``openai`` clients a :class:`~zzz_core.transport.Transport` sends through, and their lifetimes.

One sync ``openai.OpenAI`` serves every thread.  Async clients are kept one per event
loop, because an async connection pool cannot cross loops; each is closed when its loop
shuts down (``asyncio.run``, ``asyncio.Runner``, pytest-asyncio) through the hook the
standard library offers for that, and a loop closed by hand is forgotten on the next call.
User-supplied HTTP clients are used as given and never closed here: their owner closes them.

Every client is built with ``max_retries=0``: :mod:`zzz_core.transport` owns the one loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator
from typing import Any

import openai

from . import _compat
from . import errors as E
from .config import ZZZConfig

__all__ = ["ClientPool"]


class ClientPool:
    """The ``openai`` clients of one :class:`ZZZConfig`: one sync, one async per event loop."""

    def __init__(self, config: ZZZConfig) -> None:
        self.config = config
        self._sync: openai.OpenAI | None = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = (
            weakref.WeakKeyDictionary()
        )

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self.config.api_key.get_secret_value(),
            "base_url": self.config.base_url,
            "timeout": self.config.timeout,
            "max_retries": 0,
            "default_headers": dict(self.config.default_headers) or None,
        }

    @property
    def sync_client(self) -> openai.OpenAI:
        """The one sync client, built on first use (around the user's ``http_client`` if given)."""
        if self._sync is None:
            http_client = self.config.http_client
            if http_client is None:
                http_client = openai.DefaultHttpxClient(verify=_compat.shared_ssl_context())
            self._sync = openai.OpenAI(http_client=http_client, **self._client_kwargs())
        return self._sync

    @property
    def async_client(self) -> openai.AsyncOpenAI:
        """The async client of the running event loop (the user's ``http_async_client``
        is used on every loop; one of ours is built per loop, and closed with it)."""
        if self.config.http_async_client is not None:
            client = self._async.get(_GLOBAL_LOOP_KEY)
            if client is None:
                client = openai.AsyncOpenAI(http_client=self.config.http_async_client, **self._client_kwargs())
                self._async[_GLOBAL_LOOP_KEY] = client
            return client
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None or client.is_closed():
            self._forget_closed_loops()
            client = openai.AsyncOpenAI(http_client=self._new_async_http_client(), **self._client_kwargs())
            self._async[loop] = client
            _close_when_loop_shuts_down(self._async, loop, client)
        return client

    def _new_async_http_client(self) -> Any:
        kind = self.config.async_transport
        if kind != "httpx":
            client = _aiohttp_client(required=kind == "aiohttp")
            if client is not None:
                return client
        return openai.DefaultAsyncHttpxClient(verify=_compat.shared_ssl_context())

    def _forget_closed_loops(self) -> None:
        # A loop closed without shutdown_asyncgens() (loop.close() by hand) never ran our
        # closer; drop its client so it does not pin the loop and its sockets forever.
        # keyrefs() copies the keys atomically: other threads' loops add and drop entries.
        for ref in self._async.keyrefs():
            loop = ref()
            if isinstance(loop, asyncio.AbstractEventLoop) and loop.is_closed():
                self._async.pop(loop, None)

    def close(self) -> None:
        """Close the synchronous pool; the next sync call opens a new one.

        A user-supplied ``http_client`` is left open: its owner closes it."""
        client, self._sync = self._sync, None
        if client is not None and self.config.http_client is None:
            client.close()

    async def aclose(self) -> None:
        """Close the async pool of the running event loop (call before closing a loop by
        hand); the next call opens a new one.  A user-supplied ``http_async_client`` is
        left open: its owner closes it."""
        if self.config.http_async_client is not None:
            self._async.pop(_GLOBAL_LOOP_KEY, None)
            return
        client = self._async.pop(asyncio.get_running_loop(), None)
        if client is not None:
            closer = getattr(client, "_zzz_closer", None)
            await (closer.aclose() if closer is not None else client.close())


_GLOBAL_LOOP_KEY = type("_AnyLoop", (), {})()


def _aiohttp_client(*, required: bool) -> Any:
    """openai's aiohttp-backed client; when it is not installed, ``None`` (``"auto"``) or
    a clear error saying what to install (``"aiohttp"``)."""
    try:
        return openai.DefaultAioHttpClient(verify=_compat.shared_ssl_context())
    except RuntimeError as exc:
        if not required:
            return None
        raise E.ConfigurationError(
            "async_transport='aiohttp' needs aiohttp: pip install aiohttp (openai 3.x) "
            "or pip install 'openai[aiohttp]' (openai 2.x)"
        ) from exc


def _close_when_loop_shuts_down(registry: Any, loop: asyncio.AbstractEventLoop, client: Any) -> None:
    """Close ``client`` when ``loop`` shuts down (``asyncio.run``, ``asyncio.Runner``,
    pytest-asyncio), so that a script that never calls ``aclose()`` leaks no socket, and
    aiohttp has no unclosed session to complain about.

    The hook is the one the standard library offers: a loop finalizes the async
    generators it has seen in ``shutdown_asyncgens()`` before it closes.  This one waits
    at its first ``yield`` until then; it is started here, synchronously, which registers
    it with the running loop.  The registry holds it: the loop only keeps a weak reference.
    """

    async def closer() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            if registry.get(loop) is client:
                registry.pop(loop, None)
            await client.close()

    gen = closer()
    step = gen.__anext__()  # the running loop's first-iteration hook sees the generator here
    try:
        step.send(None)
    except StopIteration:
        pass
    client._zzz_closer = gen  # lives exactly as long as the client
