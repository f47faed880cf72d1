"""One streamed call as an object: iterate it for chunks, then ask for the aggregate.

:meth:`Gateway.chat_stream <zzz_core.gateway.Gateway.chat_stream>` and its siblings
return these.  Each is built whole by its constructor, which hands the transport's
retrying stream loop the hooks it calls: a new assembler per attempt (so a retried
stream starts clean) and the answering response's headers.  Nothing is sent until the
first chunk is asked for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar, Protocol

from . import error_map
from .assemblers import ChatStreamAssembler, CompletionStreamAssembler
from .error_map import ErrorContext
from .headers import request_id_of
from .stream_events import StreamSink
from .transport import Transport

__all__ = ["AsyncChatStream", "AsyncCompletionStream", "ChatStream", "CompletionStream"]


class _Assembler(StreamSink, Protocol):
    def result(self, host: str | None = None) -> Any: ...


class _Stream:
    """What every stream shares; the subclasses name their assembler and sync/async loop."""

    __slots__ = ("_iterator", "_sink", "headers", "host")

    _assembler: ClassVar[type[_Assembler]]

    def __init__(self, transport: Transport, path: str, body: dict[str, Any]) -> None:
        self._sink: _Assembler | None = None
        self.host: str | None = None
        """The gateway host answering this stream (after any failover)."""
        self.headers: dict[str, str] = {}
        """The answering response's headers (safe copy), known once the first chunk arrives."""
        self._iterator = self._open(transport, path, body)

    def _open(self, transport: Transport, path: str, body: dict[str, Any]) -> Any:
        return transport.stream(path, body, self._make_sink, self._got_headers)

    @property
    def request_id(self) -> str | None:
        """The gateway's request id of the answering response."""
        return request_id_of(self.headers)

    def _got_headers(self, headers: dict[str, str]) -> None:
        self.headers = headers

    def _make_sink(self, host: str) -> _Assembler:
        # Called by the transport once per attempt, so a retried stream starts clean.
        self.host = host
        self._sink = self._assembler()
        return self._sink

    def __iter__(self) -> Iterator[Any]:
        return self._iterator

    def close(self) -> None:
        self._iterator.close()

    def result(self) -> Any:
        """The aggregate (``ChatResult``/``CompletionResult``) of what was streamed."""
        if self._sink is None:
            raise RuntimeError("the stream has not started; iterate it first")
        try:
            result = self._sink.result(host=self.host)
        except error_map.DECODE_ERRORS as exc:
            raise error_map.malformed(None, 200, ErrorContext(host=self.host), exc) from None
        result.request_id = request_id_of(self.headers)
        result.headers = self.headers
        return result


class _Async(_Stream):
    """Mixin: the same stream driven by the transport's async loop."""

    __slots__ = ()
    _iterator: Any

    def _open(self, transport: Transport, path: str, body: dict[str, Any]) -> Any:
        return transport.astream(path, body, self._make_sink, self._got_headers)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterator

    async def aclose(self) -> None:
        await self._iterator.aclose()


class ChatStream(_Stream):
    """The :class:`~zzz_core.types.ChatChunk` s of one streamed chat; ``result()`` is a ``ChatResult``."""

    __slots__ = ()
    _assembler = ChatStreamAssembler


class CompletionStream(_Stream):
    """The :class:`~zzz_core.types.CompletionChunk` s of one streamed ``/v1/completions`` call;
    ``result()`` is a ``CompletionResult``."""

    __slots__ = ()
    _assembler = CompletionStreamAssembler


class AsyncChatStream(_Async, ChatStream):
    """:class:`ChatStream`, iterated with ``async for``."""

    __slots__ = ()


class AsyncCompletionStream(_Async, CompletionStream):
    """:class:`CompletionStream`, iterated with ``async for``."""

    __slots__ = ()
