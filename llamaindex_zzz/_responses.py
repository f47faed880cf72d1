"""zzz_core's decoded results and stream chunks -> LlamaIndex responses.

:func:`chat_response` and :class:`ChatStreamState` build ``ChatResponse``s whose
message carries a ``ThinkingBlock`` (reasoning), a ``TextBlock`` (the answer) and
one ``ToolCallBlock`` per tool call, with usage in ``raw["usage"]`` (OpenAI shape,
which LlamaIndex's ``TokenCountingHandler`` reads) and in ``additional_kwargs``.
The gateway's request id is in ``raw["request_id"]`` and ``additional_kwargs["request_id"]``;
with ``include_headers`` the response headers are in ``raw["headers"]``.
Nothing here parses the wire: chunks arrive decoded, tool-call fragments with
their indexes resolved, reasoning already separated from the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LogProb,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from zzz_core import (
    ChatChoice,
    ChatChunk,
    ChatResult,
    CompletionChunk,
    CompletionResult,
    ToolCall,
    Usage,
    parse_partial_json,
)
from zzz_core.signatures import provider_fields

__all__ = [
    "ChatStreamState",
    "CompletionStreamState",
    "acompletions_from_chat",
    "chat_response",
    "completion_response",
    "completions_from_chat",
    "cost_on",
    "usage_dict",
    "usage_kwargs",
]


def usage_dict(usage: Usage) -> dict[str, Any]:
    """Usage in OpenAI's shape (what ``TokenCountingHandler`` reads from ``raw["usage"]``).

    The gateway's own fields (``usage.raw``) are kept; the counts are the normalized ones.
    """
    out: dict[str, Any] = dict(usage.raw)
    out.update(
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
    )
    if usage.cached_tokens is not None:
        out["prompt_tokens_details"] = {
            **(out.get("prompt_tokens_details") or {}),
            "cached_tokens": usage.cached_tokens,
        }
    if usage.reasoning_tokens is not None:
        details = out.get("completion_tokens_details") or {}
        out["completion_tokens_details"] = {**details, "reasoning_tokens": usage.reasoning_tokens}
    return out


def usage_kwargs(usage: Usage | None) -> dict[str, Any]:
    """``prompt_tokens``/``completion_tokens``/``total_tokens`` (+ cached/reasoning when known)."""
    if usage is None:
        return {}
    out: dict[str, Any] = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    if usage.cached_tokens is not None:
        out["cached_tokens"] = usage.cached_tokens
    if usage.reasoning_tokens is not None:
        out["reasoning_tokens"] = usage.reasoning_tokens
    return out


#: (id, name, kwargs for ToolCallBlock, the arguments' JSON text as received)
Call = tuple[str | None, str, Any, str]


def _assistant(
    content: str | None,
    reasoning: str | None,
    calls: Sequence[Call],
    reasoning_tokens: int | None,
    kept: dict[str, Any] | None = None,
) -> ChatMessage:
    """The assistant message: ThinkingBlock, TextBlock, ToolCallBlocks (each only when present).

    The tool calls are also in ``additional_kwargs["tool_calls"]`` as openai objects, where
    parts of llama-index-core still look for them (streamed structured output, chat-engine
    and memory helpers, token counting).  Built with ``model_construct``: the streaming
    path makes one per chunk and the values are already of the right types.
    ``kept`` (``zzz_core.signatures.provider_fields``) joins ``additional_kwargs``: the
    reasoning signatures that must go back on the next turn.
    """
    blocks: list[Any] = []
    if reasoning:
        blocks.append(
            ThinkingBlock.model_construct(content=reasoning, num_tokens=reasoning_tokens, additional_information={})
        )
    if content:
        blocks.append(TextBlock.model_construct(text=content))
    extra: dict[str, Any] = {}
    if calls:
        # openai's types, because parts of llama-index-core read tool calls from here;
        # imported on first use so that importing the skin does not load openai.
        from openai.types.chat import ChatCompletionMessageFunctionToolCall as FunctionToolCall
        from openai.types.chat.chat_completion_message_function_tool_call import Function as FunctionCall

        for cid, name, kwargs, _ in calls:
            blocks.append(ToolCallBlock.model_construct(tool_call_id=cid, tool_name=name, tool_kwargs=kwargs))
        extra["tool_calls"] = [
            FunctionToolCall.model_construct(
                id=cid or "", type="function", function=FunctionCall.model_construct(name=name, arguments=text)
            )
            for cid, name, _, text in calls
        ]
    if kept:
        extra.update(kept)
    return ChatMessage.model_construct(role=MessageRole.ASSISTANT, additional_kwargs=extra, blocks=blocks)


def _final_calls(tool_calls: list[ToolCall]) -> list[Call]:
    # Arguments that did not parse stay as the raw text, so nothing the model sent is lost.
    return [(tc.id, tc.name, tc.args if tc.args is not None else tc.arguments, tc.arguments) for tc in tool_calls]


def _logprobs(choice_logprobs: dict[str, Any] | None) -> list[list[LogProb]] | None:
    entries = (choice_logprobs or {}).get("content")
    if not entries:
        return None
    out = []
    for entry in entries:
        alts = entry.get("top_logprobs") or [entry]
        out.append(
            [LogProb(token=a.get("token", ""), logprob=a.get("logprob", 0.0), bytes=a.get("bytes") or []) for a in alts]
        )
    return out


def _call_info(raw: dict[str, Any], extra: dict[str, Any], result: Any, include_headers: bool) -> None:
    """The request id (and headers when asked) of the response, in ``raw`` and ``additional_kwargs``."""
    request_id = getattr(result, "request_id", None)
    if request_id:
        raw["request_id"] = extra["request_id"] = request_id
    cost = getattr(result, "cost", None)
    if cost is not None:
        extra["cost"] = cost.as_metadata()
    if include_headers:
        raw["headers"] = dict(getattr(result, "headers", None) or {})


def chat_response(result: ChatResult, include_headers: bool = False) -> ChatResponse:
    """A non-streamed ``ChatResult`` as a ``ChatResponse`` (its first choice)."""
    choice = result.choices[0] if result.choices else ChatChoice()
    usage = result.usage
    message = _assistant(
        choice.content,
        choice.reasoning,
        _final_calls(choice.tool_calls),
        usage.reasoning_tokens if usage else None,
        provider_fields(choice),
    )
    raw = dict(result.raw)
    if usage is not None:
        raw["usage"] = usage_dict(usage)
    extra = usage_kwargs(usage)
    if choice.refusal:
        extra["refusal"] = choice.refusal
    _call_info(raw, extra, result, include_headers)
    return ChatResponse(message=message, raw=raw, logprobs=_logprobs(choice.logprobs), additional_kwargs=extra)


@dataclass(slots=True)
class _StreamedCall:
    """One tool call as streamed so far."""

    id: str | None = None
    name: str = ""
    arguments: str = ""
    """The arguments' JSON text as received."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    """The arguments parsed leniently (a partial object while they stream)."""


class ChatStreamState:
    """Accumulates the chunks of one streamed chat into successive ``ChatResponse``s.

    Each response's message holds everything so far (reasoning, text, the tool
    calls with their arguments parsed leniently), ``delta`` the new text, and
    ``additional_kwargs["thinking_delta"]`` the new reasoning.  Only choice 0 is
    followed.  The sync and async loops of ``ZZZ`` both drive this one class.
    ``source`` is the zzz_core stream, read for its request id and headers.
    """

    __slots__ = (
        "_calls", "_content", "_finish", "_id", "_include_headers", "_model", "_reasoning", "_sent", "_source",
        "_usage",
    )  # fmt: skip

    def __init__(self, source: Any = None, include_headers: bool = False) -> None:
        self._source = source
        self._include_headers = include_headers
        self._content = ""
        self._reasoning = ""
        self._calls: dict[int, _StreamedCall] = {}
        self._usage: Usage | None = None
        self._id: str | None = None
        self._model: str | None = None
        self._finish: str | None = None
        self._sent = False

    def feed(self, chunk: ChatChunk) -> ChatResponse | None:
        """The response for one chunk, or None when the chunk carries nothing."""
        if chunk.index != 0:
            return None
        if chunk.id:
            self._id = self._id or chunk.id
        if chunk.model:
            self._model = chunk.model
        if chunk.usage is not None:
            self._usage = chunk.usage
        if chunk.finish_reason:
            self._finish = chunk.finish_reason
        self._content += chunk.content
        self._reasoning += chunk.reasoning
        for d in chunk.tool_calls:
            call = self._calls.get(d.index)
            if call is None:
                call = self._calls[d.index] = _StreamedCall()
            if d.id and call.id is None:
                call.id = d.id
            if d.name:
                call.name += d.name  # zzz_core sends a name once, or in pieces
            if d.arguments:
                call.arguments += d.arguments
                call.kwargs = parse_partial_json(call.arguments) or {}
        if not (chunk.content or chunk.reasoning or chunk.tool_calls or chunk.usage or chunk.finish_reason):
            return None
        calls = self._streamed_calls()
        # No copy of the text so far is kept besides self._content (the responses hold it
        # too, so each ``+=`` copies it: LlamaIndex's cumulative-content contract).
        self._sent = True
        extra = usage_kwargs(self._usage)
        if chunk.reasoning:
            extra["thinking_delta"] = chunk.reasoning
        raw = self._raw()
        _call_info(raw, extra, self._source, self._include_headers)
        return ChatResponse.model_construct(
            message=_assistant(self._content, self._reasoning, calls, self._reasoning_tokens()),
            raw=raw,
            delta=chunk.content,
            logprobs=None,
            additional_kwargs=extra,
        )

    def finish(self, result: ChatResult) -> ChatResponse | None:
        """After the last chunk: a closing response when zzz_core's aggregate differs from
        what was streamed (arguments that do not parse are kept as text), when the stream
        carried reasoning signatures (they go on this response's message, whole), or when
        nothing was streamed at all.  (Ids of calls that never got one arrive as a last chunk.)"""
        choice = next((c for c in result.choices if c.index == 0), None) or ChatChoice()
        calls = _final_calls(choice.tool_calls)
        final = (choice.content or "", choice.reasoning or "", calls)
        kept = provider_fields(choice)  # signatures come whole, only with the closing response
        if self._sent and not kept and final == (self._content, self._reasoning.strip(), self._streamed_calls()):
            return None
        self._usage = self._usage or result.usage
        raw, extra = self._raw(), usage_kwargs(self._usage)
        _call_info(raw, extra, result, self._include_headers)
        return ChatResponse(
            message=_assistant(choice.content, choice.reasoning, calls, self._reasoning_tokens(), kept),
            raw=raw,
            delta="",
            additional_kwargs=extra,
        )

    def _streamed_calls(self) -> list[Call]:
        return [(c.id, c.name, c.kwargs, c.arguments) for _, c in sorted(self._calls.items())]

    def _reasoning_tokens(self) -> int | None:
        return self._usage.reasoning_tokens if self._usage is not None else None

    def _raw(self) -> dict[str, Any]:
        raw: dict[str, Any] = {"id": self._id, "model": self._model, "finish_reason": self._finish}
        if self._usage is not None:
            raw["usage"] = usage_dict(self._usage)
        return raw


# ---------------------------------------------------------------------- completions
def _completion_logprobs(lp: dict[str, Any] | None) -> list[list[LogProb]] | None:
    top = (lp or {}).get("top_logprobs")
    if not top:
        return None
    return [[LogProb(token=t, logprob=v, bytes=[]) for t, v in (entry or {}).items()] for entry in top]


def completion_response(result: CompletionResult, include_headers: bool = False) -> CompletionResponse:
    """A ``/v1/completions`` result as a ``CompletionResponse`` (its first choice)."""
    choice = result.choices[0] if result.choices else None
    raw = dict(result.raw)
    if result.usage is not None:
        raw["usage"] = usage_dict(result.usage)
    extra = usage_kwargs(result.usage)
    _call_info(raw, extra, result, include_headers)
    return CompletionResponse(
        text=choice.text if choice else "",
        raw=raw,
        logprobs=_completion_logprobs(choice.logprobs if choice else None),
        additional_kwargs=extra,
    )


class CompletionStreamState:
    """Accumulates streamed completion chunks into successive ``CompletionResponse``s."""

    __slots__ = ("_id", "_include_headers", "_model", "_source", "_text", "_usage")

    def __init__(self, source: Any = None, include_headers: bool = False) -> None:
        self._source = source
        self._include_headers = include_headers
        self._text = ""
        self._usage: Usage | None = None
        self._id: str | None = None
        self._model: str | None = None

    def feed(self, chunk: CompletionChunk) -> CompletionResponse | None:
        if chunk.index != 0:
            return None
        self._id = self._id or chunk.id
        self._model = chunk.model or self._model
        if chunk.usage is not None:
            self._usage = chunk.usage
        if not (chunk.text or chunk.usage or chunk.finish_reason):
            return None
        self._text += chunk.text
        raw: dict[str, Any] = {"id": self._id, "model": self._model}
        if self._usage is not None:
            raw["usage"] = usage_dict(self._usage)
        extra = usage_kwargs(self._usage)
        _call_info(raw, extra, self._source, self._include_headers)
        return CompletionResponse(text=self._text, delta=chunk.text, raw=raw, additional_kwargs=extra)


def cost_on(response: Any, result: Any) -> None:
    """A stream's cost is known once it ends: put it on the last response it yielded (the one
    LlamaIndex's end event and a consumer keeping the last response both hold), and on that
    response's message, whose ``additional_kwargs`` LlamaIndex's chat-to-completion stream
    wrapper hands on as the completion's."""
    if response is None or result.cost is None:
        return
    response.additional_kwargs["cost"] = result.cost.as_metadata()
    message = getattr(response, "message", None)
    if message is not None:
        message.additional_kwargs["cost"] = response.additional_kwargs["cost"]


# LlamaIndex's own chat-to-completion stream wrappers copy each response as it arrives, so the
# cost (known when the stream ends) would miss the last completion; these hold one response back.
def _as_completion(response: ChatResponse) -> CompletionResponse:
    extra = {**response.message.additional_kwargs, **response.additional_kwargs}
    return CompletionResponse(
        text=response.message.content or "", additional_kwargs=extra, delta=response.delta, raw=response.raw
    )


def completions_from_chat(responses: ChatResponseGen) -> CompletionResponseGen:
    pending = None
    for response in responses:
        if pending is not None:
            yield _as_completion(pending)
        pending = response
    if pending is not None:
        yield _as_completion(pending)


async def acompletions_from_chat(responses: ChatResponseAsyncGen) -> CompletionResponseAsyncGen:
    pending = None
    async for response in responses:
        if pending is not None:
            yield _as_completion(pending)
        pending = response
    if pending is not None:
        yield _as_completion(pending)
