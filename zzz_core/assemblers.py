"""The stream assemblers: the decoded ``data:`` events of one stream -> chunks and a result.

Why: this is the per-chunk hot loop, so it works on plain dicts from ``json.loads`` and
builds one slots dataclass per choice per event -- no pydantic, no regex.  The caller has
already ruled out error payloads.

Usage in streams is delivered on exactly one chunk, because both frameworks sum
the usage of the chunks they merge: a usage-only event (``choices: []``) or an
event with a ``finish_reason`` carries it; usage seen on other events (relays
that repeat cumulative usage on every chunk) is held, latest wins, and is
delivered by ``finish()`` if nothing else did.  ``result()`` reports the latest
usage seen.
"""

from __future__ import annotations

from typing import Any

from zzz_core._json_fields import content_text as _text
from zzz_core._json_fields import int_or_none as _int_or_none
from zzz_core.reasoning import ThinkSplitter, extract_reasoning
from zzz_core.signatures import ReasoningDetailsMerger, ThinkingBlocksMerger
from zzz_core.tool_calls import ToolCallAccumulator
from zzz_core.types import (
    ChatChoice,
    ChatChunk,
    ChatResult,
    CompletionChoice,
    CompletionChunk,
    CompletionResult,
    ToolCallDelta,
    Usage,
)
from zzz_core.usage import parse_usage

__all__ = ["ChatStreamAssembler", "CompletionStreamAssembler", "TextParts"]


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
