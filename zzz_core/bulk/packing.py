"""Embedding items of one text each, packed into one request and split back per item.

A RAG ingestion is usually one line per chunk (``{"input": "…"}``).  Sending each as its own
request would pay a round trip per chunk where the gateway takes hundreds at once, so the
runner packs consecutive items that differ only in their text (same model, same parameters)
into one ``input`` list, and records each item's own answer: its vector, under ``index`` 0,
as if it had been sent alone.  The usage of the request is shared out by text length (the
shares add up to the request's count exactly).

The answer is split as JSON text, not as objects: each item's body is put together from the
vector's text as the gateway sent it (:mod:`.vectors`), so a float vector is never decoded
and printed again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .inputs import BulkItem
from .vectors import checked_vectors, vector_json

__all__ = ["pack_key", "packed_body", "split_answer"]

_PLAIN_OPENING = b'{"object":"embedding","index":0,"embedding":'


def pack_key(item: BulkItem) -> Any:
    """Items with equal keys can share a request; ``None``: this item goes alone.

    The key is the parameters besides ``input``, each with its type (``1`` and ``True`` differ,
    as they do on the wire), in the line's order: a line with the same parameters in another
    order only starts a new request.  Plain values need no JSON: ~1 µs a line.
    """
    body = item.body
    if item.kind != "embeddings" or body.get("input").__class__ is not str:
        return None
    key = tuple([(name, value.__class__, value) for name, value in body.items() if name != "input"])
    try:
        hash(key)
    except TypeError:  # a nested value (a list or an object): the parameters' canonical JSON
        return json.dumps({k: v for k, v in body.items() if k != "input"}, sort_keys=True, ensure_ascii=False)
    return key


def packed_body(items: Sequence[BulkItem]) -> dict[str, Any]:
    return {**items[0].body, "input": [item.body["input"] for item in items]}


def split_answer(payload: dict[str, Any], items: Sequence[BulkItem]) -> list[tuple[bytes, ...]]:
    """One answer body per item, as pieces of JSON text (joined, they are the body), in the
    items' order; the pieces are joined once, with the results lines around them.

    Raises:
        ValueError: the answer does not hold one usable vector per item (:func:`~.vectors.checked_vectors`).
    """
    entries = checked_vectors(payload, len(items))
    usage = payload.get("usage") if isinstance(payload.get("usage"), dict) else None
    shares = _shares(usage, [len(item.body["input"]) for item in items]) if usage else [None] * len(items)
    rest = {k: v for k, v in payload.items() if k not in ("data", "usage")}
    head = json.dumps(rest, ensure_ascii=False, separators=(",", ":")).encode()[:-1]
    head += b',"data":[' if rest else b'"data":['
    out: list[tuple[bytes, ...]] = []
    for entry, share in zip(entries, shares, strict=True):
        if len(entry) == 3 and entry.get("object") == "embedding" and "index" in entry:  # OpenAI's entry
            opening = _PLAIN_OPENING
        else:
            others = {**{k: v for k, v in entry.items() if k != "embedding"}, "index": 0}
            opening = json.dumps(others, ensure_ascii=False, separators=(",", ":")).encode()[:-1] + b',"embedding":'
        tail = b"}]}" if share is None else b'}],"usage":{"prompt_tokens":%d,"total_tokens":%d}}' % (share, share)
        out.append((head, opening, vector_json(entry["embedding"]), tail))
    return out


def _shares(usage: dict[str, Any], sizes: list[int]) -> list[int | None]:
    total = usage.get("total_tokens") or usage.get("prompt_tokens")
    if not isinstance(total, int):
        return [None] * len(sizes)
    weight = sum(sizes) or len(sizes)
    shares = [total * (s or 1) // weight for s in sizes] if sum(sizes) else [total // len(sizes)] * len(sizes)
    for i in range(total - sum(shares)):  # the remainder, one token each, so the shares add up
        shares[i % len(shares)] += 1
    return list(shares)
