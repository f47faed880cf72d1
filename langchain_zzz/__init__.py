"""LangChain models for the 智增增 and 4Z-API relay gateways (and any OpenAI-compatible relay).

* :class:`ChatZZZ` -- chat models (tools, structured output, reasoning, vision)
* :class:`ZZZ` -- text completions over ``/v1/completions``
* :class:`ZZZEmbeddings` -- embeddings
* :class:`ZZZRerank` -- a document compressor over ``/v1/rerank`` (rerank for RAG)
* :func:`zzz_cost` -- what a block of calls cost, with an optional budget (``max_cost``)

Gateway failures surface as the classes of :mod:`langchain_zzz.errors`, each
both zzz_core's (so ``openai``'s) and ``langchain_core.exceptions``' type.
"""

from __future__ import annotations

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError('langchain_zzz needs LangChain: pip install "zzz-relay[langchain]"') from exc

from typing import TYPE_CHECKING, Any

from .chat_models import ChatZZZ
from .embeddings import ZZZEmbeddings
from .rerank import ZZZRerank

if TYPE_CHECKING:
    from .cost import ZZZCostCallbackHandler, zzz_cost
    from .llms import ZZZ

__all__ = ["ChatZZZ", "ZZZ", "ZZZCostCallbackHandler", "ZZZEmbeddings", "ZZZRerank", "zzz_cost"]


def __getattr__(name: str) -> Any:
    # The completions model is loaded on first use: its base class brings
    # langchain_core's BaseLLM with yaml and tenacity, which chat users never need.
    if name == "ZZZ":
        from .llms import ZZZ

        return ZZZ
    if name in ("zzz_cost", "ZZZCostCallbackHandler"):
        from . import cost

        return getattr(cost, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
