"""A minimal, fast OpenAI-compatible server for the benchmarks (standard library only).

Why not the simulator: the simulator synthesizes grounded answers, checks keys,
injects faults and computes embeddings by feature hashing, which is right for
tests and wrong for a benchmark, where the server must cost next to nothing so
that what is timed is the client.  This server answers from pre-rendered bytes:

* ``POST /v1/chat/completions`` -- a tiny completion, or with ``"stream": true`` an
  SSE stream of ``X-ZZZ-Stream-Chunks: N`` content chunks (default 20), each event
  written as its own HTTP chunk (``Transfer-Encoding: chunked``), as the simulator
  and the real relays do: a role chunk, N one-word content chunks, a finish chunk,
  the usage chunk when ``stream_options.include_usage`` asks for it, ``[DONE]``.
* ``POST /v1/embeddings`` -- one vector per input (``dimensions``, default 1536),
  as float JSON, or base64 when ``encoding_format: "base64"`` is asked and the
  server was not started with ``--no-base64`` (then it answers floats, like a
  relay that ignores the field).
* ``POST /v1/rerank`` -- new-api's Jina-format answer for the documents sent (``top_n``
  honoured), scores falling with the index.
* Per-request load shaping for the bulk case, by header (a client sets them as default
  headers): ``X-Bench-Delay: S`` answers after S seconds (a first byte as a real model's);
  ``X-Bench-Cap: N`` answers 429 + ``Retry-After`` to a chat request beyond N in flight (a
  saturated group); ``X-Bench-Throttle: P`` answers that 429 to a random share P of them;
  ``X-Bench-Retry-After: S`` is its ``Retry-After`` (default 1).
* ``GET /v1/models`` and ``GET /_bench/stats`` (requests per path and this
  process's CPU seconds, so the runner can check the server was never the
  bottleneck).

Run as ``python benchmarks/server.py --port 0``: it prints its base URL
(``http://127.0.0.1:PORT/v1``) on the first line of stdout, then serves until
its stdin closes or it is terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import json
import os
import random
import struct
import sys
import threading
from typing import Any

CREATED = 1735689600
WORDS = (
    "The quick brown fox jumps over the lazy dog while the relay streams one token "
    "after another so that we can measure what each adapter adds on top of the wire "
    "智增增 网关 每秒 输出 很多 词"
).split()
REPLY = "Hello! How can I help you today?"
_VECTORS = 8  # distinct vectors, cycled


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _http_chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class Renderer:
    """Pre-rendered response bytes, cached per shape."""

    def __init__(self, honour_base64: bool = True) -> None:
        self.honour_base64 = honour_base64
        self._streams: dict[tuple[int, bool, str], bytes] = {}
        self._replies: dict[str, bytes] = {}
        self._vectors: dict[tuple[int, bool], list[bytes]] = {}
        self._cache: dict[tuple[object, ...], bytes] = {}

    # -- chat ------------------------------------------------------------------
    def reply(self, model: str) -> bytes:
        hit = self._replies.get(model)
        if hit is None:
            body = _dumps({
                "id": "chatcmpl-bench", "object": "chat.completion", "created": CREATED, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": REPLY, "refusal": None},
                             "logprobs": None, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18,
                          "prompt_tokens_details": {"cached_tokens": 0}},
                "system_fingerprint": "fp_bench",
            })  # fmt: skip
            hit = _head(200, "application/json", len(body)) + body
            if len(self._replies) < 64:
                self._replies[model] = hit
        return hit

    def stream(self, n: int, usage: bool, model: str) -> bytes:
        key = (n, usage, model)
        hit = self._streams.get(key)
        if hit is None:
            hit = self._render_stream(n, usage, model)
            if len(self._streams) > 16:
                self._streams.clear()
            self._streams[key] = hit
        return hit

    def _render_stream(self, n: int, usage: bool, model: str) -> bytes:
        base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": CREATED, "model": model,
                "system_fingerprint": "fp_bench"}  # fmt: skip

        def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
            return b"data: " + _dumps({**base, "choices": choices, **extra}) + b"\n\n"

        def choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}

        slot = "\x00slot\x00"
        left, right = event([choice({"content": slot})]).split(_dumps(slot))
        rendered = {w: _http_chunk(left + _dumps(w + " ") + right) for w in WORDS}
        parts = [
            _head(200, "text/event-stream", None),
            _http_chunk(event([choice({"role": "assistant", "content": ""})])),
        ]
        parts.extend(rendered[WORDS[k % len(WORDS)]] for k in range(n))
        parts.append(_http_chunk(event([choice({}, "stop")])))
        if usage:
            parts.append(
                _http_chunk(event([], usage={"prompt_tokens": 9, "completion_tokens": n, "total_tokens": 9 + n}))
            )
        parts.append(_http_chunk(b"data: [DONE]\n\n"))
        parts.append(b"0\r\n\r\n")
        return b"".join(parts)

    # -- embeddings ------------------------------------------------------------
    def rerank(self, n: int, top_n: int | None) -> bytes:
        key = ("rerank", n, top_n)
        if key not in self._cache:
            self._cache[key] = _rerank_body(n, top_n)
        return self._cache[key]

    def embeddings(self, inputs: int, dims: int, b64: bool, model: str) -> bytes:
        # The whole answer is kept, like rerank's: a pack of 256 float vectors is 870 KB, and
        # building it for every request cost this server as much CPU as a client's parsing.
        whole = ("embeddings", inputs, dims, b64, model)
        if whole not in self._cache:
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[whole] = self._embeddings(inputs, dims, b64, model)
        return self._cache[whole]

    def _embeddings(self, inputs: int, dims: int, b64: bool, model: str) -> bytes:
        key = (dims, b64)
        vectors = self._vectors.get(key)
        if vectors is None:
            vectors = self._vectors[key] = [_vector(k, dims, b64) for k in range(_VECTORS)]
        items = b",".join(
            b'{"object":"embedding","index":%d,"embedding":%s}' % (i, vectors[i % _VECTORS]) for i in range(inputs)
        )
        tail = _dumps({"model": model, "usage": {"prompt_tokens": 4 * inputs, "total_tokens": 4 * inputs}})
        body = b'{"object":"list","data":[' + items + b"]," + tail[1:]
        return _head(200, "application/json", len(body)) + body


def _rerank_body(n: int, top_n: int | None) -> bytes:
    # new-api's Jina format; scores fall with the index, so the order is the input order.
    results = [{"index": i, "relevance_score": round(0.99 - i / (2 * n), 6)} for i in range(n)][: top_n or n]
    tokens = 12 * n
    return _json_response(200, {"results": results, "usage": {"prompt_tokens": tokens, "completion_tokens": 0,
                                                               "total_tokens": tokens}})  # fmt: skip


def _vector(seed: int, dims: int, b64: bool) -> bytes:
    rng = random.Random(seed)
    raw = [rng.gauss(0.0, 1.0) for _ in range(dims)]
    norm = sum(v * v for v in raw) ** 0.5 or 1.0
    values = struct.unpack(f"<{dims}f", struct.pack(f"<{dims}f", *(v / norm for v in raw)))
    if b64:
        return b'"' + base64.b64encode(struct.pack(f"<{dims}f", *values)) + b'"'
    return b"[" + b",".join(b"%.10f" % v for v in values) + b"]"


def _head(status: int, ctype: str, length: int | None, reason: str = "OK") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {ctype}", "Connection: keep-alive"]
    if length is None:
        lines += ["Transfer-Encoding: chunked", "Cache-Control: no-cache"]
    else:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _json_response(status: int, obj: Any, reason: str = "OK") -> bytes:
    body = _dumps(obj)
    return _head(status, "application/json", len(body), reason) + body


class Stats:
    def __init__(self) -> None:
        self.requests: collections.Counter[str] = collections.Counter()
        self.connections = 0
        self.opened = 0
        self.in_flight = 0
        self.throttled = 0

    def as_json(self) -> bytes:
        t = os.times()
        return _json_response(200, {"requests": dict(self.requests), "connections": self.connections,
                                    "opened": self.opened, "cpu": t.user + t.system, "pid": os.getpid(),
                                    "throttled": self.throttled})  # fmt: skip


class HTTPProtocol(asyncio.Protocol):
    """HTTP/1.1 keep-alive, Content-Length or chunked request bodies; one response per request."""

    __slots__ = ("buf", "renderer", "stats", "transport")

    def __init__(self, renderer: Renderer, stats: Stats) -> None:
        self.renderer = renderer
        self.stats = stats
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.stats.connections += 1
        self.stats.opened += 1

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while self.buf:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
            method, target, _ = head[0].split(" ", 2)
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            start = end + 4
            if "chunked" in headers.get("transfer-encoding", "").lower():
                parsed = _dechunk(self.buf, start)
                if parsed is None:
                    return
                body, used = parsed
                del self.buf[:used]
            else:
                length = int(headers.get("content-length") or 0)
                if len(self.buf) < start + length:
                    return
                body = bytes(self.buf[start : start + length])
                del self.buf[: start + length]
            self.respond(method, target.partition("?")[0], headers, body)

    def respond(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        assert self.transport is not None
        self.stats.requests[path] += 1
        out = self._shaped(path, headers)
        throttled = out is not None  # a relay turns a request away at once
        if out is None:
            try:
                out = self._answer(method, path, headers, body)
            except Exception as exc:  # noqa: BLE001 - a benchmark server answers 400, never dies
                error = {"message": f"{type(exc).__name__}: {exc}", "type": "invalid_request_error"}
                out = _json_response(400, {"error": error}, "Bad Request")
        delay = float(headers.get("x-bench-delay") or 0)
        if delay > 0 and not throttled:
            self.stats.in_flight += 1
            asyncio.get_running_loop().call_later(delay, self._send, out, headers, True)
        else:
            self._send(out, headers, False)

    def _send(self, out: bytes, headers: dict[str, str], delayed: bool) -> None:
        if delayed:
            self.stats.in_flight -= 1
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(out)
        if headers.get("connection", "").lower() == "close":
            self.transport.close()

    def _shaped(self, path: str, headers: dict[str, str]) -> bytes | None:
        """The 429 of the load-shaping headers (see the module docstring), or None."""
        if not path.rstrip("/").endswith("/chat/completions"):
            return None
        cap = int(headers.get("x-bench-cap") or 0)
        share = float(headers.get("x-bench-throttle") or 0)
        if (cap and self.stats.in_flight >= cap) or (share and random.random() < share):
            self.stats.throttled += 1
            error = {
                "message": "当前分组上游负载已饱和，请稍后再试",
                "type": "rate_limit_error",
                "code": "rate_limit_exceeded",
            }
            data = _dumps({"error": error})
            retry_after = headers.get("x-bench-retry-after") or "1"
            return (
                _head(429, "application/json", len(data), "Too Many Requests")[:-2]
                + f"Retry-After: {retry_after}\r\n\r\n".encode()
                + data
            )
        return None

    def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
        path = path.rstrip("/")
        if method == "POST" and path.endswith("/chat/completions"):
            req = json.loads(body)
            model = str(req.get("model") or "gpt-4o-mini")
            if req.get("stream") is True:
                n = int(headers.get("x-zzz-stream-chunks") or 20)
                usage = bool((req.get("stream_options") or {}).get("include_usage"))
                return self.renderer.stream(max(1, n), usage, model)
            return self.renderer.reply(model)
        if method == "POST" and path.endswith("/embeddings"):
            req = json.loads(body)
            inputs = req.get("input")
            count = (
                1
                if isinstance(inputs, str) or (isinstance(inputs, list) and inputs and isinstance(inputs[0], int))
                else len(inputs)
            )
            dims = int(req.get("dimensions") or 1536)
            asked = req.get("encoding_format") or "float"
            self.stats.requests["enc:" + str(asked)] += 1
            b64 = asked == "base64" and self.renderer.honour_base64
            return self.renderer.embeddings(count, dims, b64, str(req.get("model") or "text-embedding-3-small"))
        if method == "POST" and path.endswith("/rerank"):
            req = json.loads(body)
            return self.renderer.rerank(len(req["documents"]), req.get("top_n"))
        if method == "GET" and path.endswith("/models"):
            return _json_response(200, {"object": "list", "data": [
                {"id": "gpt-4o-mini", "object": "model", "created": CREATED, "owned_by": "openai"}]})  # fmt: skip
        if path == "/_bench/stats":
            return self.stats.as_json()
        return _json_response(404, {"error": {"message": f"no route {method} {path}", "type": "invalid_request_error"}},
                              "Not Found")  # fmt: skip

    def connection_lost(self, exc: Exception | None) -> None:
        self.stats.connections -= 1


def _dechunk(buf: bytearray, pos: int) -> tuple[bytes, int] | None:
    parts = []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(bytes(buf[pos:eol]).split(b";")[0], 16)
        pos = eol + 2
        if size == 0:
            if buf[pos : pos + 2] == b"\r\n":
                return b"".join(parts), pos + 2
            trailer = buf.find(b"\r\n\r\n", pos)
            return (b"".join(parts), trailer + 4) if trailer >= 0 else None
        if len(buf) < pos + size + 2:
            return None
        parts.append(bytes(buf[pos : pos + size]))
        pos += size + 2


async def serve(host: str, port: int, honour_base64: bool, ready: Any = None) -> None:
    loop = asyncio.get_running_loop()
    renderer, stats = Renderer(honour_base64), Stats()
    server = await loop.create_server(
        lambda: HTTPProtocol(renderer, stats), host, port, backlog=4096, reuse_address=True
    )
    port = server.sockets[0].getsockname()[1]
    if ready is not None:
        ready(f"http://{host}:{port}/v1")
    stop = asyncio.Event()
    # End when stdin closes (the runner died or is done) as well as on a signal.
    threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set)), daemon=True).start()
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-base64", action="store_true", help="answer floats even when base64 is asked")
    args = parser.parse_args(argv)

    def ready(url: str) -> None:
        print(url, flush=True)

    asyncio.run(serve(args.host, args.port, not args.no_base64, ready))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
