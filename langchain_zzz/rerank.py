"""``ZZZRerank``: a LangChain document compressor over the relay's ``/v1/rerank``.

Drop it into a ``ContextualCompressionRetriever`` to rerank what a vector store
retrieved, on the same key, settings, errors and retries as ``ChatZZZ``::

    from langchain_classic.retrievers import ContextualCompressionRetriever
    from langchain_zzz import ZZZRerank

    reranker = ZZZRerank(model="bge-reranker-v2-m3", top_n=3)    # gateway="4z": 智增增 has no rerank
    retriever = ContextualCompressionRetriever(base_compressor=reranker, base_retriever=store.as_retriever())

The documents come back best first, each a copy of the one passed with
``metadata["relevance_score"]`` added (the originals are not modified); ties keep
the retrieved order; ``top_n`` larger than the number of documents returns them
all.  An empty list returns ``[]`` without sending anything.  Inside
``langchain_zzz.zzz_cost()`` a rerank call counts in the block's totals (and its
budget) at the price ``prices=``, ``ZZZ_PRICES`` or the gateway's ``/api/pricing``
gives the model; the built-in list has no rerank prices.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import ConfigDict, Field

from zzz_core.integration import rerank_options
from zzz_core.pricing import apriced, priced
from zzz_core.types import RerankResult

from . import _error_boundary
from ._settings import GatewaySettings
from .embeddings import _cost_handler

__all__ = ["ZZZRerank"]


class ZZZRerank(GatewaySettings, BaseDocumentCompressor):
    """Rerank documents with a rerank model behind 4Z-API / new-api (``/v1/rerank``).

    A ``BaseDocumentCompressor``: put it in a ``ContextualCompressionRetriever`` after a
    vector store.  Documents come back best first, as copies with
    ``metadata["relevance_score"]``; ties keep the retrieved order.  智增增 serves no
    rerank (``EndpointNotSupportedError``): use ``gateway="4z"`` or a new-api ``base_url``.

    Setup:
        ```bash
        pip install "zzz-relay[langchain]"
        export ZZZ_API_KEY="sk-..." ZZZ_GATEWAY=4z
        ```

    Key init args:
        model: Any rerank model the relay serves (default ``bge-reranker-v2-m3``).
        top_n: Documents to keep (default 3); None keeps them all, reordered.
        max_documents: Documents per request; larger lists are batched and merged.
        max_concurrency: Batches in flight at once in ``acompress_documents``.
        prices: A price for the model (the built-in list has no rerank prices).
        api_key, base_url, gateway, mirrors, timeout, max_retries: As for ``ChatZZZ``.

    Compress (the test simulator scores by shared words with the query):
        ```pycon
        >>> from langchain_core.documents import Document
        >>> from langchain_zzz import ZZZRerank
        >>> reranker = ZZZRerank(model="bge-reranker-v2-m3", top_n=1,
        ...                      prices={"bge-reranker-v2-m3": {"input": 0.5, "output": 0, "currency": "CNY"}})
        >>> docs = [Document("Mount Fuji is in Japan."), Document("Mount Fuji last erupted in 1707.")]
        >>> reranker.compress_documents(docs, "When did Mount Fuji erupt?")
        [Document(metadata={'relevance_score': 0.91234}, page_content='Mount Fuji last erupted in 1707.')]
        ```

    Async, and the raw ranking (indices, scores, usage, cost; ``top_n`` applies) of plain strings:
        ```pycon
        >>> import asyncio
        >>> len(asyncio.run(reranker.acompress_documents(docs, "When did Mount Fuji erupt?")))
        1
        >>> result = reranker.rerank(["Tea grows in Hangzhou.", "Mount Fuji last erupted in 1707."], "Fuji eruption")
        >>> [hit.index for hit in result.results], result.usage.total_tokens, result.cost.currency
        ([1], 19, 'CNY')
        ```

    Cost: there are no callbacks here; inside a ``langchain_zzz.zzz_cost()`` block each call
    counts in the block's totals and is refused before sending once its budget is spent.

    Errors: a blank query is ``zzz_core.InvalidInputError`` (a ``ValueError``); gateway
    failures are the classes of ``langchain_zzz.errors``, as for ``ChatZZZ``.
    """

    model_config = ConfigDict(
        populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=(), hide_input_in_errors=True
    )

    model: str = Field(default="bge-reranker-v2-m3", alias="model_name")
    """Any rerank model the relay serves (``bge-reranker-v2-m3``, ``jina-reranker-v2-base-multilingual``, ...)."""
    top_n: int | None = Field(default=3, ge=1)
    """Documents to keep, best first; ``None`` keeps them all (reordered)."""
    max_documents: int | None = Field(default=None, ge=1)
    """Documents per request; default: the model profile's or the gateway preset's limit, if any."""
    max_concurrency: int = Field(default=4, ge=1)
    """Batches in flight at once in ``acompress_documents``."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Body fields sent as they are (``max_chunk_per_doc``, ``overlap_tokens``; unknown arguments land here)."""

    def rerank(self, documents: Sequence[str | dict[str, Any]], query: str) -> RerankResult:
        """The raw ranking (indices, scores, texts, usage, cost) of strings or ``{"text": ...}`` objects.

        Inside a ``zzz_cost()`` block the call is counted (and refused before sending when
        the block's budget is spent), like ``ZZZEmbeddings``, which has no callbacks either.
        """
        handler = _cost_handler()
        if handler is not None:
            _error_boundary.call(handler.check)
        result = _error_boundary.call(self._gateway.rerank, query, list(documents), **self._options())
        if result.requests:
            priced(result, self.model, gateway=self._gateway, prices=self.prices)
            if handler is not None:
                handler.count(self.model, result.usage, result.cost)
        return result

    async def arerank(self, documents: Sequence[str | dict[str, Any]], query: str) -> RerankResult:
        """Async :meth:`rerank`."""
        handler = _cost_handler()
        if handler is not None:
            _error_boundary.call(handler.check)
        result = await _error_boundary.acall(
            self._gateway.arerank, query, list(documents), concurrency=self.max_concurrency, **self._options()
        )
        if result.requests:
            await apriced(result, self.model, gateway=self._gateway, prices=self.prices)
            if handler is not None:
                handler.count(self.model, result.usage, result.cost)
        return result

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """The ``top_n`` most relevant of ``documents``, best first, with ``metadata["relevance_score"]``.

        Raises:
            zzz_core.InvalidInputError: (a ``ValueError``) a blank query.
            langchain_zzz.errors.EndpointNotSupportedError: the gateway has no rerank (智增增).
            langchain_zzz.errors.*: any other gateway failure, after the retries.
        """
        if not documents:
            return []
        return _ranked(documents, self.rerank([d.page_content for d in documents], query))

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """Async :meth:`compress_documents` (batches sent concurrently)."""
        if not documents:
            return []
        return _ranked(documents, await self.arerank([d.page_content for d in documents], query))

    def _options(self) -> dict[str, Any]:
        return rerank_options(self, self.model_kwargs)


def _ranked(documents: Sequence[Document], result: RerankResult) -> list[Document]:
    out = []
    for hit in result.results:
        doc = documents[hit.index]
        metadata = {**doc.metadata, "relevance_score": hit.relevance_score}
        out.append(Document(page_content=doc.page_content, metadata=metadata, id=doc.id))
    return out
