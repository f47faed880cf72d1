"""``Gateway``: every call both skins make, sync and async, in one object.

The skins build a request body with :mod:`zzz_core.params`, hand it to a
``Gateway`` and convert what comes back (the dataclasses of
:mod:`zzz_core.types`) into their framework's types::

    >>> from zzz_core import Gateway, build_chat_request
    >>> gw = Gateway.from_settings(api_key="sk-demo", base_url=sim.base_url)  # doctest: +SKIP
    >>> body = build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hi"}])  # doctest: +SKIP
    >>> gw.chat(body).choices[0].content  # doctest: +SKIP

One ``Gateway`` (and so one connection pool) is shared by every object built
with the same configuration: :meth:`Gateway.for_config`.

A ``Gateway`` is a context manager: ``with`` closes its connection pool on leaving
(``async with`` closes the running event loop's async pool), also when the block
raises.  Closing is not final: the next call opens a new pool, so closing a shared
``Gateway`` never breaks the other objects using it::

    >>> with Gateway.from_settings(api_key="sk-demo", base_url=sim.base_url) as gw:  # doctest: +SKIP
    ...     print(gw.models()[0].id)
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any

from . import error_map
from . import errors as E
from .bulk.limiter import AsyncAdaptiveLimiter, ConcurrencyLimiter
from .bulk.turns import RATE_LIMIT_PATIENCE, large_input, turn
from .config import ZZZConfig
from .decode import (  # the balance decoders moved to decode.py; still importable from here
    balance_from_credit_grants,  # noqa: F401
    balance_from_subscription,  # noqa: F401
    parse_chat_response,
    parse_completion_response,
    parse_embedding_response,
    parse_models,
    parse_rerank_response,
)
from .error_map import ErrorContext
from .presets import balance_apis_for
from .profiles import get_profile
from .rerank import RERANK_PATH, RerankBatch, RerankPlan, merge_rerank, plan_rerank
from .retry import rate_limit_patience as outer_patience
from .streams import AsyncChatStream, AsyncCompletionStream, ChatStream, CompletionStream
from .transport import Reply, Transport
from .types import Balance, ChatResult, CompletionResult, EmbeddingResult, ModelInfo, RerankResult, Usage

if TYPE_CHECKING:  # pragma: no cover
    from .bulk.batch import BatchClient

__all__ = [
    "CHAT_PATH",
    "COMPLETIONS_PATH",
    "DEFAULT_EMBED_BATCH",
    "DEFAULT_EMBED_CONCURRENCY",
    "EMBEDDINGS_PATH",
    "AsyncChatStream",
    "AsyncCompletionStream",
    "ChatStream",
    "CompletionStream",
    "Gateway",
]


CHAT_PATH = "/chat/completions"
COMPLETIONS_PATH = "/completions"
EMBEDDINGS_PATH = "/embeddings"

DEFAULT_EMBED_BATCH = 256
DEFAULT_EMBED_CONCURRENCY = 4
DEFAULT_RERANK_CONCURRENCY = 4


class Gateway:
    """Calls against one gateway configuration.

    Use it in a ``with`` (or ``async with``) block to close its connection pool when
    done; a closed ``Gateway`` reopens a pool on its next call.
    """

    _shared: dict[ZZZConfig, Gateway] = {}
    _shared_lock = threading.Lock()

    def __init__(self, config: ZZZConfig) -> None:
        self.config = config
        self.transport = Transport(config)

    @classmethod
    def for_config(cls, config: ZZZConfig) -> Gateway:
        """The shared ``Gateway`` for ``config`` (one connection pool per configuration)."""
        gw = cls._shared.get(config)
        if gw is None:
            with cls._shared_lock:
                gw = cls._shared.get(config)
                if gw is None:
                    gw = cls._shared[config] = cls(config)
        return gw

    @classmethod
    def from_settings(cls, **settings: Any) -> Gateway:
        """``Gateway.for_config(ZZZConfig.resolve(**settings))``."""
        return cls.for_config(ZZZConfig.resolve(**settings))

    def __repr__(self) -> str:
        return f"Gateway(gateway={self.config.gateway!r}, base_url={self.config.base_url!r})"

    # -- chat ----------------------------------------------------------------

    def chat(self, body: dict[str, Any]) -> ChatResult:
        if _thinks_only_in_streams(body):
            stream = self.chat_stream(body)
            for _ in stream:  # the aggregate is the answer
                pass
            return stream.result()
        reply = self.transport.request("POST", CHAT_PATH, _no_stream(body), require="choices")
        return _with_reply(_parse(parse_chat_response, reply.payload, reply.host, CHAT_PATH), reply)

    async def achat(self, body: dict[str, Any]) -> ChatResult:
        if _thinks_only_in_streams(body):
            astream = self.achat_stream(body)
            async for _ in astream:
                pass
            return astream.result()
        reply = await self.transport.arequest("POST", CHAT_PATH, _no_stream(body), require="choices")
        return _with_reply(_parse(parse_chat_response, reply.payload, reply.host, CHAT_PATH), reply)

    def chat_stream(self, body: dict[str, Any]) -> ChatStream:
        """Stream a chat; iterate for :class:`~zzz_core.types.ChatChunk`, then ``.result()``."""
        return ChatStream(self.transport, CHAT_PATH, _streaming(body))

    def achat_stream(self, body: dict[str, Any]) -> AsyncChatStream:
        return AsyncChatStream(self.transport, CHAT_PATH, _streaming(body))

    # -- completions ---------------------------------------------------------

    def complete(self, body: dict[str, Any]) -> CompletionResult:
        reply = self.transport.request("POST", COMPLETIONS_PATH, _no_stream(body), require="choices")
        return _with_reply(_parse(parse_completion_response, reply.payload, reply.host, COMPLETIONS_PATH), reply)

    async def acomplete(self, body: dict[str, Any]) -> CompletionResult:
        reply = await self.transport.arequest("POST", COMPLETIONS_PATH, _no_stream(body), require="choices")
        return _with_reply(_parse(parse_completion_response, reply.payload, reply.host, COMPLETIONS_PATH), reply)

    def complete_stream(self, body: dict[str, Any]) -> CompletionStream:
        """Stream a completion; iterate for :class:`~zzz_core.types.CompletionChunk`, then ``.result()``."""
        return CompletionStream(self.transport, COMPLETIONS_PATH, _streaming(body))

    def acomplete_stream(self, body: dict[str, Any]) -> AsyncCompletionStream:
        return AsyncCompletionStream(self.transport, COMPLETIONS_PATH, _streaming(body))

    # -- embeddings ----------------------------------------------------------

    def embed(
        self,
        body: dict[str, Any],
        *,
        batch_size: int = DEFAULT_EMBED_BATCH,
        rate_limit_patience: float | None = RATE_LIMIT_PATIENCE,
    ) -> EmbeddingResult:
        """Embed ``body["input"]`` (a list of strings) in batches, one after the other, order preserved.

        When the texts take more than one request, a batch answered with 429 or upstream
        saturation is sent again for ``rate_limit_patience`` seconds (honouring ``Retry-After``)
        rather than ``max_retries`` times, as in a bulk job (:mod:`zzz_core.bulk.turns`): a large
        input waits out a rate limit instead of failing part-way.  ``None``: rate limits count
        against ``max_retries``.  A batch that fails after the retry loop gave up is raised with
        the positions that were not embedded named in the message.
        """
        texts = body["input"]
        parts: list[EmbeddingResult] = []
        with large_input(len(texts), batch_size, rate_limit_patience):
            for start in range(0, len(texts), batch_size):
                batch = texts[start : start + batch_size]
                try:
                    reply = self.transport.request("POST", EMBEDDINGS_PATH, self._embed_body(body, batch),
                                                   require="data")  # fmt: skip
                    parts.append(_embedding(reply, len(batch), self.transport))
                except E.ZZZError as exc:
                    raise _not_embedded(exc, start, len(texts), parts) from None
        return _merge_embeddings(parts)

    async def aembed(
        self,
        body: dict[str, Any],
        *,
        batch_size: int = DEFAULT_EMBED_BATCH,
        concurrency: int = DEFAULT_EMBED_CONCURRENCY,
        rate_limit_patience: float | None = RATE_LIMIT_PATIENCE,
        limiter: ConcurrencyLimiter | None = None,
    ) -> EmbeddingResult:
        """Async :meth:`embed`, with at most ``concurrency`` batches in flight.

        The batches share one adaptive limit and send as the bulk runner's requests do
        (:mod:`zzz_core.bulk.turns`): the limit starts at ``concurrency``, halves when the
        gateway throttles a large share of them (429, ``当前分组上游负载已饱和``) and grows back
        while they succeed; a throttled batch gives its slot back while it waits out
        ``Retry-After`` and is resent, by the one retry loop, only when the limit allows.
        With more than one batch, rate limits are retried for ``rate_limit_patience`` seconds.
        ``limiter``: a limit shared with other calls (the skins keep one per event loop,
        :class:`~zzz_core.bulk.turns.LoopLimiters`) instead of one for this call.
        """
        texts = body["input"]
        starts = list(range(0, len(texts), batch_size))
        if limiter is None:
            limiter = AsyncAdaptiveLimiter(max(1, concurrency), max(1, concurrency))
        with large_input(len(texts), batch_size, rate_limit_patience):
            budget = outer_patience.get()  # one request: the caller's (a plain call, or a part of a large one)

        async def send(batch: list[str]) -> EmbeddingResult:
            reply = await self.transport.arequest(
                "POST", EMBEDDINGS_PATH, self._embed_body(body, batch), require="data"
            )
            return _embedding(reply, len(batch), self.transport)

        def one(start: int) -> Awaitable[EmbeddingResult]:
            return turn(limiter, lambda: send(texts[start : start + batch_size]), patience=budget)

        tasks = [asyncio.ensure_future(one(s)) for s in starts]
        try:
            parts = await asyncio.gather(*tasks)
        except E.ZZZError as exc:
            for t in tasks:
                t.cancel()
            done = [t.result() for t in tasks if t.done() and not t.cancelled() and t.exception() is None]
            failed = min(
                (
                    s
                    for s, t in zip(starts, tasks, strict=True)
                    if not (t.done() and not t.cancelled() and t.exception() is None)
                ),
                default=0,
            )
            raise _not_embedded(exc, failed, len(texts), done) from None
        return _merge_embeddings(list(parts))

    @staticmethod
    def _embed_body(body: dict[str, Any], batch: list[str]) -> dict[str, Any]:
        # base64 is a quarter of the bytes of a float list and much cheaper to decode;
        # a gateway that ignores it answers floats, which the decoder reads as well, and
        # one that rejects it is not asked again (zzz_core.negotiation learns to leave it out).
        if "encoding_format" in body:
            return {**body, "input": batch}
        return {**body, "input": batch, "encoding_format": "base64"}

    # -- rerank --------------------------------------------------------------

    def rerank(
        self,
        query: str,
        documents: Sequence[Any],
        *,
        model: str,
        top_n: int | None = None,
        return_documents: bool = False,
        max_documents: int | None = None,
        extra_body: dict[str, Any] | None = None,
    ) -> RerankResult:
        """Rank ``documents`` by relevance to ``query`` over ``POST /v1/rerank``.

        Args:
            query: What to rank against (not blank).
            documents: Strings, or objects passed through as they are (``{"text": ...}``).
            model: Any rerank model the relay serves (``bge-reranker-v2-m3``, ``jina-reranker-v2-*``...).
            top_n: How many of the best to return; ``None`` or more than there are: all.
            return_documents: Sent on as is; each result carries its text either way.
            max_documents: Documents per request, overriding the profile's and preset's limits.
            extra_body: More body fields (``max_chunk_per_doc``, ``overlap_tokens``).

        Returns:
            Best first (ties in original order), with ``index`` into ``documents``, the
            score, the text and the usage summed over batches.  No documents: nothing is sent.

        Raises:
            InvalidInputError: bad arguments (see :func:`zzz_core.rerank.plan_rerank`).
            EndpointNotSupportedError: the gateway has no ``/v1/rerank`` (智增增).
            ZZZError: any other gateway failure, after the retry loop.
        """
        plan = plan_rerank(
            query, documents, model=model, gateway=self.config.gateway, top_n=top_n,
            return_documents=return_documents, max_documents=max_documents, extra_body=extra_body,
        )  # fmt: skip
        parts: list[RerankResult] = []
        for batch in plan.batches:
            try:
                payload, host = self.transport.request_json("POST", RERANK_PATH, batch.body, require="results")
                parts.append(_rerank_part(payload, host, batch))
            except E.ZZZError as exc:
                raise _not_ranked(exc, batch, plan) from None
        return merge_rerank(plan, parts)

    async def arerank(
        self,
        query: str,
        documents: Sequence[Any],
        *,
        model: str,
        top_n: int | None = None,
        return_documents: bool = False,
        max_documents: int | None = None,
        extra_body: dict[str, Any] | None = None,
        concurrency: int = DEFAULT_RERANK_CONCURRENCY,
    ) -> RerankResult:
        """Async :meth:`rerank`; batches run at most ``concurrency`` at a time."""
        plan = plan_rerank(
            query, documents, model=model, gateway=self.config.gateway, top_n=top_n,
            return_documents=return_documents, max_documents=max_documents, extra_body=extra_body,
        )  # fmt: skip
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(batch: RerankBatch) -> RerankResult:
            try:
                async with gate:
                    payload, host = await self.transport.arequest_json(
                        "POST", RERANK_PATH, batch.body, require="results"
                    )
                return _rerank_part(payload, host, batch)
            except E.ZZZError as exc:
                raise _not_ranked(exc, batch, plan) from None

        tasks = [asyncio.ensure_future(one(b)) for b in plan.batches]
        try:
            parts = await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            raise
        return merge_rerank(plan, list(parts))

    # -- gateway extras ------------------------------------------------------

    def models(self) -> list[ModelInfo]:
        """``GET /v1/models`` as typed entries (with new-api's ``supported_endpoint_types``)."""
        payload, _ = self.transport.request_json("GET", "/models", require="data")
        return _parse(parse_models, payload, None, "/models")

    async def amodels(self) -> list[ModelInfo]:
        payload, _ = await self.transport.arequest_json("GET", "/models", require="data")
        return _parse(parse_models, payload, None, "/models")

    def balance(self) -> Balance:
        """The account balance, in one shape for every gateway (see :class:`~zzz_core.types.Balance`).

        The routes and their decoding are the preset's (:data:`zzz_core.presets.BALANCE_APIS`); a
        relay without a preset is asked each known API in turn until one has the route.
        """
        apis = balance_apis_for(self.config.balance_api)
        for i, api in enumerate(apis):
            answers: list[Any] = []
            for method, path in api.requests:
                try:
                    payload, _ = self.transport.request_json(method, path, {} if method == "POST" else None)
                except (E.InvalidRequestError, E.ModelNotFoundError, E.GatewayError):
                    if answers or i == len(apis) - 1:
                        raise
                    break  # this relay has not got the first route: try the next API
                answers.append(payload)
            else:
                try:
                    return api.decode(*answers, gateway=self.config.gateway)
                except error_map.DECODE_ERRORS as exc:
                    ctx = ErrorContext(host=self.config.base_url, url=api.requests[-1][1])
                    raise error_map.malformed(answers[-1], 200, ctx, exc) from None
        raise AssertionError("unreachable: the last balance API raises")  # pragma: no cover

    @property
    def batches(self) -> BatchClient:
        """The gateway's OpenAI Batch API (:class:`~zzz_core.bulk.batch.BatchClient`)."""
        from .bulk.batch import BatchClient

        return BatchClient(self)

    def close(self) -> None:
        """Close the synchronous connection pool; the next sync call opens a new one."""
        self.transport.close()

    async def aclose(self) -> None:
        """Close this event loop's async connection pool (an aiohttp session must be closed)."""
        await self.transport.aclose()

    def __enter__(self) -> Gateway:
        """``with Gateway(...) as gw:`` closes the sync pool on leaving, exception or not."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Call :meth:`close`; an exception from the block propagates unchanged."""
        self.close()

    async def __aenter__(self) -> Gateway:
        """``async with Gateway(...) as gw:`` closes the loop's async pool on leaving, exception or not."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Await :meth:`aclose`; an exception from the block propagates unchanged."""
        await self.aclose()


def _parse(decode: Any, payload: Any, host: str | None, path: str) -> Any:
    """Decode a success-shaped payload; one that is not OpenAI-shaped is a typed error."""
    try:
        return decode(payload, host) if host is not None else decode(payload)
    except error_map.DECODE_ERRORS as exc:
        raise error_map.malformed(payload, 200, ErrorContext(host=host, url=path), exc) from None


def _rerank_part(payload: Any, host: str, batch: RerankBatch) -> RerankResult:
    """Decode one batch's answer; an empty ``results`` for documents sent is a gateway error."""
    if not payload["results"] and batch.documents and batch.body.get("top_n", 1):
        ctx = ErrorContext(host=host, url=RERANK_PATH)
        msg = f"the gateway answered no results for {len(batch.documents)} documents"
        raise error_map.classify(status=200, code=None, message=msg, body=payload, ctx=ctx)
    return _parse(lambda p, h: parse_rerank_response(p, batch.documents, offset=batch.offset, host=h), payload,
                  host, RERANK_PATH)  # fmt: skip


def _not_ranked(exc: E.ZZZError, batch: RerankBatch, plan: RerankPlan) -> E.ZZZError:
    """When the documents went in batches, say which ones the failed batch carried."""
    if len(plan.batches) > 1:
        end = batch.offset + len(batch.documents)
        total = plan.batches[-1].offset + len(plan.batches[-1].documents)
        exc.message = (
            f"{exc.message} [rerank batch of documents {batch.offset}-{end - 1} of {total} failed; "
            "no ranking was returned]"
        )
        exc.args = (exc.message,)
    return exc


def _thinks_only_in_streams(body: dict[str, Any]) -> bool:
    """Thinking switched on for a model that thinks only in streams (DashScope answers 400
    "enable_thinking must be set to false for non-streaming calls"): stream internally."""
    return body.get("enable_thinking") is True and get_profile(str(body.get("model") or "")).thinking_stream_only


def _no_stream(body: dict[str, Any]) -> dict[str, Any]:
    if body.get("stream") or "stream_options" in body:
        body = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
    return body


def _streaming(body: dict[str, Any]) -> dict[str, Any]:
    # A body built for a non-streamed call still gets streamed usage where the
    # model accepts stream_options (build_chat_request(stream=True) already adds it).
    if body.get("stream") is True:
        return body  # built for streaming: the caller chose stream_usage
    body = {**body, "stream": True}
    if "stream_options" not in body and get_profile(str(body.get("model") or "")).stream_usage:
        body["stream_options"] = {"include_usage": True}
    return body


def _embedding(reply: Reply, expected: int, transport: Transport) -> EmbeddingResult:
    try:
        return _with_reply(parse_embedding_response(reply.payload, expected=expected, host=reply.host), reply)
    except ValueError as exc:
        # e.g. an empty ``data`` list with HTTP 200, which relays send for inputs they reject
        ctx = ErrorContext(host=reply.host, url=transport.config.base_url + EMBEDDINGS_PATH, headers=reply.headers)
        raise error_map.classify(status=200, code=None, message=str(exc), body=None, ctx=ctx) from None


def _with_reply(result: Any, reply: Reply) -> Any:
    """The decoded result with the response's request id and headers attached."""
    result.request_id = reply.request_id
    result.headers = reply.headers
    return result


def _not_embedded(exc: E.ZZZError, start: int, total: int, done: Sequence[EmbeddingResult]) -> E.ZZZError:
    embedded = sum(len(p.vectors) for p in done)
    exc.message = f"{exc.message} [inputs from position {start} of {total} were not embedded; {embedded} were]"
    exc.args = (exc.message,)
    return exc


def _merge_embeddings(parts: Sequence[EmbeddingResult]) -> EmbeddingResult:
    if len(parts) == 1:
        return parts[0]
    vectors: list[list[float]] = []
    prompt = total = 0
    for p in parts:
        vectors.extend(p.vectors)
        if p.usage is not None:
            prompt += p.usage.prompt_tokens
            total += p.usage.total_tokens
    first = parts[0] if parts else None
    return EmbeddingResult(
        vectors=vectors,
        model=first.model if first else None,
        usage=Usage(prompt_tokens=prompt, total_tokens=total) if any(p.usage for p in parts) else None,
        host=first.host if first else None,
        request_id=first.request_id if first else None,
        headers=first.headers if first else {},
    )
