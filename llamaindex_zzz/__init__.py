"""LlamaIndex for the 智增增 (ZhiZengZeng) and 4Z-API (new-api) relay gateways.

``ZZZ`` is a ``FunctionCallingLLM``, ``ZZZEmbedding`` a ``BaseEmbedding`` and
``ZZZRerank`` a node postprocessor over ``/v1/rerank``; all
send through zzz_core (typed gateway errors, one retry loop, mirror failover,
reasoning, tool-call repair) and take any model name the relay serves::

    from llamaindex_zzz import ZZZ, ZZZEmbedding, ZZZRerank, zzz_cost

    llm = ZZZ(model="deepseek-chat")                      # key from ZZZ_API_KEY
    embed_model = ZZZEmbedding(model_name="text-embedding-3-small")
    reranker = ZZZRerank(model="bge-reranker-v2-m3", top_n=3)

    with zzz_cost(max_cost=1.0) as run:                   # what a query, an agent run or an ingestion cost
        ...
    run.total_cost, run.by_model
"""

from __future__ import annotations

try:
    import llama_index.core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError('llamaindex_zzz needs LlamaIndex: pip install "zzz-relay[llamaindex]"') from exc

from .cost import ZZZCostRun, zzz_cost
from .embeddings import ZZZEmbedding
from .llms import ZZZ
from .rerank import ZZZRerank

__all__ = ["ZZZ", "ZZZCostRun", "ZZZEmbedding", "ZZZRerank", "zzz_cost"]
