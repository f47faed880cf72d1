"""``ZZZRerank``: a LlamaIndex node postprocessor over the relay's ``/v1/rerank``.

Use it after retrieval, on the same key, errors and retries as ``ZZZ``::

    from llamaindex_zzz import ZZZRerank      # or: from llama_index.postprocessor.zzz_rerank import ZZZRerank

    reranker = ZZZRerank(model="bge-reranker-v2-m3", top_n=3, gateway="4z")   # 智增增 has no rerank
    engine = index.as_query_engine(similarity_top_k=10, node_postprocessors=[reranker])

Rules: the top ``top_n`` nodes come back best first, as new ``NodeWithScore``
objects whose ``score`` is the relevance score (the nodes passed in are not
modified); ties keep the retrieved order; ``top_n`` larger than the number of
nodes returns them all, reordered; no nodes returns ``[]`` without sending.
The text ranked is ``node.get_content(metadata_mode=MetadataMode.EMBED)``, what
the embedding model saw.  A node without text (an image node, say) is refused
with an error naming it, rather than dropped or ranked on its metadata alone.
Inside ``llamaindex_zzz.zzz_cost()`` each call counts in the block's totals and budget
(a ``ZZZCallCostEvent`` of kind ``"rerank"``), priced where a price is known.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.bridge.pydantic import ConfigDict, Field, PrivateAttr
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle

from zzz_core import InvalidInputError, ZZZConfig, integration
from zzz_core.lifecycle import ConnectionLifecycle
from zzz_core.pricing import apriced, priced
from zzz_core.types import RerankResult

from ._config import GatewayFields, connect
from .cost import check_budget, record_call

__all__ = ["ZZZRerank"]

dispatcher = get_dispatcher(__name__)


class ZZZRerank(ConnectionLifecycle, GatewayFields, BaseNodePostprocessor):
    """Rerank retrieved nodes with a rerank model behind 4Z-API / new-api (``/v1/rerank``).

    A node postprocessor: the top ``top_n`` nodes come back best first as new
    ``NodeWithScore`` objects whose ``score`` is the relevance score (the nodes passed in
    are not modified).  智增增 serves no rerank (``EndpointNotSupportedError``): use
    ``gateway="4z"`` or a new-api ``base_url``.

    Args:
        model: Any rerank model the relay serves (default ``bge-reranker-v2-m3``).
        top_n: Nodes to keep (default 3); None keeps them all, reordered.
        max_documents: Nodes per request; larger lists are batched and merged.
        max_concurrency: Batches in flight at once (async).
        additional_kwargs: Extra body fields (``max_chunk_per_doc``, ``overlap_tokens``, ...).
        prices: A price for the model (the built-in list has no rerank prices).
        api_key, base_url, gateway, mirrors, timeout, max_retries: As for ``ZZZ``.

    Examples:
        In a query engine: ``index.as_query_engine(similarity_top_k=10, node_postprocessors=[reranker])``.
        On nodes directly (the test simulator scores by shared words with the query):

        ```pycon
        >>> from llama_index.core.schema import NodeWithScore, TextNode
        >>> from llamaindex_zzz import ZZZRerank
        >>> reranker = ZZZRerank(model="bge-reranker-v2-m3", top_n=1,
        ...                      prices={"bge-reranker-v2-m3": {"input": 0.5, "output": 0, "currency": "CNY"}})
        >>> nodes = [NodeWithScore(node=TextNode(text="Mount Fuji is in Japan."), score=0.8),
        ...          NodeWithScore(node=TextNode(text="Mount Fuji last erupted in 1707."), score=0.7)]
        >>> [(n.node.text, n.score) for n in reranker.postprocess_nodes(nodes, query_str="When did Mount Fuji erupt?")]
        [('Mount Fuji last erupted in 1707.', 0.91234)]
        ```

        Inside ``llamaindex_zzz.zzz_cost()`` each call counts (a ``ZZZCallCostEvent`` of kind
        ``"rerank"``):

        ```pycon
        >>> from llamaindex_zzz import zzz_cost
        >>> with zzz_cost() as run:
        ...     _ = reranker.postprocess_nodes(nodes, query_str="When did Mount Fuji erupt?")
        >>> run.calls, run.currency
        (1, 'CNY')
        ```

        Errors: a node without text or a blank query is ``zzz_core.InvalidInputError`` (a
        ``ValueError``); gateway failures are zzz_core's classes, each also ``openai``'s.
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=())

    model: str = Field(default="bge-reranker-v2-m3", description="Any rerank model the relay serves.")
    top_n: int | None = Field(default=3, ge=1, description="Nodes to keep, best first; None keeps all, reordered.")
    max_documents: int | None = Field(
        default=None, ge=1, description="Nodes per request; default: the model profile's or preset's limit, if any."
    )
    max_concurrency: int = Field(default=4, ge=1, description="Batches in flight at once (async).")
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Extra body fields (max_chunk_per_doc, overlap_tokens, ...)."
    )

    _config: ZZZConfig = PrivateAttr()
    _gateway: Any = PrivateAttr()  # zzz_core.Gateway, imported at construction

    def __init__(self, **kwargs: Any) -> None:
        kwargs = integration.rename_deprecated_fields(kwargs, type(self).__name__)
        super().__init__(**kwargs)
        self._zzz_setup()

    def _zzz_setup(self) -> None:
        self._config, self._gateway = connect(self)

    @classmethod
    def class_name(cls) -> str:
        return "ZZZRerank"

    def _options(self) -> dict[str, Any]:
        return integration.rerank_options(self, self.additional_kwargs)

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if not nodes:
            return []
        query, texts = _inputs(nodes, query_bundle)
        check_budget()
        dispatcher.event(self._start(query_bundle, nodes))
        result = self._gateway.rerank(query, texts, **self._options())
        priced(result, self.model, gateway=self._gateway, prices=self.prices)
        record_call(self.model, "rerank", result.usage, result.cost)
        ranked = _ranked(nodes, result)
        dispatcher.event(ReRankEndEvent(nodes=ranked))
        return ranked

    async def _apostprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if not nodes:
            return []
        query, texts = _inputs(nodes, query_bundle)
        check_budget()
        dispatcher.event(self._start(query_bundle, nodes))
        result = await self._gateway.arerank(query, texts, concurrency=self.max_concurrency, **self._options())
        await apriced(result, self.model, gateway=self._gateway, prices=self.prices)
        record_call(self.model, "rerank", result.usage, result.cost)
        ranked = _ranked(nodes, result)
        dispatcher.event(ReRankEndEvent(nodes=ranked))
        return ranked

    def _start(self, query_bundle: QueryBundle | None, nodes: list[NodeWithScore]) -> ReRankStartEvent:
        top_n = min(self.top_n or len(nodes), len(nodes))
        return ReRankStartEvent(query=query_bundle, nodes=nodes, top_n=top_n, model_name=self.model)


def _inputs(nodes: list[NodeWithScore], query_bundle: QueryBundle | None) -> tuple[str, list[str]]:
    if query_bundle is None:
        raise InvalidInputError("ZZZRerank needs the query: postprocess_nodes(nodes, query_str=...)")
    textless = [i for i, n in enumerate(nodes) if not n.node.get_content(metadata_mode=MetadataMode.NONE).strip()]
    if textless:
        ids = [nodes[i].node.node_id for i in textless[:5]]
        raise InvalidInputError(
            f"nodes at positions {textless[:10]} (ids {ids}) have no text to rerank (image or empty nodes); "
            "filter them out before ZZZRerank or give them text"
        )
    return query_bundle.query_str, [n.node.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]


def _ranked(nodes: list[NodeWithScore], result: RerankResult) -> list[NodeWithScore]:
    return [NodeWithScore(node=nodes[hit.index].node, score=hit.relevance_score) for hit in result.results]
