"""The one retry loop, sending through the official ``openai`` client.

The ``openai`` client does the sending (auth header, timeouts, connection pool,
user-supplied HTTP client); we ask it for the raw response
(``cast_to=<http Response>`` with the raw-stream header) and decode the bytes
ourselves, so no pydantic object is built per response or per chunk.  The
client is built with ``max_retries=0``: this module's loop, driven by
:class:`zzz_core.retry.Attempts`, is the only one.

Every failure, whatever shape it arrives in, goes through
:mod:`zzz_core.error_map` before the loop looks at it.  What a raw answer's body means is
:mod:`zzz_core.response_bodies`' job, what one stream read's events mean
:mod:`zzz_core.stream_events`', what to send for a body :mod:`zzz_core.negotiation`'s:
this module holds only the loops, the sending and the hooks around a resend.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import openai

from . import _compat, error_map, negotiation, response_bodies, stream_events
from . import errors as E
from .clients import ClientPool
from .config import ZZZConfig
from .error_map import ErrorContext
from .headers import request_id_of, safe_headers
from .response_bodies import RAW_STREAM, site_root, timed_out
from .retry import Attempts, HostHealth, rate_limit_patience
from .sse import SSEDecoder
from .stream_events import StreamSink
from .urls import host_of

__all__ = ["Reply", "Transport", "retry_gate", "retry_observer"]


log = logging.getLogger("zzz_core")

retry_observer: ContextVar[Callable[[E.ZZZError, float], None] | None] = ContextVar("zzz_retry_observer", default=None)
"""Called as ``observer(failure, delay)`` each time the loop decides to send a request again
(never for the final failure, which the caller sees raised).  Set it for a block of code,
e.g. in an asyncio task (each task has its own copy), to learn of the 429s and saturation
answers the retry loop absorbed (the bulk runner and the embeddings use :data:`retry_gate`).
It only observes: what is retried and when stays :mod:`zzz_core.retry`'s decision."""

retry_gate: ContextVar[Callable[[E.ZZZError, float], Awaitable[None]] | None] = ContextVar(
    "zzz_retry_gate", default=None
)
"""Awaited as ``gate(failure, delay)`` instead of ``asyncio.sleep(delay)`` before an async
request is sent again; it must wait at least ``delay``.  ``zzz_core.bulk.turns`` sets it (bulk
items, embedding batches) so that a throttled request gives its slot back to the limiter
while it waits and takes one again before it is resent: a retry never runs above the limit.  Like
:data:`retry_observer` it decides nothing: whether and when to retry stays the policy's."""


@dataclass(slots=True)
class Reply:
    """A decoded JSON success, where it came from, and its response headers."""

    payload: Any
    host: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def request_id(self) -> str | None:
        """The gateway's request id (``X-Oneapi-Request-Id`` / ``X-Request-Id``)."""
        return request_id_of(self.headers)


class Transport:
    """Sends requests for one :class:`ZZZConfig`, with retries and mirror failover.

    The ``openai`` clients it sends through are kept by its :class:`~zzz_core.clients.ClientPool`
    (one sync client, one async client per event loop).
    """

    def __init__(self, config: ZZZConfig) -> None:
        self.config = config
        self.health = HostHealth(config.hosts, config.failover_cooldown)
        self._secrets = (config.api_key.get_secret_value(),)
        self._key_hint = config.key_hint()
        self.clients = ClientPool(config)

    # -- clients (kept by zzz_core.clients) ---------------------------------

    @property
    def sync_client(self) -> openai.OpenAI:
        """The shared sync ``openai`` client (see :class:`~zzz_core.clients.ClientPool`)."""
        return self.clients.sync_client

    @property
    def async_client(self) -> openai.AsyncOpenAI:
        """The running event loop's async ``openai`` client."""
        return self.clients.async_client

    # -- non-streaming -------------------------------------------------------

    def request_json(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        require: str | None = None,
        at_root: bool = False,
        files: Any = None,
        repeatable: bool = True,
    ) -> tuple[Any, str]:
        """Send and decode one JSON request; return ``(payload, host)`` (see :meth:`request`)."""
        reply = self.request(method, path, body, require=require, at_root=at_root, files=files, repeatable=repeatable)
        return reply.payload, reply.host

    async def arequest_json(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        require: str | None = None,
        at_root: bool = False,
        files: Any = None,
        repeatable: bool = True,
    ) -> tuple[Any, str]:
        """Async twin of :meth:`request_json`."""
        reply = await self.arequest(
            method, path, body, require=require, at_root=at_root, files=files, repeatable=repeatable
        )
        return reply.payload, reply.host

    def request_bytes(self, path: str) -> tuple[bytes, str]:
        """``GET`` a file's raw content (e.g. a JSONL batch output); return ``(bytes, host)``."""
        reply = self.request("GET", path, raw=True)
        return reply.payload, reply.host

    async def arequest_bytes(self, path: str) -> tuple[bytes, str]:
        """Async twin of :meth:`request_bytes`."""
        reply = await self.arequest("GET", path, raw=True)
        return reply.payload, reply.host

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        require: str | None = None,
        at_root: bool = False,
        files: Any = None,
        repeatable: bool = True,
        raw: bool = False,
        loads: Callable[[bytes], Any] | None = None,
    ) -> Reply:
        """Send and decode one JSON request, with retries and failover.

        ``require`` names a key a success must carry (``"choices"``, ``"data"``):
        a 200 answer without it is a gateway error, not a ``TypeError`` later.
        ``at_root`` sends ``path`` from the site's root instead of the API base
        (new-api's ``/api/pricing`` lives beside ``/v1``, not under it).
        ``files`` sends ``body`` as ``multipart/form-data`` with these file parts
        (openai's ``RequestFiles`` form).  ``repeatable=False`` marks a request that
        must not reach the gateway twice (see :class:`~zzz_core.retry.Attempts`).
        ``raw`` returns the body's bytes as sent (a file's content), unless the whole
        answer is one JSON error object (智增增's HTTP-200 envelope).  ``loads`` parses a
        success instead of ``json.loads`` (see :func:`zzz_core.response_bodies.decode`).
        """
        attempts = self._attempts(repeatable)
        host = attempts.first()
        while True:
            ctx = self._ctx(host, path, method)
            failure: E.ZZZError | None = None
            turn = negotiation.attempt(body, host_of(host))
            try:
                response = self._send(method, site_root(host) if at_root else host, path, turn.sent, ctx, files)
                ctx.headers = response.headers  # an HTTP-200 error envelope carries the request id too
                try:
                    data = response.read()
                finally:
                    response.close()
                payload = (
                    response_bodies.decode_content(response.status_code, data, ctx)
                    if raw
                    else turn.answer(self._decode(response.status_code, data, ctx, require, loads), ctx)
                )
            except E.ZZZError as exc:
                failure = exc
            except _compat.TransportError as exc:  # body read failed mid-way
                failure = error_map.from_transport(exc, ctx, timed_out=timed_out(exc))
            if failure is None:
                attempts.succeeded(host)
                return Reply(payload, host_of(host), self._safe_headers(response.headers))
            if self._renegotiated(failure, turn, host, attempts):
                continue  # the same host, the parameter adjusted: an attempt, not a retry
            # Decided (and raised, when giving up) outside the except clauses, so that the
            # error does not get the HTTP library's exception as __context__: that one holds
            # the request, Authorization header included.
            decision = attempts.next(failure)
            self._log_retry(failure, decision.host, decision.delay, attempts)
            time.sleep(decision.delay)
            host = decision.host

    async def arequest(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        require: str | None = None,
        at_root: bool = False,
        files: Any = None,
        repeatable: bool = True,
        raw: bool = False,
        loads: Callable[[bytes], Any] | None = None,
    ) -> Reply:
        """Async twin of :meth:`request` (same policy, same decoding)."""
        attempts = self._attempts(repeatable)
        host = attempts.first()
        while True:
            ctx = self._ctx(host, path, method)
            failure: E.ZZZError | None = None
            turn = negotiation.attempt(body, host_of(host))
            try:
                response = await self._asend(method, site_root(host) if at_root else host, path, turn.sent, ctx, files)
                ctx.headers = response.headers
                try:
                    data = await response.aread()
                finally:
                    await response.aclose()
                payload = (
                    response_bodies.decode_content(response.status_code, data, ctx)
                    if raw
                    else turn.answer(self._decode(response.status_code, data, ctx, require, loads), ctx)
                )
            except E.ZZZError as exc:
                failure = exc
            except _compat.TransportError as exc:  # body read failed mid-way
                failure = error_map.from_transport(exc, ctx, timed_out=timed_out(exc))
            if failure is None:
                attempts.succeeded(host)
                return Reply(payload, host_of(host), self._safe_headers(response.headers))
            if self._renegotiated(failure, turn, host, attempts):
                continue  # the same host, the parameter adjusted: an attempt, not a retry
            # Decided (and raised, when giving up) outside the except clauses, so that the
            # error does not get the HTTP library's exception as __context__: that one holds
            # the request, Authorization header included.
            decision = attempts.next(failure)
            self._log_retry(failure, decision.host, decision.delay, attempts)
            await _wait_to_resend(failure, decision.delay)
            host = decision.host

    # -- streaming -----------------------------------------------------------

    def stream(
        self,
        path: str,
        body: dict[str, Any],
        make_sink: Callable[[str], StreamSink],
        on_headers: Callable[[dict[str, str]], None] | None = None,
    ) -> Iterator[Any]:
        """Yield decoded chunks of one SSE request.

        A failure before any content was delivered is retried like any other;
        after content it is raised with ``partial_content`` set, never retried.
        ``on_headers`` receives the (safe) response headers of each attempt that got
        an answer, before its first chunk.
        """
        attempts = self._attempts()
        host = attempts.first()
        while True:
            ctx = self._ctx(host, path, "POST")
            turn = negotiation.attempt(body, host_of(host))
            sink = turn.sink(make_sink(ctx.host or ""), ctx)
            try:
                response = self._send("POST", host, path, turn.sent, ctx)
                self._answered(response, ctx, on_headers)
                try:
                    if not stream_events.is_event_stream(response):
                        yield from stream_events.json_as_stream(response.status_code, response.read(), ctx, sink)
                    else:
                        decoder = SSEDecoder()
                        done = False
                        broken: E.ZZZError | None = None
                        try:
                            for data in response.iter_bytes():
                                chunks, done, failure = self._feed_read(decoder.feed(data), sink, ctx)
                                yield from chunks
                                if failure is not None:
                                    raise failure
                                if done:
                                    break
                            if not done:
                                chunks, done, failure = self._feed_read(decoder.flush(), sink, ctx)
                                yield from chunks
                                if failure is not None:
                                    raise failure
                        except _compat.TransportError as exc:
                            broken = stream_events.broken(exc, sink, ctx)
                        if broken is not None:
                            raise broken  # outside the except clause: no __context__ holding the request
                        yield from stream_events.end(sink, ctx, done)
                finally:
                    response.close()
            except E.ZZZError as exc:
                if not sink.delivered and self._renegotiated(exc, turn, host, attempts):
                    continue
                decision = self._after_stream_failure(exc, sink, attempts)
                time.sleep(decision.delay)
                host = decision.host
                continue
            attempts.succeeded(host)
            return

    async def astream(
        self,
        path: str,
        body: dict[str, Any],
        make_sink: Callable[[str], StreamSink],
        on_headers: Callable[[dict[str, str]], None] | None = None,
    ) -> AsyncIterator[Any]:
        """Async twin of :meth:`stream`."""
        attempts = self._attempts()
        host = attempts.first()
        while True:
            ctx = self._ctx(host, path, "POST")
            turn = negotiation.attempt(body, host_of(host))
            sink = turn.sink(make_sink(ctx.host or ""), ctx)
            try:
                response = await self._asend("POST", host, path, turn.sent, ctx)
                self._answered(response, ctx, on_headers)
                try:
                    if not stream_events.is_event_stream(response):
                        for chunk in stream_events.json_as_stream(
                            response.status_code, await response.aread(), ctx, sink
                        ):
                            yield chunk
                    else:
                        decoder = SSEDecoder()
                        done = False
                        broken: E.ZZZError | None = None
                        try:
                            async for data in response.aiter_bytes():
                                chunks, done, failure = self._feed_read(decoder.feed(data), sink, ctx)
                                for chunk in chunks:
                                    yield chunk
                                if failure is not None:
                                    raise failure
                                if done:
                                    break
                            if not done:
                                chunks, done, failure = self._feed_read(decoder.flush(), sink, ctx)
                                for chunk in chunks:
                                    yield chunk
                                if failure is not None:
                                    raise failure
                        except _compat.TransportError as exc:
                            broken = stream_events.broken(exc, sink, ctx)
                        if broken is not None:
                            raise broken  # outside the except clause: no __context__ holding the request
                        for chunk in stream_events.end(sink, ctx, done):
                            yield chunk
                finally:
                    await response.aclose()
            except E.ZZZError as exc:
                if not sink.delivered and self._renegotiated(exc, turn, host, attempts):
                    continue
                decision = self._after_stream_failure(exc, sink, attempts)
                await _wait_to_resend(exc, decision.delay)
                host = decision.host
                continue
            attempts.succeeded(host)
            return

    # -- shared per-event logic (pure, used by both loops) -------------------

    @staticmethod
    def _renegotiated(failure: E.ZZZError, turn: negotiation.Negotiated, host: str, attempts: Attempts) -> bool:
        """After a parameter rejection that an adjustment fixes: learn it and count the resend.

        :mod:`zzz_core.negotiation` decides whether it was one; the next pass of the loop
        sends the adjusted body (``negotiation.attempt``) to the same host.  The attempt's
        :meth:`~zzz_core.negotiation.Negotiated.answer` / ``sink`` hand a forced function
        call (``json_schema``'s stand-in) back as content, or fail so that it is learned here.
        """
        if attempts.adjustments >= negotiation.MAX_ADJUSTMENTS or not turn.learn(failure):
            return False
        attempts.resend(host)
        return True

    def _safe_headers(self, headers: Any) -> dict[str, str]:
        return safe_headers(headers, lambda value: error_map.redact(value, self._secrets))

    def _answered(self, response: Any, ctx: ErrorContext, on_headers: Any) -> None:
        # Error frames inside the stream then carry the request id; the caller gets the headers.
        ctx.headers = response.headers
        if on_headers is not None:
            on_headers(self._safe_headers(response.headers))

    # The per-event logic lives in zzz_core.stream_events; under these names the loops read
    # as before and benchmarks/cases/stages.py measures the same steps.
    _feed_read = staticmethod(stream_events.feed_read)
    _feed = staticmethod(stream_events.feed)

    def _after_stream_failure(self, exc: E.ZZZError, sink: StreamSink, attempts: Attempts) -> Any:
        if sink.delivered:
            if not exc.partial_content:
                exc.partial_content = sink.content_so_far()
            attempts.give_up(exc)
        decision = attempts.next(exc)
        self._log_retry(exc, decision.host, decision.delay, attempts)
        return decision

    # -- sending -------------------------------------------------------------

    def _send(self, method: str, host: str, path: str, body: Any, ctx: ErrorContext, files: Any = None) -> Any:
        try:
            if method == "GET":
                return self.sync_client.get(host + path, cast_to=_compat.Response, options={"headers": RAW_STREAM})
            return self.sync_client.post(
                host + path, cast_to=_compat.Response, body=body, files=files, options=response_bodies.options(files)
            )
        except openai.APIStatusError as exc:
            err = response_bodies.status_error(exc, ctx)
        except openai.APIConnectionError as exc:  # APITimeoutError included
            err = error_map.from_transport(
                response_bodies.shown(exc), ctx, timed_out=response_bodies.sdk_timed_out(exc)
            )
        # Raised outside the except clauses: ``raise … from None`` would still keep the
        # openai exception as __context__, and its request carries the Authorization header.
        raise err

    async def _asend(self, method: str, host: str, path: str, body: Any, ctx: ErrorContext, files: Any = None) -> Any:
        client = self.async_client
        try:
            if method == "GET":
                return await client.get(host + path, cast_to=_compat.Response, options={"headers": RAW_STREAM})
            return await client.post(
                host + path, cast_to=_compat.Response, body=body, files=files, options=response_bodies.options(files)
            )
        except openai.APIStatusError as exc:
            err = response_bodies.status_error(exc, ctx)
        except openai.APIConnectionError as exc:  # APITimeoutError included
            err = error_map.from_transport(
                response_bodies.shown(exc), ctx, timed_out=response_bodies.sdk_timed_out(exc)
            )
        # Raised outside the except clauses: ``raise … from None`` would still keep the
        # openai exception as __context__, and its request carries the Authorization header.
        raise err

    @staticmethod
    def _decode(status: int, raw: bytes, ctx: ErrorContext, require: str | None, loads: Any = None) -> Any:
        # zzz_core.response_bodies decodes; this name stays for the loops and the benchmark stages.
        return response_bodies.decode(status, raw, ctx, require, loads)

    def _ctx(self, host: str, path: str, method: str) -> ErrorContext:
        return ErrorContext(
            host=host_of(host), url=host + path, method=method, secrets=self._secrets, key_hint=self._key_hint
        )

    def _attempts(self, repeatable: bool = True) -> Attempts:
        return Attempts(
            self.health, self.config.max_retries, repeatable=repeatable, rate_limit_patience=rate_limit_patience.get()
        )

    @staticmethod
    def _log_retry(exc: E.ZZZError, host: str, delay: float, attempts: Attempts) -> None:
        observer = retry_observer.get()
        if observer is not None:
            observer(exc, delay)
        log.warning(
            "zzz: %s from %s; sending again to %s in %.2fs (attempt %d, retry %d of %d)",
            type(exc).__name__,
            exc.host,
            host_of(host),
            delay,
            attempts.count,
            attempts.retries,
            attempts.max_retries,
        )

    def close(self) -> None:
        """Close the synchronous pool; the next sync call opens a new one (see :meth:`ClientPool.close`)."""
        self.clients.close()

    async def aclose(self) -> None:
        """Close the running event loop's async pool (see :meth:`ClientPool.aclose`)."""
        await self.clients.aclose()


async def _wait_to_resend(failure: E.ZZZError, delay: float) -> None:
    gate = retry_gate.get()
    if gate is None:
        await asyncio.sleep(delay)
    else:
        await gate(failure, delay)
