"""The one retry loop, sending through the official ``openai`` client.

The ``openai`` client does the sending (auth header, timeouts, connection pool,
user-supplied HTTP client); we ask it for the raw response
(``cast_to=<http Response>`` with the raw-stream header) and decode the bytes
ourselves, so no pydantic object is built per response or per chunk.  The
client is built with ``max_retries=0``: this module's loop, driven by
:class:`zzz_core.retry.Attempts`, is the only one.

Every failure, whatever shape it arrives in, goes through
:mod:`zzz_core.error_map` before the loop looks at it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import openai

from . import _compat, error_map, negotiation
from . import errors as E
from .clients import ClientPool
from .config import ZZZConfig
from .error_map import ErrorContext
from .headers import request_id_of, safe_headers
from .retry import Attempts, HostHealth, rate_limit_patience
from .sse import SSEDecoder
from .urls import host_of

if TYPE_CHECKING:
    from openai._types import RequestOptions

__all__ = ["StreamSink", "Transport"]


log = logging.getLogger("zzz_core")

_RAW_STREAM = {"X-Stainless-Raw-Response": "stream"}

retry_observer: ContextVar[Callable[[E.ZZZError, float], None] | None] = ContextVar("zzz_retry_observer", default=None)
"""Called as ``observer(failure, delay)`` each time the loop decides to send a request again
(never for the final failure, which the caller sees raised).  Set it for a block of code,
e.g. in an asyncio task (each task has its own copy); the bulk runner uses it so its
concurrency limiter learns of 429s and saturation answers that the retry loop absorbed.
It only observes: what is retried and when stays :mod:`zzz_core.retry`'s decision."""

retry_gate: ContextVar[Callable[[E.ZZZError, float], Awaitable[None]] | None] = ContextVar(
    "zzz_retry_gate", default=None
)
"""Awaited as ``gate(failure, delay)`` instead of ``asyncio.sleep(delay)`` before an async
request is sent again; it must wait at least ``delay``.  The bulk runner sets it so that a
throttled request gives its slot back to the concurrency limiter while it waits and takes
one again before it is resent: a retry never runs above the limiter's limit.  Like
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


class StreamSink(Protocol):
    """What a stream's decoder must offer the loop (the chat/completion assemblers do)."""

    @property
    def delivered(self) -> bool:
        """True once any content was produced: a failure after that is never retried."""
        ...

    @property
    def saw_finish_reason(self) -> bool:
        """True once a finish reason arrived: a stream ending without ``[DONE]`` is then complete."""
        ...

    def feed(self, payload: dict[str, Any]) -> list[Any]:
        """The chunks of one decoded event."""
        ...

    def finish(self) -> list[Any]:
        """The chunks still held at the end of the stream."""
        ...

    def content_so_far(self, index: int = 0) -> str:
        """The text delivered so far (kept on the error when the stream breaks)."""
        ...


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
        answer is one JSON error object (智增增's HTTP-200 envelope).
        """
        attempts = self._attempts(repeatable)
        host = attempts.first()
        while True:
            ctx = self._ctx(host, path, method)
            failure: E.ZZZError | None = None
            turn = negotiation.attempt(body, host_of(host))
            try:
                response = self._send(method, _site_root(host) if at_root else host, path, turn.sent, ctx, files)
                ctx.headers = response.headers  # an HTTP-200 error envelope carries the request id too
                try:
                    data = response.read()
                finally:
                    response.close()
                payload = (
                    _decode_content(response.status_code, data, ctx)
                    if raw
                    else turn.answer(self._decode(response.status_code, data, ctx, require), ctx)
                )
            except E.ZZZError as exc:
                failure = exc
            except _compat.TransportError as exc:  # body read failed mid-way
                failure = error_map.from_transport(exc, ctx, timed_out=_timed_out(exc))
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
    ) -> Reply:
        """Async twin of :meth:`request` (same policy, same decoding)."""
        attempts = self._attempts(repeatable)
        host = attempts.first()
        while True:
            ctx = self._ctx(host, path, method)
            failure: E.ZZZError | None = None
            turn = negotiation.attempt(body, host_of(host))
            try:
                response = await self._asend(method, _site_root(host) if at_root else host, path, turn.sent, ctx, files)
                ctx.headers = response.headers
                try:
                    data = await response.aread()
                finally:
                    await response.aclose()
                payload = (
                    _decode_content(response.status_code, data, ctx)
                    if raw
                    else turn.answer(self._decode(response.status_code, data, ctx, require), ctx)
                )
            except E.ZZZError as exc:
                failure = exc
            except _compat.TransportError as exc:  # body read failed mid-way
                failure = error_map.from_transport(exc, ctx, timed_out=_timed_out(exc))
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
                    if not _is_event_stream(response):
                        yield from self._json_as_stream(response.status_code, response.read(), ctx, sink)
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
                            broken = self._broken(exc, sink, ctx)
                        if broken is not None:
                            raise broken  # outside the except clause: no __context__ holding the request
                        yield from self._end(sink, ctx, done)
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
                    if not _is_event_stream(response):
                        for chunk in self._json_as_stream(response.status_code, await response.aread(), ctx, sink):
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
                            broken = self._broken(exc, sink, ctx)
                        if broken is not None:
                            raise broken  # outside the except clause: no __context__ holding the request
                        for chunk in self._end(sink, ctx, done):
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

    @staticmethod
    def _feed_read(events: list[Any], sink: StreamSink, ctx: ErrorContext) -> tuple[list[Any], bool, E.ZZZError | None]:
        """:meth:`_feed`, with the error returned beside the chunks decoded before it.

        One network read can carry content and then an error event (aiohttp reads
        whatever is buffered); the caller hands that content over before raising, so
        ``partial_content`` and what the user received agree.
        """
        out: list[Any] = []
        try:
            _, done = Transport._feed(events, sink, ctx, out)
        except E.ZZZError as exc:
            return out, True, exc
        return out, done, None

    @staticmethod
    def _feed(
        events: list[Any], sink: StreamSink, ctx: ErrorContext, out: list[Any] | None = None
    ) -> tuple[list[Any], bool]:
        """Turn the SSE events of one network read into chunks (appended to ``out``);
        True once ``[DONE]`` arrives.

        Raises the normalized error for an ``event: error`` or an error frame.
        """
        if out is None:
            out = []
        for event in events:
            data = event.data
            if data == "[DONE]":
                return out, True
            if event.event == "error":
                raise error_map.from_payload(_loads_or_text(data), 200, ctx)
            try:
                payload = json.loads(data)
            except ValueError:
                # Some relays send pings as bare data lines; they carry no content.
                log.debug("skipping a non-JSON SSE data line from %s: %.80r", ctx.host, data)
                continue
            if type(payload) is not dict or error_map.is_error_payload(payload):
                raise error_map.from_payload(payload, 200, ctx)
            try:
                out.extend(sink.feed(payload))
            except error_map.DECODE_ERRORS as exc:
                raise error_map.malformed(payload, 200, ctx, exc) from None
        return out, False

    def _after_stream_failure(self, exc: E.ZZZError, sink: StreamSink, attempts: Attempts) -> Any:
        if sink.delivered:
            if not exc.partial_content:
                exc.partial_content = sink.content_so_far()
            attempts.give_up(exc)
        decision = attempts.next(exc)
        self._log_retry(exc, decision.host, decision.delay, attempts)
        return decision

    def _end(self, sink: StreamSink, ctx: ErrorContext, done: bool) -> list[Any]:
        try:
            tail = sink.finish()
        except error_map.DECODE_ERRORS as exc:
            raise error_map.malformed(None, 200, ctx, exc) from None
        if not done and not sink.saw_finish_reason:
            raise error_map.interrupted(
                ctx, delivered=sink.delivered, partial=sink.content_so_far(), reason="no [DONE] and no finish reason"
            )
        return tail

    def _broken(self, exc: BaseException, sink: StreamSink, ctx: ErrorContext) -> E.ZZZError:
        if _timed_out(exc) and not sink.delivered:
            return error_map.from_transport(exc, ctx, timed_out=True)
        return error_map.interrupted(
            ctx,
            delivered=sink.delivered,
            partial=sink.content_so_far(),
            reason=f"connection broke: {type(exc).__name__}",
        )

    def _json_as_stream(self, status: int, raw: bytes, ctx: ErrorContext, sink: StreamSink) -> list[Any]:
        # A JSON body although stream=true was asked: an error, or a gateway that
        # ignored ``stream``; the latter is replayed as one chunk per choice.
        payload = self._decode(status, raw, ctx, "choices")
        try:
            return sink.feed(_as_delta_payload(payload)) + sink.finish()
        except error_map.DECODE_ERRORS as exc:
            raise error_map.malformed(payload, status, ctx, exc) from None

    # -- sending -------------------------------------------------------------

    def _send(self, method: str, host: str, path: str, body: Any, ctx: ErrorContext, files: Any = None) -> Any:
        try:
            if method == "GET":
                return self.sync_client.get(host + path, cast_to=_compat.Response, options={"headers": _RAW_STREAM})
            return self.sync_client.post(
                host + path, cast_to=_compat.Response, body=body, files=files, options=_options(files)
            )
        except openai.APIStatusError as exc:
            err = self._status_error(exc, ctx)
        except openai.APIConnectionError as exc:  # APITimeoutError included
            err = error_map.from_transport(_shown(exc), ctx, timed_out=_sdk_timed_out(exc))
        # Raised outside the except clauses: ``raise … from None`` would still keep the
        # openai exception as __context__, and its request carries the Authorization header.
        raise err

    async def _asend(self, method: str, host: str, path: str, body: Any, ctx: ErrorContext, files: Any = None) -> Any:
        client = self.async_client
        try:
            if method == "GET":
                return await client.get(host + path, cast_to=_compat.Response, options={"headers": _RAW_STREAM})
            return await client.post(
                host + path, cast_to=_compat.Response, body=body, files=files, options=_options(files)
            )
        except openai.APIStatusError as exc:
            err = self._status_error(exc, ctx)
        except openai.APIConnectionError as exc:  # APITimeoutError included
            err = error_map.from_transport(_shown(exc), ctx, timed_out=_sdk_timed_out(exc))
        # Raised outside the except clauses: ``raise … from None`` would still keep the
        # openai exception as __context__, and its request carries the Authorization header.
        raise err

    def _status_error(self, exc: openai.APIStatusError, ctx: ErrorContext) -> E.ZZZError:
        ctx.headers = exc.response.headers
        try:
            raw = exc.response.content
        except Exception:  # noqa: BLE001 - a body that cannot be read is reported as empty
            raw = b""
        return error_map.from_body(exc.status_code, raw, ctx)

    def _decode(self, status: int, raw: bytes, ctx: ErrorContext, require: str | None) -> Any:
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        if payload is None:
            raise error_map.from_body(status, raw, ctx)
        if error_map.is_error_payload(payload) if isinstance(payload, dict) else not isinstance(payload, list):
            raise error_map.from_payload(payload, status, ctx)
        if require is not None and (not isinstance(payload, dict) or not isinstance(payload.get(require), list)):
            got = sorted(payload)[:8] if isinstance(payload, dict) else type(payload).__name__
            raise error_map.classify(
                status=status,
                code=payload.get("code") if isinstance(payload, dict) else None,
                message=f"the gateway answered without {require!r} (got keys: {got})",
                body=payload,
                ctx=ctx,
            )
        return payload

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


_MULTIPART = {**_RAW_STREAM, "Content-Type": "multipart/form-data"}


def _options(files: Any) -> RequestOptions:
    # With this Content-Type the openai client sends ``body`` as form fields beside the
    # files (as its own ``files.create`` does); the HTTP library adds the boundary.
    return {"headers": _MULTIPART if files is not None else _RAW_STREAM}


def _decode_content(status: int, raw: bytes, ctx: ErrorContext) -> bytes:
    """A file's content as sent, unless the whole answer is one JSON error object."""
    head = raw.lstrip()[:1]
    if head == b"{" and raw.strip().count(b"\n") == 0:  # one line: maybe an error, maybe a one-line file
        try:
            payload = json.loads(raw)
        except ValueError:
            return raw
        if isinstance(payload, dict) and "custom_id" not in payload and error_map.is_error_payload(payload):
            raise error_map.from_payload(payload, status, ctx)
    return raw


def _is_event_stream(response: Any) -> bool:
    return "text/event-stream" in response.headers.get("content-type", "")


def _as_delta_payload(payload: dict[str, Any]) -> dict[str, Any]:
    choices = []
    for choice in payload.get("choices") or []:
        c = dict(choice)
        if "message" in c:
            c["delta"] = c.pop("message")
        choices.append(c)
    out = dict(payload)
    out["choices"] = choices
    return out


def _loads_or_text(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data


def _timed_out(exc: BaseException) -> bool:
    """Whether an HTTP-level failure is a timeout rather than a refused or broken connection.

    openai's aiohttp transport maps every ``aiohttp.ClientConnectionError`` (a refused
    connection, a server that hung up) to ``ConnectTimeout``; the aiohttp exception it
    keeps as ``__cause__`` says what really happened.
    """
    if not isinstance(exc, _compat.TimeoutException):
        return False
    cause = exc.__cause__
    if cause is not None and type(cause).__module__.startswith("aiohttp"):
        return isinstance(cause, (TimeoutError, asyncio.TimeoutError))
    return True


def _sdk_timed_out(exc: openai.APIConnectionError) -> bool:
    cause = exc.__cause__
    if cause is None:
        return isinstance(exc, openai.APITimeoutError)
    return _timed_out(cause)


def _shown(exc: openai.APIConnectionError) -> BaseException:
    """The failure to name in the message: the HTTP library's, or aiohttp's own where
    the HTTP library mislabelled it as a timeout."""
    root = _root(exc)
    if isinstance(root, _compat.TimeoutException) and not _timed_out(root) and root.__cause__ is not None:
        return root.__cause__
    return root


def _root(exc: BaseException) -> BaseException:
    return exc.__cause__ or exc


def _site_root(base_url: str) -> str:
    """``https://h/v1`` -> ``https://h``; a base URL without a version segment is its own root."""
    head, _, last = base_url.rstrip("/").rpartition("/")
    return head if last[:1] == "v" and last[1:2].isdigit() and "://" in head else base_url
