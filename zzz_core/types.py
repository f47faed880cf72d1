"""Plain result types shared by both skins.

These are ``slots`` dataclasses, not pydantic models: the decoders build one or
more of them per streamed chunk, and constructing a pydantic model per chunk is
exactly the cost this project exists to avoid.  Each type keeps the decoded JSON
it came from in ``raw`` (where there is one) so nothing the gateway sent is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Balance",
    "ChatChoice",
    "ChatChunk",
    "ChatResult",
    "CompletionChoice",
    "CompletionChunk",
    "CompletionResult",
    "EmbeddingResult",
    "ModelInfo",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
]


@dataclass(slots=True)
class Usage:
    """Token counts of one call; ``None`` where the gateway did not say."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int | None = None
    """``prompt_tokens_details.cached_tokens`` (or DeepSeek's ``prompt_cache_hit_tokens``)."""
    reasoning_tokens: int | None = None
    """``completion_tokens_details.reasoning_tokens``."""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ToolCallDelta:
    """One streamed fragment of a tool call, with its index already resolved.

    Relays omit ``index``, repeat ``id`` or send whole calls at once; the
    accumulator (``zzz_core.tool_calls``) turns whatever arrived into these.
    ``id`` and ``name`` are set only on the fragment that first carries them.
    """

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(slots=True)
class ToolCall:
    """A complete tool call.

    ``arguments`` is the raw JSON text exactly as received.  ``args`` is the
    parsed object when it parsed, else ``None`` with the reason in ``error``:
    invalid arguments are reported, never dropped.
    """

    id: str
    name: str
    arguments: str
    index: int = 0
    args: dict[str, Any] | None = None
    error: str | None = None
    extra: dict[str, Any] | None = None
    """The call's ``extra_content`` as received (Gemini's ``thought_signature``); it must go
    back verbatim on the next turn (``zzz_core.signatures``)."""


@dataclass(slots=True)
class ChatChoice:
    """One choice of a non-streamed chat completion (all ``n`` are kept)."""

    index: int = 0
    role: str = "assistant"
    content: str | None = None
    reasoning: str | None = None
    """Reasoning text, from ``reasoning_content``, ``reasoning`` or ``<think>`` tags."""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    logprobs: dict[str, Any] | None = None
    refusal: str | None = None
    reasoning_details: list[dict[str, Any]] | None = None
    """OpenRouter-style ``reasoning_details`` (stream fragments merged), to send back unchanged."""
    thinking_blocks: list[dict[str, Any]] | None = None
    """Claude ``thinking_blocks`` as LiteLLM-based relays send them (merged), to send back unchanged."""


@dataclass(slots=True)
class ChatResult:
    """A decoded chat completion."""

    choices: list[ChatChoice]
    id: str | None = None
    model: str | None = None
    created: int | None = None
    usage: Usage | None = None
    system_fingerprint: str | None = None
    host: str | None = None
    """The gateway host that answered (after any mirror failover)."""
    raw: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    """The gateway's id of this call (new-api's ``X-Oneapi-Request-Id``, else ``X-Request-Id``)."""
    headers: dict[str, str] = field(default_factory=dict)
    """The response's headers, lower-cased, without cookies (``zzz_core.headers.safe_headers``)."""
    cost: Any = None
    """What the call cost (a :class:`zzz_core.pricing.CallCost`), or ``None`` when no price is known;
    set by :func:`zzz_core.pricing.priced` from ``usage``."""


@dataclass(slots=True)
class ChatChunk:
    """What one SSE event contributes to one choice of a streamed chat.

    A usage-only final event yields a chunk with empty text and ``usage`` set.
    ``id``/``model``/``system_fingerprint`` are copied from the event when present.
    """

    index: int = 0
    content: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCallDelta] = field(default_factory=list)
    finish_reason: str | None = None
    logprobs: dict[str, Any] | None = None
    usage: Usage | None = None
    id: str | None = None
    model: str | None = None
    system_fingerprint: str | None = None
    role: str | None = None


@dataclass(slots=True)
class CompletionChoice:
    """One choice of a ``/v1/completions`` call."""

    index: int = 0
    text: str = ""
    finish_reason: str | None = None
    logprobs: dict[str, Any] | None = None


@dataclass(slots=True)
class CompletionResult:
    choices: list[CompletionChoice]
    id: str | None = None
    model: str | None = None
    usage: Usage | None = None
    host: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cost: Any = None
    """What the call cost (a :class:`zzz_core.pricing.CallCost`), or ``None`` when no price is known;
    set by :func:`zzz_core.pricing.priced` from ``usage``."""


@dataclass(slots=True)
class CompletionChunk:
    index: int = 0
    text: str = ""
    finish_reason: str | None = None
    logprobs: dict[str, Any] | None = None
    usage: Usage | None = None
    id: str | None = None
    model: str | None = None


@dataclass(slots=True)
class EmbeddingResult:
    """Vectors in input order, whatever order the gateway listed them in."""

    vectors: list[list[float]]
    model: str | None = None
    usage: Usage | None = None
    host: str | None = None
    request_id: str | None = None
    """The request id of the first batch's response (see ``ChatResult.request_id``)."""
    headers: dict[str, str] = field(default_factory=dict)
    cost: Any = None
    """What the call cost (a :class:`zzz_core.pricing.CallCost`), or ``None`` when no price is known;
    set by :func:`zzz_core.pricing.priced` from ``usage``."""


@dataclass(slots=True)
class RerankHit:
    """One ranked document of a ``/v1/rerank`` call."""

    index: int
    """Position of the document in the list the caller passed (after any batching)."""
    relevance_score: float
    """The model's score; higher is more relevant.  Comparable within one model only."""
    text: str | None
    """The document's text: the string passed, or an object's ``"text"`` (``None`` if it has none)."""
    document: Any = None
    """The document exactly as the caller passed it (a string or an object)."""


@dataclass(slots=True)
class RerankResult:
    """Ranked documents, best first; ties keep the documents' original order."""

    results: list[RerankHit]
    model: str | None = None
    usage: Usage | None = None
    host: str | None = None
    requests: int = 1
    """Requests sent (more than one when the documents were batched)."""
    cost: Any = None
    """What the call cost (a :class:`zzz_core.pricing.CallCost`), or ``None`` when no price is known;
    set by the skins (:func:`zzz_core.pricing.priced`) from the usage summed over batches."""


@dataclass(slots=True)
class ModelInfo:
    """One entry of ``GET /v1/models``."""

    id: str
    owned_by: str | None = None
    created: int | None = None
    supported_endpoint_types: list[str] = field(default_factory=list)
    """new-api's per-model list, e.g. ``["openai", "anthropic"]``; empty when not sent."""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Balance:
    """Account balance, in one shape for every gateway.

    ``remaining`` is what can still be spent.  ``currency`` is a best guess:
    智增增 does not document it (its users treat it as CNY); new-api reports USD
    unless the operator configured otherwise.
    """

    remaining: float
    gateway: str
    currency: str | None = None
    total: float | None = None
    used: float | None = None
    unlimited: bool = False
    raw: dict[str, Any] = field(default_factory=dict)
