"""The simulated ``POST /v1/rerank``: new-api's Jina-format answer, with meaningful scores.

A document's score reads the query against the whole passage, with the same hashed
features as the simulator's embeddings (:mod:`zzz_testing.embeddings`): mostly how
much of the query's feature weight the passage covers, a little of their cosine,
squashed to (0, 1) the way cross-encoder scores look.  Coverage is not diluted by
what else a passage says, while the embeddings' cosine is; so a long passage that
answers the question can rank low in vector retrieval and first after reranking,
which is exactly what a retrieve-then-rerank test wants to watch.  Equal documents
get equal scores; ties keep the documents' order.

Which dialect serves it: new-api does (its router sends ``/v1/rerank`` to Jina,
Cohere, SiliconFlow, Xinference and Ali upstreams); 智增增 documents no rerank, so
in the ``zhizengzeng`` dialect the route answers 404 like any unknown one unless
the simulator is built with ``rerank=True``.  ``rerank_max_documents=N`` makes it
answer 400 to more than N documents, as size-limited upstreams do.

Request (new-api ``dto/rerank.go``): ``model``, ``query``, ``documents`` (strings,
or objects whose ``text`` is ranked), ``top_n``, ``return_documents`` (default true,
as Jina's).  Answer::

    {"results": [{"index": 2, "relevance_score": 0.91, "document": {"text": "..."}}, ...],
     "usage": {"prompt_tokens": 120, "completion_tokens": 0, "total_tokens": 120}}
"""

from __future__ import annotations

import json
import math
from typing import Any

from . import answers, embeddings

__all__ = ["RerankRejected", "rerank_answer", "relevance"]

_DIMENSIONS = 1536
_COVERAGE_WEIGHT = 0.85  # the rest is the cosine, which orders passages that cover equally
# The squash: nothing shared -> about 0.02, the query fully covered -> about 0.95.
_STEEPNESS = 8.0
_MIDPOINT = 0.5


class RerankRejected(ValueError):
    """A request new-api answers with ``invalid_request`` (its own message texts)."""


def relevance(query: str, text: str) -> float:
    """The simulated cross-encoder score of ``text`` for ``query``, in (0, 1)."""
    cos = embeddings.cosine(embeddings.embed(query, _DIMENSIONS), embeddings.embed(text, _DIMENSIONS))
    x = _COVERAGE_WEIGHT * embeddings.coverage(query, text, _DIMENSIONS) + (1.0 - _COVERAGE_WEIGHT) * cos
    return round(1.0 / (1.0 + math.exp(-_STEEPNESS * (x - _MIDPOINT))), 6)


def _text(document: Any) -> str:
    if isinstance(document, str):
        return document
    if isinstance(document, dict) and isinstance(document.get("text"), str):
        return document["text"]
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


def rerank_answer(body: Any, max_documents: int | None = None) -> dict[str, Any]:
    """The response body for a rerank request.

    Raises:
        RerankRejected: no model, an empty query or document list (new-api's
            ``query is empty`` / ``documents is empty``), a bad ``top_n``, or more
            documents than ``max_documents``.
    """
    if not isinstance(body, dict) or not isinstance(body.get("model"), str) or not body["model"]:
        raise RerankRejected("model is required")
    query = body.get("query")
    if not isinstance(query, str) or not query:
        raise RerankRejected("query is empty")
    documents = body.get("documents")
    if not isinstance(documents, list) or not documents:
        raise RerankRejected("documents is empty")
    if max_documents is not None and len(documents) > max_documents:
        raise RerankRejected(f"too many documents: {len(documents)} (at most {max_documents} per request)")
    top_n = body.get("top_n")
    if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1):
        raise RerankRejected("top_n must be a positive integer")
    texts = [_text(d) for d in documents]
    scored = sorted(((relevance(query, t), i) for i, t in enumerate(texts)), key=lambda p: (-p[0], p[1]))
    if top_n is not None:
        scored = scored[:top_n]
    with_docs = body.get("return_documents") is not False
    results = []
    for score, index in scored:
        item: dict[str, Any] = {"index": index, "relevance_score": score}
        if with_docs:
            item["document"] = {"text": texts[index]}
        results.append(item)
    q = answers.count_tokens(query)
    tokens = max(1, sum(q + answers.count_tokens(t) for t in texts))
    return {"results": results, "usage": {"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens}}
