"""Gateway payloads -> result types, the stream assemblers, and the balance answers.

Why: both skins need the same answers from the same JSON, and the stream
assembler is the per-chunk hot loop, so it works on plain dicts from
``json.loads`` and builds one slots dataclass per choice per event -- no
pydantic, no regex.  The caller has already ruled out error payloads.

Usage in streams is delivered on exactly one chunk, because both frameworks sum
the usage of the chunks they merge: a usage-only event (``choices: []``) or an
event with a ``finish_reason`` carries it; usage seen on other events (relays
that repeat cumulative usage on every chunk) is held, latest wins, and is
delivered by ``finish()`` if nothing else did.  ``result()`` reports the latest
usage seen.
"""

from __future__ import annotations

import array
import base64
import sys
from typing import Any, cast

from zzz_core.reasoning import ThinkSplitter, extract_reasoning, split_think
from zzz_core.signatures import ReasoningDetailsMerger, ThinkingBlocksMerger
from zzz_core.tool_calls import ToolCallAccumulator, parse_tool_calls
from zzz_core.types import (
    Balance,
    ChatChoice,
    ChatChunk,
    ChatResult,
    CompletionChoice,
    CompletionChunk,
    CompletionResult,
    EmbeddingResult,
    ModelInfo,
    RerankHit,
    RerankResult,
    ToolCallDelta,
    Usage,
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


def _text(content: Any) -> str | None:
    """Content as a string: joins ``[{"type": "text", "text": ...}]`` parts."""
    if content is None or content.__class__ is str:
        return content
    if isinstance(content, list):
        return "".join(p if isinstance(p, str) else _part_text(p) for p in content)
    return str(content)


def _part_text(part: Any) -> str:
    if isinstance(part, dict) and part.get("type", "text") == "text" and isinstance(part.get("text"), str):
        return part["text"]
    return ""


def _int_or_none(value: Any) -> int | None:
    return value if value.__class__ is int else None


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


def _details(value: Any) -> list[dict[str, Any]] | None:
    if not isinstance(value, list):
        return None
    return [item for item in value if isinstance(item, dict)] or None


class TextParts:
    """The text pieces of one stream, joined into a block every 1,024 pieces.

    A str per piece costs ~50 bytes of header on top of its few characters; joining
    in blocks keeps memory near the text's own size, and the work linear.
    """

    __slots__ = ("_blocks", "_parts")

    BLOCK = 1024

    def __init__(self) -> None:
        self._blocks: list[str] = []
        self._parts: list[str] = []

    def append(self, text: str) -> None:
        parts = self._parts
        parts.append(text)
        if len(parts) >= self.BLOCK:
            self._blocks.append("".join(parts))
            parts.clear()

    def __bool__(self) -> bool:
        return bool(self._parts or self._blocks)

    def text(self) -> str:
        if not self._blocks:
            return "".join(self._parts)
        return "".join(self._blocks) + "".join(self._parts)


class _Choice:
    __slots__ = ("content", "finish", "logprobs")

    def __init__(self) -> None:
        self.content = TextParts()
        self.logprobs: list[Any] = []
        self.finish: str | None = None


class _ChatChoice(_Choice):
    __slots__ = ("blocks", "details", "reasoning", "refusal", "role", "think", "tools")

    def __init__(self) -> None:
        super().__init__()
        self.reasoning = TextParts()
        self.refusal: list[str] = []
        self.role: str | None = None
        self.think: ThinkSplitter | None = ThinkSplitter()  # dropped once it passes text through
        self.tools: ToolCallAccumulator | None = None
        self.details: ReasoningDetailsMerger | None = None  # only for relays that send reasoning_details
        self.blocks: ThinkingBlocksMerger | None = None  # only for relays that send thinking_blocks


class _StreamBase:
    """What both assemblers track besides the shape of their chunks."""

    __slots__ = (
        "_choices",
        "_created",
        "_delivered",
        "_finished",
        "_id",
        "_model",
        "_saw_finish",
        "_usage",
        "_usage_sent",
    )

    def __init__(self) -> None:
        self._choices: dict[int, Any] = {}
        self._id: str | None = None
        self._model: str | None = None
        self._created: int | None = None
        self._usage: Usage | None = None
        self._usage_sent = False
        self._delivered = False
        self._saw_finish = False
        self._finished = False

    @property
    def delivered(self) -> bool:
        """True once any text, reasoning or tool-call fragment has been produced."""
        return self._delivered

    @property
    def saw_finish_reason(self) -> bool:
        """True once any choice has reported a ``finish_reason``."""
        return self._saw_finish

    def content_so_far(self, index: int = 0) -> str:
        """The text delivered so far for a choice (joined on demand)."""
        st = self._choices.get(index)
        return st.content.text() if st is not None else ""

    def _header(self, payload: dict[str, Any]) -> tuple[str | None, str | None, Usage | None]:
        """Record id/model/created; return (id, model, usage to deliver with this event)."""
        pid = payload.get("id") or None
        model = payload.get("model") or None
        # Every event repeats id and model; the chunks share the first string object
        # instead of each keeping its own copy (frameworks keep every chunk of a stream).
        if pid is not None:
            if self._id is None:
                self._id = pid
            elif pid == self._id:
                pid = self._id
        if self._created is None:
            self._created = _int_or_none(payload.get("created"))
        if model is not None:
            if model == self._model:
                model = self._model
            else:
                self._model = model
        raw_usage = payload.get("usage")
        if not raw_usage:
            return pid, model, None
        usage = parse_usage(raw_usage)
        if usage is None:
            return pid, model, None
        self._usage = usage
        if self._usage_sent:
            return pid, model, None
        choices = payload.get("choices")
        if not choices or any(isinstance(c, dict) and c.get("finish_reason") for c in choices):
            self._usage_sent = True
            return pid, model, usage
        return pid, model, None  # held: a relay repeating usage on every chunk

    def _held_usage(self) -> Usage | None:
        if self._usage is None or self._usage_sent:
            return None
        self._usage_sent = True
        return self._usage


class ChatStreamAssembler(_StreamBase):
    """Turns the decoded ``data:`` objects of one chat stream into chunks and a result."""

    __slots__ = ("_fingerprint",)

    def __init__(self) -> None:
        super().__init__()
        self._fingerprint: str | None = None

    def feed(self, payload: dict[str, Any]) -> list[ChatChunk]:
        """Decode one stream event.

        Args:
            payload: The JSON object of one ``data:`` line.

        Returns:
            One chunk per choice in the event, or one usage-only chunk for a
            usage event without choices.
        """
        pid, model, usage = self._header(payload)
        fingerprint = payload.get("system_fingerprint")
        if fingerprint is not None:
            self._fingerprint = fingerprint
        out: list[ChatChunk] = []
        for c in payload.get("choices") or ():
            index = c.get("index")
            if index.__class__ is not int:
                index = 0
            st = self._choices.get(index)
            if st is None:
                st = self._choices[index] = _ChatChoice()
            delta = c.get("delta") or {}
            text = delta.get("content") or ""
            reasoning = extract_reasoning(delta) or ""
            if text:
                if text.__class__ is not str:
                    text = _text(text) or ""
                sp = st.think
                if sp is not None:
                    text, think = sp.feed(text)
                    if think:
                        reasoning += think
                    if sp.passthrough:
                        st.think = None
                if text:
                    st.content.append(text)
            if reasoning:
                st.reasoning.append(reasoning)
            deltas: list[ToolCallDelta] = []
            raw_calls = delta.get("tool_calls")
            if raw_calls:
                if st.tools is None:
                    st.tools = ToolCallAccumulator()
                deltas = st.tools.feed(raw_calls)
            raw_details = delta.get("reasoning_details")
            if raw_details:
                if st.details is None:
                    st.details = ReasoningDetailsMerger()
                st.details.feed(raw_details)
            raw_blocks = delta.get("thinking_blocks")
            if raw_blocks:
                if st.blocks is None:
                    st.blocks = ThinkingBlocksMerger()
                st.blocks.feed(raw_blocks)
            if text or reasoning or deltas:
                self._delivered = True
            role = delta.get("role")
            if role:
                st.role = role
            refusal = delta.get("refusal")
            if refusal and isinstance(refusal, str):
                st.refusal.append(refusal)
            finish = c.get("finish_reason")
            if finish:
                st.finish = finish
                self._saw_finish = True
            logprobs = c.get("logprobs")
            if logprobs:
                st.logprobs.append(logprobs)
            out.append(
                ChatChunk(
                    index=index,
                    content=text,
                    reasoning=reasoning,
                    tool_calls=deltas,
                    finish_reason=finish,
                    logprobs=logprobs,
                    usage=usage,
                    id=pid,
                    model=model,
                    system_fingerprint=fingerprint,
                    role=role,
                )
            )
            usage = None  # one chunk carries it
        if usage is not None:
            out.append(ChatChunk(usage=usage, id=pid, model=model, system_fingerprint=fingerprint))
        return out

    def finish(self) -> list[ChatChunk]:
        """End of stream: release text held by ``<think>`` splitters, the ids of tool calls
        that never got one, and held usage.

        Returns:
            Chunks for any buffered text, one per choice whose tool calls were given an id
            here (``call_<index>``, see :meth:`ToolCallAccumulator.close`), and a usage-only
            chunk if usage was seen but not yet delivered.  Empty on a second call.
        """
        if self._finished:
            return []
        self._finished = True
        out = []
        for index, st in self._choices.items():
            if st.think is not None:
                text, reasoning = st.think.flush()
                st.think = None
                if text:
                    st.content.append(text)
                if reasoning:
                    st.reasoning.append(reasoning)
                if text or reasoning:
                    self._delivered = True
                    out.append(
                        ChatChunk(index=index, content=text, reasoning=reasoning, id=self._id, model=self._model)
                    )
            named = st.tools.close() if st.tools is not None else []
            if named:
                out.append(ChatChunk(index=index, tool_calls=named, id=self._id, model=self._model))
        usage = self._held_usage()
        if usage is not None:
            out.append(ChatChunk(usage=usage, id=self._id, model=self._model))
        return out

    def result(self, host: str | None = None) -> ChatResult:
        """The aggregate of everything fed (calls :meth:`finish` if not done).

        Args:
            host: The gateway host that answered.

        Returns:
            Full content, reasoning, tool calls and finish reason per choice,
            with the latest usage seen.
        """
        self.finish()
        choices = [
            ChatChoice(
                index=index,
                role=st.role or "assistant",
                content=st.content.text() if st.content else None,
                reasoning=st.reasoning.text().strip() or None,
                tool_calls=st.tools.finish() if st.tools is not None else [],
                finish_reason=st.finish,
                logprobs=_merge_logprobs(st.logprobs),
                refusal="".join(st.refusal) or None,
                reasoning_details=st.details.result() if st.details is not None else None,
                thinking_blocks=st.blocks.result() if st.blocks is not None else None,
            )
            for index, st in sorted(self._choices.items())
        ]
        return ChatResult(choices, self._id, self._model, self._created, self._usage, self._fingerprint, host)


def _merge_logprobs(parts: list[Any]) -> dict[str, Any] | None:
    """Concatenate the token lists of streamed logprobs (chat or completion shape)."""
    if not parts:
        return None
    merged: dict[str, Any] = {}
    for part in parts:
        if not isinstance(part, dict):
            continue
        for key, value in part.items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged.setdefault(key, value)
    return merged


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


class CompletionStreamAssembler(_StreamBase):
    """Turns the decoded events of one ``/v1/completions`` stream into chunks and a result."""

    __slots__ = ()

    def feed(self, payload: dict[str, Any]) -> list[CompletionChunk]:
        """Decode one stream event.

        Args:
            payload: The JSON object of one ``data:`` line.

        Returns:
            One chunk per choice, or one usage-only chunk for a usage event.
        """
        pid, model, usage = self._header(payload)
        out: list[CompletionChunk] = []
        for c in payload.get("choices") or ():
            index = c.get("index")
            if index.__class__ is not int:
                index = 0
            st = self._choices.get(index)
            if st is None:
                st = self._choices[index] = _Choice()
            text = c.get("text") or ""
            if text:
                if text.__class__ is not str:
                    text = _text(text) or ""
                st.content.append(text)
                self._delivered = True
            finish = c.get("finish_reason")
            if finish:
                st.finish = finish
                self._saw_finish = True
            logprobs = c.get("logprobs")
            if logprobs:
                st.logprobs.append(logprobs)
            out.append(
                CompletionChunk(
                    index=index, text=text, finish_reason=finish, logprobs=logprobs, usage=usage, id=pid, model=model
                )
            )
            usage = None
        if usage is not None:
            out.append(CompletionChunk(usage=usage, id=pid, model=model))
        return out

    def finish(self) -> list[CompletionChunk]:
        """End of stream: a usage-only chunk if usage was held, else nothing."""
        if self._finished:
            return []
        self._finished = True
        usage = self._held_usage()
        return [CompletionChunk(usage=usage, id=self._id, model=self._model)] if usage else []

    def result(self, host: str | None = None) -> CompletionResult:
        """The aggregate of everything fed.

        Args:
            host: The gateway host that answered.

        Returns:
            Full text and finish reason per choice, with the latest usage seen.
        """
        self.finish()
        choices = [
            CompletionChoice(index, st.content.text(), st.finish, _merge_logprobs(st.logprobs))
            for index, st in sorted(self._choices.items())
        ]
        return CompletionResult(choices=choices, id=self._id, model=self._model, usage=self._usage, host=host)


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
