"""Gateway payloads -> result types: chat, completion, embedding, models, rerank and balance answers.

Why: both skins need the same answers from the same JSON; the decoders are pure (plain
dicts from ``json.loads`` in, slots dataclasses out).  The caller has already ruled out
error payloads.  The stream assemblers live in :mod:`zzz_core.assemblers` and are
importable from here too.
"""

from __future__ import annotations

import array
import base64
import sys
from typing import Any, cast

from zzz_core._json_fields import content_text as _text
from zzz_core._json_fields import dict_items as _details
from zzz_core._json_fields import int_or_none as _int_or_none
from zzz_core.assemblers import ChatStreamAssembler, CompletionStreamAssembler
from zzz_core.reasoning import extract_reasoning, split_think
from zzz_core.tool_calls import parse_tool_calls
from zzz_core.types import (
    Balance,
    ChatChoice,
    ChatResult,
    CompletionChoice,
    CompletionResult,
    EmbeddingResult,
    ModelInfo,
    RerankHit,
    RerankResult,
)
from zzz_core.usage import parse_usage

__all__ = [
    "ChatStreamAssembler",
    "CompletionStreamAssembler",
    "balance_from_credit_grants",
    "balance_from_subscription",
    "parse_chat_response",
    "parse_completion_response",
    "parse_embedding_response",
    "parse_models",
    "parse_rerank_response",
    "rerank_text",
]


def _index(choice: dict[str, Any], default: int) -> int:
    index = choice.get("index")
    return index if index.__class__ is int else default


def parse_chat_response(payload: dict[str, Any], host: str | None = None) -> ChatResult:
    """Decode a non-streamed chat completion.

    Args:
        payload: The response JSON (already known not to be an error).
        host: The gateway host that answered.

    Returns:
        All choices, with reasoning from ``reasoning_content``/``reasoning`` or
        else a leading ``<think>`` block, tool calls validated, usage parsed.
    """
    choices = []
    for position, c in enumerate(payload.get("choices") or ()):
        if not isinstance(c, dict):
            continue
        msg = c.get("message") or c.get("delta") or {}
        content = _text(msg.get("content"))
        reasoning = extract_reasoning(msg)
        if reasoning is None and content:
            content, reasoning = split_think(content)
        raw_calls = msg.get("tool_calls")
        if not raw_calls and isinstance(msg.get("function_call"), dict):
            raw_calls = [{"function": msg["function_call"]}]  # legacy functions API
        choices.append(
            ChatChoice(
                index=_index(c, position),
                role=msg.get("role") or "assistant",
                content=content,
                reasoning=reasoning,
                tool_calls=parse_tool_calls(raw_calls),
                finish_reason=c.get("finish_reason"),
                logprobs=c.get("logprobs"),
                refusal=msg.get("refusal"),
                reasoning_details=_details(msg.get("reasoning_details")),
                thinking_blocks=_details(msg.get("thinking_blocks")),
            )
        )
    return ChatResult(
        choices=choices,
        id=payload.get("id") or None,
        model=payload.get("model") or None,
        created=_int_or_none(payload.get("created")),
        usage=parse_usage(payload.get("usage")),
        system_fingerprint=payload.get("system_fingerprint"),
        host=host,
        raw=payload,
    )


def parse_completion_response(payload: dict[str, Any], host: str | None = None) -> CompletionResult:
    """Decode a non-streamed ``/v1/completions`` response.

    Args:
        payload: The response JSON (already known not to be an error).
        host: The gateway host that answered.

    Returns:
        All choices with their text, finish reason and logprobs, and usage.
    """
    choices = [
        CompletionChoice(_index(c, position), _text(c.get("text")) or "", c.get("finish_reason"), c.get("logprobs"))
        for position, c in enumerate(payload.get("choices") or ())
        if isinstance(c, dict)
    ]
    usage = parse_usage(payload.get("usage"))
    return CompletionResult(choices, payload.get("id") or None, payload.get("model") or None, usage, host, payload)


def _vector(value: Any) -> list[float]:
    if isinstance(value, str):
        floats = array.array("f")
        floats.frombytes(base64.b64decode(value, validate=True))
        if sys.byteorder == "big":
            floats.byteswap()
        return floats.tolist()
    if isinstance(value, list):
        return value
    raise ValueError(f"embedding is neither a list nor a base64 string: {type(value).__name__}")


def parse_embedding_response(
    payload: dict[str, Any], expected: int | None = None, host: str | None = None
) -> EmbeddingResult:
    """Decode an ``/v1/embeddings`` response into vectors in input order.

    Items are ordered by their ``index`` when the indices are exactly
    ``0..n-1``; otherwise (relays that number every item 0) list order is kept.

    Args:
        payload: The response JSON (already known not to be an error).
        expected: The number of inputs sent, if the count should be checked.
        host: The gateway host that answered.

    Returns:
        The vectors (base64 ``embedding`` strings decoded as little-endian
        float32), model and usage.

    Raises:
        ValueError: The count differs from ``expected`` (relays answer an
            empty ``data`` with HTTP 200), or an item has no usable embedding.
    """
    data = payload.get("data")
    items = [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []
    if expected is not None and len(items) != expected:
        raise ValueError(f"the gateway returned {len(items)} embeddings for {expected} inputs")
    indices = [item.get("index") for item in items]
    if sorted(i for i in indices if i.__class__ is int) == list(range(len(items))):  # so all are ints
        items = [item for _, item in sorted(zip(indices, items, strict=True), key=lambda pair: cast(int, pair[0]))]
    vectors = []
    for position, item in enumerate(items):
        if "embedding" not in item:
            raise ValueError(f"embedding item {position} has no 'embedding'")
        vectors.append(_vector(item["embedding"]))
    return EmbeddingResult(vectors, payload.get("model") or None, parse_usage(payload.get("usage")), host)


def parse_models(payload: dict[str, Any]) -> list[ModelInfo]:
    """Decode ``GET /v1/models`` (OpenAI list shape, with new-api's extras).

    Args:
        payload: The response JSON; a bare list of model objects is accepted too.

    Returns:
        One :class:`ModelInfo` per entry that has an ``id``, in listed order.
    """
    data = payload.get("data") if isinstance(payload, dict) else payload
    out = []
    for item in data if isinstance(data, list) else ():
        if not isinstance(item, dict) or not item.get("id"):
            continue
        types = item.get("supported_endpoint_types")
        types = [t for t in types if isinstance(t, str)] if isinstance(types, list) else []
        out.append(ModelInfo(str(item["id"]), item.get("owned_by"), _int_or_none(item.get("created")), types, item))
    return out


def rerank_text(document: Any) -> str | None:
    """The text of a rerank document: a string, or an object's ``"text"``."""
    if isinstance(document, str):
        return document
    text = document.get("text") if isinstance(document, dict) else None
    return text if isinstance(text, str) else None


def parse_rerank_response(
    payload: dict[str, Any], documents: list[Any], *, offset: int = 0, host: str | None = None
) -> RerankResult:
    """Decode a ``/v1/rerank`` response (Jina's shape, which new-api answers for every upstream).

    Args:
        payload: The response JSON (already known not to be an error).
        documents: The documents sent in this request, to attach to the results: the
            text comes from what was sent, so ``return_documents`` is not needed.
        offset: Added to every ``index`` (the position of this batch in the caller's list).
        host: The gateway host that answered.

    Returns:
        The results, highest ``relevance_score`` first, ties in original order.

    Raises:
        ValueError: an item without an integer ``index`` in range, an index listed
            twice, or a score that is not a number.
    """
    hits: list[RerankHit] = []
    seen: set[int] = set()
    for position, item in enumerate(payload["results"]):
        index = item.get("index")
        if index.__class__ is not int or not 0 <= index < len(documents) or index in seen:
            raise ValueError(f"rerank result {position} has index {index!r} (sent {len(documents)} documents)")
        seen.add(index)
        score = item.get("relevance_score", item.get("score"))
        if score.__class__ not in (int, float):
            raise ValueError(f"rerank result {position} has relevance_score {score!r}, not a number")
        text = rerank_text(documents[index])
        if text is None:  # an object without "text": take the copy the gateway echoed, if any
            text = rerank_text(item.get("document"))
        hits.append(RerankHit(offset + index, float(score), text, documents[index]))
    hits.sort(key=lambda h: (-h.relevance_score, h.index))
    return RerankResult(hits, payload.get("model") or None, parse_usage(payload.get("usage")), host)


# ------------------------------------------------------------------ balance
def balance_from_credit_grants(payload: dict[str, Any], gateway: str) -> Balance:
    """智增增: ``{"grants": {"available_amount": "111.8658"}}`` (a string amount, CNY).

    Raises:
        ValueError: no readable amount (the caller makes it a typed error).
    """
    grants = payload.get("grants") or {}
    amount: Any = grants.get("available_amount", payload.get("total_available"))  # float() judges it
    try:
        remaining = float(amount)
    except (TypeError, ValueError):
        raise ValueError(f"balance answer without a readable available_amount (got {str(amount)[:40]!r})") from None
    return Balance(remaining=remaining, gateway=gateway, currency="CNY", raw=payload)


def balance_from_subscription(sub: dict[str, Any], usage: dict[str, Any], gateway: str) -> Balance:
    """new-api: remaining = ``hard_limit_usd`` − ``total_usage``/100 (usage is in cents, USD)."""
    total = float(sub.get("hard_limit_usd") or sub.get("system_hard_limit_usd") or 0.0)
    used = float(usage.get("total_usage") or 0.0) / 100.0
    unlimited = total >= 100_000_000
    return Balance(
        remaining=total - used,
        gateway=gateway,
        currency="USD",
        total=total,
        used=used,
        unlimited=unlimited,
        raw={"subscription": sub, "usage": usage},
    )
