"""``ZZZEmbedding``: LlamaIndex embeddings through 智增增 / 4Z-API (new-api) and other relays.

Raw text is sent (no tiktoken, no token arrays); zzz_core validates the input,
keeps the vectors in input order whatever order the gateway lists them in, and
owns retries.  Any model name works::

    from llamaindex_zzz import ZZZEmbedding

    embed = ZZZEmbedding(model_name="text-embedding-3-small", dimensions=512)
    vector = embed.get_text_embedding("你好")
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import ConfigDict, Field, PrivateAttr, model_validator

from zzz_core import ZZZConfig, build_embedding_request, integration
from zzz_core.lifecycle import ConnectionLifecycle
from zzz_core.negotiation import without_disabled
from zzz_core.pricing import apriced, priced

from ._config import GatewayFields, connect
from .cost import check_budget, record_call

__all__ = ["ZZZEmbedding"]

DEFAULT_EMBED_BATCH_SIZE = 100
DEFAULT_MAX_CONCURRENCY = 4


class ZZZEmbedding(ConnectionLifecycle, GatewayFields, BaseEmbedding):
    """Embedding models behind the relay, batched by ``embed_batch_size``.

    Async calls share one adaptive limit per event loop (the bulk runner's,
    ``zzz_core.bulk.turns``): at most ``max_concurrency`` requests at once, halved when
    the gateway throttles a large share of them and grown back while they succeed; a
    throttled request waits out ``Retry-After`` without holding its slot.  A batch call of
    more than ``embed_batch_size`` texts waits out rate limits for up to 10 minutes instead
    of failing after ``max_retries``.  Vectors are asked for as base64 and decoded.  The
    class is also ``llama_index.embeddings.zzz.ZZZEmbedding``.

    Args:
        model_name: The embedding model (alias ``model``), default ``text-embedding-3-small``.
        dimensions: Output size, for models that can shorten their vectors.
        embed_batch_size: Texts per request.
        max_concurrency: Async requests in flight at once (the adaptive limit's ceiling).
        additional_kwargs: Extra body fields of every request.
        api_key, base_url, gateway, mirrors, timeout, max_retries, prices: As for ``ZZZ``.

    Examples:
        ```pycon
        >>> from llamaindex_zzz import ZZZEmbedding
        >>> embed_model = ZZZEmbedding(model_name="text-embedding-3-small", dimensions=256)
        >>> len(embed_model.get_query_embedding("hello"))
        256
        >>> len(embed_model.get_text_embedding_batch(["你好", "hello"]))
        2
        >>> import asyncio
        >>> len(asyncio.run(embed_model.aget_text_embedding_batch(["a", "b", "c"])))
        3
        ```

        In an index: ``VectorStoreIndex.from_documents(docs, embed_model=embed_model)``.
        Inside ``zzz_cost()`` the calls count in the block's totals and budget:

        ```pycon
        >>> from llamaindex_zzz import zzz_cost
        >>> with zzz_cost() as run:
        ...     _ = embed_model.get_text_embedding_batch(["你好", "hello"])
        >>> run.calls, run.currency
        (1, 'USD')
        ```

        Errors are zzz_core's classes, each also the ``openai`` class for its status.
    """

    model_config = ConfigDict(populate_by_name=True)

    model_name: str = Field(default="text-embedding-3-small", description="The embedding model (alias: model).")
    embed_batch_size: int = Field(default=DEFAULT_EMBED_BATCH_SIZE, gt=0, le=2048, description="Texts per request.")
    dimensions: int | None = Field(default=None, gt=0, description="Output size, for models that can shorten vectors.")
    max_concurrency: int = Field(default=DEFAULT_MAX_CONCURRENCY, gt=0, description="Async requests in flight at once.")
    additional_kwargs: dict[str, Any] = Field(default_factory=dict, description="Extra body fields of every request.")
    disabled_params: dict[str, Any] | None = Field(
        default=None,
        description="Parameters never to send: {'parallel_tool_calls': None}; {'temperature': [0.7]} only those "
        "values. One the gateway rejects is also learned after one failed call (zzz_core.negotiation).",
    )

    _config: ZZZConfig = PrivateAttr()
    _gateway: Any = PrivateAttr()  # zzz_core.Gateway, imported at construction
    _limits: Any = PrivateAttr(default=None)  # zzz_core.bulk.turns.LoopLimiters, made at setup

    @model_validator(mode="before")
    @classmethod
    def _model_alias(cls, data: Any) -> Any:
        # OpenAIEmbedding takes model=, OpenAILikeEmbedding model_name=; take both.
        if isinstance(data, dict) and "model" in data:
            data = dict(data)
            model = data.pop("model")
            if data.setdefault("model_name", model) != model:
                raise ValueError(f"model={model!r} and model_name={data['model_name']!r} disagree; pass one")
        return data

    def __init__(self, model_name: str | None = None, /, **kwargs: Any) -> None:
        if model_name is not None:
            kwargs["model_name"] = model_name
        kwargs = integration.rename_deprecated_fields(kwargs, type(self).__name__)
        super().__init__(**kwargs)
        self._zzz_setup()

    def _zzz_setup(self) -> None:
        # zzz_core's validation of the name and of dimensions for this model, before any call
        build_embedding_request(self.model_name, ["-"], dimensions=self.dimensions)
        self._config, self._gateway = connect(self)
        from zzz_core.bulk.turns import LoopLimiters  # imports openai: not at module import

        self._limits = LoopLimiters(self.max_concurrency)  # anew after unpickling too

    @classmethod
    def class_name(cls) -> str:
        return "ZZZEmbedding"

    def _body(self, texts: list[str]) -> dict[str, Any]:
        body = build_embedding_request(
            self.model_name, texts, dimensions=self.dimensions, extra_body=self.additional_kwargs or None
        )
        return without_disabled(body, self.disabled_params)

    def bulk_request(self, kind: str, item: Any) -> dict[str, Any]:
        """The request body for rows of a bulk job (``zzz_core.bulk.ray.EmbeddingRows``): ``item``
        is a text or a list of texts; this model's fields apply."""
        return self._body(integration.embedding_row_texts(kind, item, type(self).__name__))

    # -- batches: LlamaIndex cuts them, each is one call of _get_text_embeddings ----
    def get_text_embedding_batch(self, texts: list[str], show_progress: bool = False, **kwargs: Any) -> list[Embedding]:
        from zzz_core.bulk.turns import large_input

        with large_input(len(texts), self.embed_batch_size):  # a large input waits out rate limits
            return super().get_text_embedding_batch(texts, show_progress, **kwargs)

    async def aget_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **kwargs: Any
    ) -> list[Embedding]:
        from zzz_core.bulk.turns import large_input

        with large_input(len(texts), self.embed_batch_size):  # its batches' tasks inherit the budget
            return await super().aget_text_embedding_batch(texts, show_progress, **kwargs)

    # -- sync ------------------------------------------------------------------
    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        body = self._body(list(texts))
        check_budget()
        result = self._gateway.embed(body, batch_size=self.embed_batch_size)
        priced(result, self.model_name, gateway=self._gateway, prices=self.prices)
        record_call(self.model_name, "embedding", result.usage, result.cost)
        return result.vectors

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> Embedding:
        return self._get_text_embeddings([query])[0]

    # -- async -----------------------------------------------------------------
    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        body = self._body(list(texts))
        check_budget()
        result = await self._gateway.aembed(
            body, batch_size=self.embed_batch_size, concurrency=self.max_concurrency, limiter=self._limits.get()
        )
        await apriced(result, self.model_name, gateway=self._gateway, prices=self.prices)
        record_call(self.model_name, "embedding", result.usage, result.cost)
        return result.vectors

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._aget_text_embeddings([text]))[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return (await self._aget_text_embeddings([query]))[0]
