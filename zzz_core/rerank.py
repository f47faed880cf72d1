"""Rerank requests: validation, batching and the merge of batched scores (pure; no I/O).

:meth:`zzz_core.Gateway.rerank` sends what :func:`plan_rerank` builds through the
one retry loop and decodes each answer with
:func:`zzz_core.decode.parse_rerank_response`; this module decides what is sent
and how the answers become one ranking.

Rules (documented in ``docs/rerank.md``):

* ``top_n`` larger than the number of documents means "all of them": it is
  clamped before sending, since some upstreams answer 400 to it.
* Ties are broken by the documents' original order, so a ranking is stable.
* When the model's profile (``max_documents``) or the gateway's preset
  (``rerank_max_documents``) limits the documents per request, the list is sent
  in batches of that size.  A batch needs to return only its own ``top_n``: the
  overall best ``top_n`` are among them.  Cross-encoder scores are absolute (one
  score per query-document pair), so scores of different batches are comparable
  and are merged into one order.
* An empty document list sends nothing and ranks nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._local_errors import InvalidInputError
from .presets import PRESETS
from .profiles import get_profile
from .types import RerankResult, Usage

__all__ = ["RERANK_PATH", "RerankBatch", "RerankPlan", "batch_limit", "merge_rerank", "plan_rerank"]

RERANK_PATH = "/rerank"


@dataclass(frozen=True, slots=True)
class RerankBatch:
    """One request: its body, the documents it carries and where they start in the caller's list."""

    body: dict[str, Any]
    documents: list[Any]
    offset: int


@dataclass(frozen=True, slots=True)
class RerankPlan:
    model: str
    top_n: int | None
    """The clamped ``top_n`` (``None``: every document)."""
    batches: tuple[RerankBatch, ...]


def batch_limit(model: str, gateway: str, override: int | None = None) -> int | None:
    """Documents per request: ``override``, else the smaller of the model's profile
    (``max_documents``) and the gateway preset's (``rerank_max_documents``) limits."""
    if override is not None:
        if isinstance(override, bool) or not isinstance(override, int) or override < 1:
            raise InvalidInputError(f"max_documents must be a positive int, not {override!r}")
        return override
    preset = PRESETS.get(gateway)
    limits = [get_profile(model).max_documents, preset.rerank_max_documents if preset else None]
    known = [n for n in limits if n is not None]
    return min(known) if known else None


def plan_rerank(
    query: str,
    documents: Sequence[Any],
    *,
    model: str,
    gateway: str = "custom",
    top_n: int | None = None,
    return_documents: bool = False,
    max_documents: int | None = None,
    extra_body: dict[str, Any] | None = None,
) -> RerankPlan:
    """Validate a rerank call and split it into the requests to send.

    Args:
        query: What the documents are ranked against; must not be blank.
        documents: Strings, or objects (``{"text": ...}``) passed through as they are.
        model: The rerank model, any name the relay serves.
        gateway: The preset name of the configuration (for its batch limit).
        top_n: How many of the best to return (``None``: all).
        return_documents: Sent on as is; the results carry the text either way.
        max_documents: Documents per request, overriding the profile and preset.
        extra_body: More body fields (``max_chunk_per_doc``, ``overlap_tokens``, ...).

    Raises:
        InvalidInputError: a blank query or model, documents that are not a list of
            strings or objects (positions named), a ``top_n`` below 1.
    """
    if not isinstance(model, str) or not model.strip():
        raise InvalidInputError("rerank needs a model name, e.g. model='bge-reranker-v2-m3'")
    if not isinstance(query, str) or not query.strip():
        raise InvalidInputError("rerank needs a non-empty query string")
    if isinstance(documents, (str, bytes)) or not isinstance(documents, Sequence):
        raise InvalidInputError(f"documents must be a list of strings or objects, not {type(documents).__name__}")
    docs = list(documents)
    bad = [i for i, d in enumerate(docs) if not isinstance(d, (str, dict))]
    if bad:
        raise InvalidInputError(
            f"documents at positions {bad[:10]} are neither strings nor objects (got {type(docs[bad[0]]).__name__}); "
            "pass each document's text"
        )
    if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1):
        raise InvalidInputError(f"top_n must be a positive int or None, not {top_n!r}")
    if top_n is not None:
        top_n = min(top_n, len(docs))
    size = batch_limit(model, gateway, max_documents) or max(len(docs), 1)
    batches = []
    for start in range(0, len(docs), size):
        part = docs[start : start + size]
        body: dict[str, Any] = {**(extra_body or {}), "model": model, "query": query, "documents": part}
        if top_n is not None:
            body["top_n"] = min(top_n, len(part))
        body["return_documents"] = bool(return_documents)
        batches.append(RerankBatch(body, part, start))
    return RerankPlan(model, top_n, tuple(batches))


def merge_rerank(plan: RerankPlan, parts: Sequence[RerankResult]) -> RerankResult:
    """One ranking from the answers of a plan's batches: best first, ties in original
    order, cut to ``top_n``; usage summed."""
    hits = [hit for part in parts for hit in part.results]
    hits.sort(key=lambda h: (-h.relevance_score, h.index))
    if plan.top_n is not None:
        hits = hits[: plan.top_n]
    usages = [p.usage for p in parts if p.usage is not None]
    usage = None
    if len(usages) == 1:
        usage = usages[0]
    elif usages:
        usage = Usage(
            prompt_tokens=sum(u.prompt_tokens for u in usages),
            completion_tokens=sum(u.completion_tokens for u in usages),
            total_tokens=sum(u.total_tokens for u in usages),
        )
    first = parts[0] if parts else None
    return RerankResult(
        hits,
        model=(first.model if first else None) or plan.model,
        usage=usage,
        host=first.host if first else None,
        requests=len(parts),
    )
