"""The per-event logic of a streamed answer, apart from the loop that reads it.

The transport's sync and async stream loops differ only in how they iterate; both hand
each network read's SSE events here and get back the chunks (from the stream's sink, a
decoder of the caller's choice) and whether ``[DONE]`` came.  An error event or frame
inside the stream becomes the normalized error, and a connection that broke, or a stream
that ended without ``[DONE]`` or a finish reason, the error that says so (with what was
already delivered as ``partial_content``).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from . import error_map
from . import errors as E
from .error_map import ErrorContext
from .response_bodies import decode, timed_out

__all__ = [
    "StreamSink",
    "as_delta_payload",
    "broken",
    "end",
    "feed",
    "feed_read",
    "is_event_stream",
    "json_as_stream",
]

log = logging.getLogger("zzz_core")


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


def feed_read(events: list[Any], sink: StreamSink, ctx: ErrorContext) -> tuple[list[Any], bool, E.ZZZError | None]:
    """:func:`feed`, with the error returned beside the chunks decoded before it.

    One network read can carry content and then an error event (aiohttp reads
    whatever is buffered); the caller hands that content over before raising, so
    ``partial_content`` and what the user received agree.
    """
    out: list[Any] = []
    try:
        _, done = feed(events, sink, ctx, out)
    except E.ZZZError as exc:
        return out, True, exc
    return out, done, None


def feed(
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


def end(sink: StreamSink, ctx: ErrorContext, done: bool) -> list[Any]:
    """The sink's last chunks; a stream without ``[DONE]`` and without a finish reason was cut."""
    try:
        tail = sink.finish()
    except error_map.DECODE_ERRORS as exc:
        raise error_map.malformed(None, 200, ctx, exc) from None
    if not done and not sink.saw_finish_reason:
        raise error_map.interrupted(
            ctx, delivered=sink.delivered, partial=sink.content_so_far(), reason="no [DONE] and no finish reason"
        )
    return tail


def broken(exc: BaseException, sink: StreamSink, ctx: ErrorContext) -> E.ZZZError:
    """The error for a connection that failed while the stream was read."""
    if timed_out(exc) and not sink.delivered:
        return error_map.from_transport(exc, ctx, timed_out=True)
    return error_map.interrupted(
        ctx,
        delivered=sink.delivered,
        partial=sink.content_so_far(),
        reason=f"connection broke: {type(exc).__name__}",
    )


def json_as_stream(status: int, raw: bytes, ctx: ErrorContext, sink: StreamSink) -> list[Any]:
    """The chunks of a JSON body that came although ``stream=true`` was asked."""
    # An error, or a gateway that ignored ``stream``; the latter is replayed as one chunk per choice.
    payload = decode(status, raw, ctx, "choices")
    try:
        return sink.feed(as_delta_payload(payload)) + sink.finish()
    except error_map.DECODE_ERRORS as exc:
        raise error_map.malformed(payload, status, ctx, exc) from None


def is_event_stream(response: Any) -> bool:
    """Whether the answer is an SSE stream (else a JSON body)."""
    return "text/event-stream" in response.headers.get("content-type", "")


def as_delta_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A whole chat answer shaped as one stream event (each ``message`` as a ``delta``)."""
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
