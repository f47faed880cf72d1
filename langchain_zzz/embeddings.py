"""``ZZZEmbeddings``: LangChain's Embeddings interface over the gateway's ``/v1/embeddings``.

Raw text goes on the wire, never tiktoken token arrays (which relays answer
with a 400 or an empty ``data``), and nothing downloads a tokenizer.  Inputs are
sent ``chunk_size`` per request and come back in input order whatever order the
gateway listed them in.  Async calls share one adaptive limit per event loop (the
bulk runner's, ``zzz_core.bulk.turns``): at most ``max_concurrency`` requests at
once, halved under throttling, grown back while they succeed.  A call of more than
one request waits out rate limits (up to 10 minutes, honouring ``Retry-After``)
instead of failing after ``max_retries``.
Empty strings and non-strings are refused before sending, naming their
positions; a batch that still fails after the retries names the inputs that
were not embedded.
"""

from __future__ import annotations

import sys
from typing import Any

from langchain_core.embeddings import Embeddings
from pydantic import ConfigDict, Field, PrivateAttr

from zzz_core import build_embedding_request
from zzz_core.integration import ProfileCache, embedding_row_texts
from zzz_core.negotiation import without_disabled
from zzz_core.pricing import apriced, priced

from . import _error_boundary
from ._settings import GatewaySettings

__all__ = ["ZZZEmbeddings"]


class ZZZEmbeddings(GatewaySettings, Embeddings):
    """Embedding models through 智增增 / 4Z-API.

    Vectors are asked for as base64 (a quarter of the bytes) and decoded for you,
    read as floats when a gateway ignores that; inputs go ``chunk_size`` per request.

    Setup:
        ```bash
        pip install "zzz-relay[langchain]"
        export ZZZ_API_KEY="sk-zk-..."
        ```

    Key init args:
        model: The embedding model (alias ``model_name``), e.g. ``text-embedding-3-small``, ``embedding-3``.
        dimensions: Output size, for models that can shorten their vectors.
        chunk_size: Inputs per request (default 256).
        max_concurrency: Requests in flight at once in ``aembed_documents`` (default 4; the adaptive limit's ceiling).
        encoding_format: ``"float"`` or ``"base64"``; None (default) asks for base64.
        api_key, base_url, gateway, mirrors, timeout, max_retries, prices: As for ``ChatZZZ``.

    Instantiate and embed:
        ```pycon
        >>> from langchain_zzz import ZZZEmbeddings
        >>> emb = ZZZEmbeddings(model="text-embedding-3-small", dimensions=256)
        >>> vectors = emb.embed_documents(["你好", "hello"])
        >>> len(vectors), len(vectors[0])
        (2, 256)
        >>> len(emb.embed_query("hello"))
        256
        ```

    Async:
        ```pycon
        >>> import asyncio
        >>> len(asyncio.run(emb.aembed_documents(["a", "b", "c"])))
        3
        ```

    Cost: LangChain gives embeddings no callbacks, so these calls report straight to an
    enclosing ``zzz_cost()`` block (and are refused before sending once its budget is spent):
        ```pycon
        >>> from langchain_zzz import zzz_cost
        >>> with zzz_cost() as cb:
        ...     _ = emb.embed_documents(["你好", "hello"])
        >>> cb.calls, cb.currency
        (1, 'USD')
        ```

    Errors: the same classes as ``ChatZZZ``:
        ```pycon
        >>> import openai
        >>> try:
        ...     ZZZEmbeddings(model="text-embedding-3-small", api_key="sk-proj-an-openai-key").embed_query("x")
        ... except openai.AuthenticationError as exc:
        ...     print(type(exc).__module__, exc.code)
        langchain_zzz.errors 1002
        ```
    """

    model_config = ConfigDict(
        populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=(), hide_input_in_errors=True
    )

    model: str = Field(alias="model_name")
    dimensions: int | None = None
    """Output size, for models that can shorten their vectors (text-embedding-3-*, embedding-3, ...)."""
    chunk_size: int = 256
    """Inputs per request."""
    max_concurrency: int = 4
    """Requests in flight at once in ``aembed_documents``."""
    encoding_format: str | None = None
    """``"float"`` or ``"base64"`` (decoded for you); None asks for base64, reading floats if the gateway ignores it."""
    disabled_params: dict[str, Any] | None = None
    """Parameters never to send (ChatOpenAI's setting): ``{"parallel_tool_calls": None}`` never sends it,
    ``{"temperature": [0.7]}`` leaves out only those values. A parameter the gateway rejects is also learned
    by itself after one failed call (``zzz_core.negotiation``)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Body fields sent as they are (unknown constructor arguments land here)."""
    extra_body: dict[str, Any] | None = None

    _profiles: ProfileCache = PrivateAttr(default_factory=ProfileCache)
    _limits: Any = PrivateAttr(default=None)  # zzz_core.bulk.turns.LoopLimiters (imports openai: made at setup)

    def _zzz_setup(self) -> None:
        if self.chunk_size < 1 or self.max_concurrency < 1:
            raise ValueError("chunk_size and max_concurrency must be at least 1")
        self._profiles = ProfileCache()  # anew after unpickling, which drops private state
        from zzz_core.bulk.turns import LoopLimiters

        self._limits = LoopLimiters(self.max_concurrency)
        self._connect()

    def _body(self, texts: list[str]) -> dict[str, Any]:
        extra = {**self.model_kwargs, **(self.extra_body or {})}
        body = build_embedding_request(
            self.model, texts, profile=self._profiles.get(self.model), dimensions=self.dimensions,
            encoding_format=self.encoding_format, extra_body=extra or None,
        )  # fmt: skip
        return without_disabled(body, self.disabled_params)

    def bulk_request(self, kind: str, item: Any) -> dict[str, Any]:
        """The request body for rows of a bulk job (``zzz_core.bulk.ray.EmbeddingRows``): ``item``
        is a text or a list of texts; this model's fields apply."""
        return self._body(embedding_row_texts(kind, item, type(self).__name__))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed ``texts`` in order (``[]`` for no texts).

        Raises:
            zzz_core.InvalidInputError: (a ``ValueError``) an empty string or a non-string,
                with its position.
            langchain_zzz.errors.*: a gateway failure, naming the inputs not embedded.
        """
        if isinstance(texts, list) and not texts:
            return []
        body = self._body(texts)
        handler = _cost_handler()
        if handler is not None:
            handler.check()
        result = _error_boundary.call(self._gateway.embed, body, batch_size=self.chunk_size)
        priced(result, self.model, gateway=self._gateway, prices=self.prices)
        if handler is not None:
            handler.count(self.model, result.usage, result.cost)
        return result.vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Async :meth:`embed_documents`, with at most ``max_concurrency`` requests in flight."""
        if isinstance(texts, list) and not texts:
            return []
        body = self._body(texts)
        handler = _cost_handler()
        if handler is not None:
            handler.check()
        result = await _error_boundary.acall(
            self._gateway.aembed, body, batch_size=self.chunk_size, concurrency=self.max_concurrency,
            limiter=self._limits.get(),
        )  # fmt: skip
        await apriced(result, self.model, gateway=self._gateway, prices=self.prices)
        if handler is not None:
            handler.count(self.model, result.usage, result.cost)
        return result.vectors

    async def aembed_query(self, text: str) -> list[float]:
        return (await self.aembed_documents([text]))[0]


def _cost_handler() -> Any:
    """The enclosing ``zzz_cost()`` block's handler (embeddings have no LangChain callbacks to reach it)."""
    cost = sys.modules.get("langchain_zzz.cost")  # not loaded: no block can be open
    return cost.current_cost_handler() if cost is not None else None
