"""Embedding items of one text each, packed into one request and split back per item.

A RAG ingestion is usually one line per chunk (``{"input": "…"}``).  Sending each as its own
request would pay a round trip per chunk where the gateway takes hundreds at once, so the
runner packs consecutive items that differ only in their text (same model, same parameters)
into one ``input`` list, and records each item's own answer: its vector, under ``index`` 0,
as if it had been sent alone.  The usage of the request is shared out by text length (the
shares add up to the request's count exactly).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .inputs import BulkItem

__all__ = ["pack_key", "packed_body", "split_answer"]


def pack_key(item: BulkItem) -> str | None:
    """Items with the same key can share a request; ``None``: this item goes alone."""
    if item.kind != "embeddings" or not isinstance(item.body.get("input"), str):
        return None
    return json.dumps({k: v for k, v in item.body.items() if k != "input"}, sort_keys=True, ensure_ascii=False)


def packed_body(items: Sequence[BulkItem]) -> dict[str, Any]:
    return {**items[0].body, "input": [item.body["input"] for item in items]}


def split_answer(payload: dict[str, Any], items: Sequence[BulkItem]) -> list[dict[str, Any]]:
    """One answer body per item, in the items' order (``data`` is matched by ``index``)."""
    data = sorted(payload["data"], key=lambda d: d.get("index", 0))
    usage = payload.get("usage") if isinstance(payload.get("usage"), dict) else None
    shares = _shares(usage, [len(item.body["input"]) for item in items]) if usage else [None] * len(items)
    rest = {k: v for k, v in payload.items() if k not in ("data", "usage")}
    out = []
    for entry, share in zip(data, shares, strict=True):
        body = {**rest, "data": [{**entry, "index": 0}]}
        if share is not None:
            body["usage"] = {"prompt_tokens": share, "total_tokens": share}
        out.append(body)
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
