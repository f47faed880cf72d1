"""In-process transport: the simulator without sockets.

``GatewaySimulator.transport()`` returns a transport for ``httpx2`` (what openai 3.x
sends through) or, with ``kind="httpx"``, for ``httpx``.  It calls the same dispatch as
the socket server, so recording, faults and answers are identical; the differences are
only what cannot exist without a socket:

* ``Sleep`` pieces and delays are skipped unless ``sleep=True``;
* a dropped stream raises the library's ``RemoteProtocolError`` mid-body, a reset
  connection raises ``ReadError`` before any response.

The HTTP library is imported lazily, on first use.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from .handlers import SimRequest, SimResponse
from .streams import Drop, Sleep

__all__ = ["SimulatorTransport"]

_DROPPED = "peer closed connection without sending complete message body (incomplete chunked read)"
_RESET = "[Errno 104] Connection reset by peer"


@cache
def _classes(kind: str) -> tuple[Any, type, type]:
    if kind not in ("httpx", "httpx2"):
        raise ValueError(f"kind must be 'httpx' or 'httpx2', not {kind!r}")
    lib = importlib.import_module(kind)

    # lib is httpx or httpx2, chosen at run time: its classes are no names mypy can follow.
    class Pieces(lib.SyncByteStream, lib.AsyncByteStream):  # type: ignore[name-defined]
        def __init__(self, body: Iterable[Any], sleep: bool) -> None:
            self._body, self._sleep = body, sleep

        def __iter__(self) -> Any:
            for piece in self._body:
                if isinstance(piece, (bytes, bytearray)):
                    yield bytes(piece)
                elif isinstance(piece, Sleep):
                    if self._sleep:
                        time.sleep(piece.seconds)
                elif isinstance(piece, Drop):
                    raise lib.RemoteProtocolError(_DROPPED)

        async def __aiter__(self) -> Any:
            for piece in self._body:
                if isinstance(piece, (bytes, bytearray)):
                    yield bytes(piece)
                elif isinstance(piece, Sleep):
                    if self._sleep:
                        await asyncio.sleep(piece.seconds)
                elif isinstance(piece, Drop):
                    raise lib.RemoteProtocolError(_DROPPED)

    class Transport(lib.BaseTransport, lib.AsyncBaseTransport):  # type: ignore[name-defined]
        """Answers requests by calling the simulator's dispatch directly."""

        def __init__(self, dispatch: Callable[[SimRequest], SimResponse], sleep: bool = False) -> None:
            self._dispatch, self._sleep = dispatch, sleep

        def _call(self, request: Any) -> SimResponse:
            url = request.url
            headers = {k.lower(): v for k, v in request.headers.items()}
            query = url.query.decode("ascii") if isinstance(url.query, bytes) else str(url.query)
            return self._dispatch(SimRequest(request.method, url.path, headers, request.content, query))

        def _response(self, resp: SimResponse, request: Any) -> Any:
            if resp.reset:
                raise lib.ReadError(_RESET, request=request)
            if isinstance(resp.body, (bytes, bytearray)):
                return lib.Response(resp.status, headers=resp.headers, content=bytes(resp.body), request=request)
            headers = [*resp.headers, ("Transfer-Encoding", "chunked")]
            return lib.Response(resp.status, headers=headers, stream=Pieces(resp.body, self._sleep), request=request)

        def handle_request(self, request: Any) -> Any:
            request.read()
            resp = self._call(request)
            if resp.delay and self._sleep:
                time.sleep(resp.delay)
            return self._response(resp, request)

        async def handle_async_request(self, request: Any) -> Any:
            await request.aread()
            resp = self._call(request)
            if resp.delay and self._sleep:
                await asyncio.sleep(resp.delay)
            return self._response(resp, request)

    return lib, Pieces, Transport


def SimulatorTransport(  # noqa: N802 - a factory standing in for the per-library class
    dispatch: Callable[[SimRequest], SimResponse], *, kind: str = "httpx2", sleep: bool = False
) -> Any:
    """A sync-and-async transport for ``kind`` ("httpx2" or "httpx") calling ``dispatch``."""
    return _classes(kind)[2](dispatch, sleep)
