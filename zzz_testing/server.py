"""The simulator's HTTP/1.1 server and its public face, :class:`GatewaySimulator`.

An ``asyncio`` server in a background thread, bound to 127.0.0.1 on a free port:
keep-alive, ``Content-Length`` for JSON, ``Transfer-Encoding: chunked`` for SSE with each
event written as soon as it is made.  No per-request logging.  All behaviour lives in
``handlers.handle``; this module only adapts it to sockets and keeps the records.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .accounts import AccountLimits
from .batches import BatchStore
from .faults import DIALECTS, Fault
from .handlers import SimConfig, SimRequest, SimResponse, _json, handle, route
from .rejections import IGNORING_RULES, REJECTION_RULES, ignoring, rejection
from .replay import Replay
from .streams import Drop, Sleep

__all__ = ["GatewaySimulator", "RecordedRequest"]

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
            404: "Not Found", 413: "Payload Too Large", 429: "Too Many Requests",
            500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout"}  # fmt: skip
_SECRET_HEADERS = ("authorization", "api-key", "x-api-key", "x-goog-api-key")


def _redact(value: str) -> str:
    scheme, _, secret = value.partition(" ")
    if not secret:
        scheme, secret = "", value
    shown = f"{secret[:3]}…{secret[-4:]}" if len(secret) >= 12 else "***"
    return f"{scheme} {shown}".strip()


@dataclass(slots=True)
class RecordedRequest:
    """A request the simulator received; secret headers are redacted."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    time: float
    ok: bool | None = None
    """True once the gateway answered it successfully (a model route, HTTP 200, no fault,
    within the balance and the concurrency cap)."""

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass(slots=True)
class _Queued:
    fault: Fault
    remaining: int | None
    path: str | None
    model: str | None


@dataclass(slots=True)
class _State:
    server: asyncio.base_events.Server | None = None
    conns: set[asyncio.StreamWriter] = field(default_factory=set)


class GatewaySimulator:
    """A fake 智增增 / new-api gateway on 127.0.0.1 (see the package docstring).

    Use as a context manager or call :meth:`start` / :meth:`stop`.  ``zzz_quirks=True``
    (zhizengzeng dialect only) makes success bodies and stream chunks of chat,
    completions and embeddings carry ``"id": ""`` and ``"model": null``, as 智增增 was
    seen to send for some models (gateway-facts §1.2).  ``/v1/rerank`` is served in the
    ``newapi`` dialect and is a 404 in the ``zhizengzeng`` one (智增增 documents no rerank)
    unless ``rerank=True``; ``rerank_max_documents`` limits the documents per request
    (see :mod:`zzz_testing.rerank`).  ``replay=FILE`` answers with the recorded answers of a
    ``zzz capture`` file instead (see :mod:`zzz_testing.replay`); ``api_keys`` then picks who
    gets the bad-key probe's answer.
    """

    def __init__(
        self,
        dialect: str = "zhizengzeng",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_keys: list[str] | None = None,
        reasoning_field: str = "reasoning_content",
        chunk_chars: int = 4,
        tool_delta_style: str = "standard",
        keepalive_comments: bool = False,
        crlf: bool = False,
        honour_base64: bool = True,
        envelope_success_extras: bool = True,
        zzz_quirks: bool = False,
        latency: float = 0.0,
        record_requests: bool = True,
        rerank: bool | None = None,
        rerank_max_documents: int | None = None,
        replay: str | os.PathLike[str] | None = None,
    ) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"dialect must be one of {DIALECTS}, not {dialect!r}")
        if reasoning_field not in ("reasoning_content", "reasoning", "both", "think_tags"):
            raise ValueError(f"unknown reasoning_field {reasoning_field!r}")
        if tool_delta_style not in ("standard", "no_index", "repeat_id", "whole"):
            raise ValueError(f"unknown tool_delta_style {tool_delta_style!r}")
        self.config = SimConfig(
            dialect=dialect, api_keys=frozenset(api_keys) if api_keys is not None else None,
            reasoning_field=reasoning_field, chunk_chars=chunk_chars, tool_delta_style=tool_delta_style,
            keepalive_comments=keepalive_comments, crlf=crlf, honour_base64=honour_base64,
            envelope_success_extras=envelope_success_extras, zzz_quirks=zzz_quirks, latency=latency,
            rerank=rerank, rerank_max_documents=rerank_max_documents,
        )  # fmt: skip
        self.host = host
        self.port = port
        self.record_requests = record_requests
        self.requests: list[RecordedRequest] = []
        self._counts: collections.Counter[str] = collections.Counter()
        self._faults: list[_Queued] = []
        self._rejects: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._state = _State()
        self._down = False
        self.limits = AccountLimits()
        """Balance in successful answers and a concurrency cap (see :mod:`zzz_testing.accounts`)."""
        self.config.batch_line_fault = self._take_fault  # queued faults apply to batch lines too
        self.replay = Replay.from_file(replay) if replay is not None else None

    # ----------------------------------------------------------------- settings
    @property
    def dialect(self) -> str:
        return self.config.dialect

    @property
    def balance(self) -> float:
        """Remaining balance reported by the billing routes (settable)."""
        return self.config.balance

    @balance.setter
    def balance(self, value: float) -> None:
        self.config.balance = float(value)

    @property
    def used(self) -> float:
        """Amount already used (new-api's ``total_usage`` / 100; settable)."""
        return self.config.used

    @used.setter
    def used(self, value: float) -> None:
        self.config.used = float(value)

    @property
    def batches(self) -> BatchStore:
        """The Batch API's files and jobs (智增增 dialect); ``batches.timing`` sets how long
        each stage takes in simulated seconds."""
        return self.config.batches

    def advance_batches(self, seconds: float) -> None:
        """Move the batch jobs' simulated clock on by ``seconds`` (no test has to sleep)."""
        self.config.batches.advance(seconds)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    # ------------------------------------------------------------ records/faults
    def clear_requests(self) -> None:
        self.requests.clear()
        self._counts.clear()

    def count(self, path_suffix: str | None = None) -> int:
        """Requests received so far, optionally only those whose path ends so."""
        counts = dict(self._counts)
        if path_suffix is None:
            return sum(counts.values())
        return sum(v for k, v in counts.items() if k.endswith(path_suffix))

    def inject(self, fault: Fault | str, times: int | None = 1, path: str | None = None,
               model: str | None = None) -> None:  # fmt: skip
        """Queue ``fault`` for the next ``times`` matching requests (None: until cleared).

        ``path`` matches a path suffix (``"/chat/completions"``), ``model`` the body's
        model.  Stream faults only match streaming requests.
        """
        fault = Fault.parse(fault) if isinstance(fault, str) else fault
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        with self._lock:
            self._faults.append(_Queued(fault, times, path, model))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, req: SimRequest) -> Fault | None:
        if not self._faults or "x-zzz-fault" in req.headers:
            return None
        if route(req, self.config)[0] is None:
            return None  # a 404 for an unknown route must not use up a queued fault
        body = req.json()
        stream = isinstance(body, dict) and body.get("stream") is True
        model = body.get("model") if isinstance(body, dict) else None
        with self._lock:
            for q in self._faults:
                if q.path is not None and not req.path.rstrip("/").endswith(q.path.rstrip("/")):
                    continue
                if (q.model is not None and q.model != model) or (q.fault.stream_only and not stream):
                    continue
                if q.remaining is not None:
                    q.remaining -= 1
                    if q.remaining <= 0:
                        self._faults.remove(q)
                return q.fault
        return None

    def dispatch(self, req: SimRequest) -> SimResponse:
        """Record ``req``, pick its fault and answer it (used by server and transport)."""
        self._counts[req.path] += 1
        record = None
        if self.record_requests:
            headers = {k: (_redact(v) if k in _SECRET_HEADERS else v) for k, v in req.headers.items()}
            record = RecordedRequest(req.method, req.path, headers, req.json(), time.time())
            self.requests.append(record)
        if self.replay is not None:
            return self.replay.answer(req, self.config.api_keys)
        resp = self.limits.before(req, self.config)
        if resp is not None:
            return resp
        body = req.json()
        model = body.get("model") if isinstance(body, dict) else None
        rules = self._rejects.get(model) if isinstance(model, str) else None
        rejected = rejection(rules, body, self.config.dialect) if rules else None
        if rejected is not None:
            return _json(*rejected, self.config)
        acted = ignoring(rules, body) if rules else None
        if acted is not None:  # the model answers as if part of the request had not been sent
            req = SimRequest(req.method, req.path, req.headers, json.dumps(acted).encode(), req.query)
        fault = self._take_fault(req)
        resp = handle(req, self.config, fault)
        ok = fault is None and self.limits.after(req, resp)
        if record is not None:
            record.ok = ok
        return resp

    def reject(self, model: str, *rules: str) -> None:
        """Make ``model`` answer 400 to the parameters ``rules`` name, with the real gateways'
        messages, ``param`` and ``code``, or ignore what an ignoring rule names (``ignores_tools``;
        see :mod:`zzz_testing.rejections`)."""
        unknown = [r for r in rules if r not in REJECTION_RULES and r not in IGNORING_RULES]
        if unknown:
            known = sorted([*REJECTION_RULES, *IGNORING_RULES])
            raise ValueError(f"unknown rejection rule(s) {unknown}; use some of {known}")
        self._rejects[model] = [*self._rejects.get(model, []), *rules]

    def clear_rejections(self) -> None:
        self._rejects.clear()

    def set_credits(self, successes: int | None) -> None:
        """Let the balance run out after ``successes`` more successful model answers
        (``None``: never).  :meth:`top_up` is the same, named for what the user does."""
        self.limits.credits = successes

    top_up = set_credits

    def set_max_in_flight(self, n: int | None, retry_after: float = 0.5) -> None:
        """Answer 429 + ``Retry-After`` to requests beyond ``n`` at once (``None``: no cap)."""
        self.limits.max_in_flight = n
        self.limits.retry_after = retry_after

    def transport(self, kind: str = "httpx2", *, sleep: bool = False) -> Any:
        """An in-process transport (``httpx2`` or ``httpx``) answering like the server."""
        from .transport import SimulatorTransport

        return SimulatorTransport(self.dispatch, kind=kind, sleep=sleep)

    # ---------------------------------------------------------------- lifecycle
    def __enter__(self) -> GatewaySimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> GatewaySimulator:
        """Bind and serve in a background thread; returns ``self``."""
        if self._thread is not None:
            return self
        self._down = False
        loop = asyncio.new_event_loop()
        ready: list[BaseException | None] = []
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.set_exception_handler(_quiet)
            try:
                loop.run_until_complete(self._listen())
                ready.append(None)
            except BaseException as exc:  # noqa: BLE001 - reported to start()
                ready.append(exc)
                loop.close()
                started.set()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._close_all())
            pending = asyncio.all_tasks(loop)
            if pending:  # aborted connections end by themselves; sleeping ones are cancelled
                loop.run_until_complete(asyncio.wait(pending, timeout=0.25))
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name=f"zzz-simulator-{self.port}", daemon=True)
        self._thread.start()
        started.wait()
        if ready and ready[0] is not None:
            self._thread.join()
            self._thread = self._loop = None
            raise ready[0]
        return self

    def stop(self) -> None:
        """Close every connection and the listener and end the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._loop = self._thread = None
        self._down = False

    def set_down(self, down: bool = True) -> None:
        """While down, the port refuses connections; coming back rebinds the same port."""
        if self._loop is None or down == self._down:
            self._down = down
            return
        coro = self._close_all() if down else self._listen()
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)
        self._down = down

    @property
    def is_down(self) -> bool:
        return self._down

    # ------------------------------------------------------------------ asyncio
    async def _listen(self) -> None:
        server = await asyncio.start_server(
            self._serve, self.host, self.port, reuse_address=True, backlog=4096, limit=1 << 20
        )
        self.port = server.sockets[0].getsockname()[1]
        self._state.server = server

    async def _close_all(self) -> None:
        server, self._state.server = self._state.server, None
        if server is not None:
            server.close()
        for writer in list(self._state.conns):
            _reset(writer)
        self._state.conns.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conns = self._state.conns
        conns.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                try:
                    method, target, version = lines[0].split(" ", 2)
                except ValueError:
                    writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    return
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                if headers.get("expect", "").lower() == "100-continue":
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                length = headers.get("content-length")
                if length:
                    body = await reader.readexactly(int(length))
                elif "chunked" in headers.get("transfer-encoding", "").lower():
                    body = await _read_chunked(reader)
                else:
                    body = b""
                path, _, query = target.partition("?")
                conn = headers.get("connection", "").lower()
                keep = conn != "close" if version == "HTTP/1.1" else conn == "keep-alive"
                self.limits.enter()
                try:
                    resp = self.dispatch(SimRequest(method, path, headers, body, query))
                    written = await _write(writer, resp, keep)
                finally:
                    self.limits.leave()
                if not written or not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            conns.discard(writer)
            if not writer.transport.is_closing():
                writer.close()


def _quiet(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Ignore what closing connections under a client raises; report anything else."""
    if not isinstance(context.get("exception"), (asyncio.CancelledError, ConnectionError)):
        loop.default_exception_handler(context)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST rather than FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


async def _write(writer: asyncio.StreamWriter, resp: SimResponse, keep: bool) -> bool:
    """Send one response; False when the connection must not be reused."""
    if resp.delay:
        await asyncio.sleep(resp.delay)
    if resp.reset:
        _reset(writer)
        return False
    head = [f"HTTP/1.1 {resp.status} {_REASONS.get(resp.status, 'Status')}"]
    head += [f"{k}: {v}" for k, v in resp.headers]
    head.append("Server: zzz-simulator")
    head.append("Connection: keep-alive" if keep else "Connection: close")
    body = resp.body
    if isinstance(body, (bytes, bytearray)):
        head.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("utf-8") + body)
        await writer.drain()
        return True
    head.append("Transfer-Encoding: chunked")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("utf-8"))
    await writer.drain()
    transport = writer.transport
    n = 0
    for piece in body:
        if transport.is_closing():
            return False
        if isinstance(piece, (bytes, bytearray)):
            transport.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            n += 1
            if n % 64 == 0 or transport.get_write_buffer_size() > 65536:
                await writer.drain()
                await asyncio.sleep(0)
        elif isinstance(piece, Sleep):
            await writer.drain()
            await asyncio.sleep(piece.seconds)
        elif isinstance(piece, Drop):
            await writer.drain()
            transport.close()
            return False
    transport.write(b"0\r\n\r\n")
    await writer.drain()
    return True
