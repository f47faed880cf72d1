"""LangChain messages -> OpenAI message dicts, and zzz_core results -> LangChain messages.

Outbound, each LangChain message becomes one Chat Completions message:

* user content keeps its parts: ``image_url`` parts, LangChain's standard data
  blocks (``{"type": "image", "url" | "base64": ...}``, files, audio) through
  langchain-core's own ``convert_to_openai_data_block``, Anthropic-style image
  blocks; text parts are reduced to ``{"type": "text", "text": ...}`` (no
  ``cache_control``), and all-text content is sent as one string;
* assistant content is its text only (``tool_use``, ``thinking``, ``reasoning``
  and v1 ``tool_call`` blocks are dropped: the tool calls go out from
  ``message.tool_calls``); its reasoning goes out as ``reasoning_content``, taken
  from ``additional_kwargs`` or from reasoning/thinking blocks, and zzz_core's
  ``build_chat_request`` keeps it only for models that want it replayed;
* a tool message keeps its text; images and files it carries cannot travel in a
  Chat Completions tool message, so they follow the run of tool messages as one
  user message ("attachments returned by the tool calls above").

Inbound, reasoning text (which zzz_core extracted from whatever field or
``<think>`` tags the relay used) goes to ``additional_kwargs["reasoning_content"]``,
where langchain-core's ``content_blocks`` shows it as a ``reasoning`` block
before the text.

Reasoning signatures (``zzz_core.signatures``) ride in ``additional_kwargs`` too:
``tool_call_extra_content`` maps a tool call's id to its ``extra_content`` (Gemini's
``thought_signature``; LangChain's tool calls have no slot for it) and
``reasoning_details`` keeps OpenRouter-style details, ``thinking_blocks`` Claude's
signed thinking blocks (LiteLLM's shape).  All go back on the assistant
message of the next turn.  A stream puts them only on its final chunk, whole, so
``AIMessageChunk`` addition (which concatenates strings) leaves them intact.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    convert_to_openai_data_block,
    is_data_content_block,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from zzz_core import ChatChunk, Usage
from zzz_core import ChatResult as ZZZChatResult
from zzz_core import ToolCall as ZZZToolCall
from zzz_core.signatures import attach_provider_fields, provider_fields

PROVIDER = "zzz"
_SKIPPED_BLOCKS = frozenset(
    {"tool_use", "tool_call", "tool_call_chunk", "invalid_tool_call", "server_tool_call",
     "server_tool_result", "thinking", "redacted_thinking", "reasoning", "function_call"}
)  # fmt: skip
_ATTACHMENTS_NOTE = "Attachments returned by the tool calls above:"


# --------------------------------------------------------------------- outbound
def to_openai_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """Convert a LangChain conversation to Chat Completions message dicts."""
    out: list[dict[str, Any]] = []
    attachments: list[dict[str, Any]] = []
    for msg in messages:
        if attachments and not isinstance(msg, ToolMessage):
            out.append(_attachments_message(attachments))
            attachments = []
        if isinstance(msg, ToolMessage):
            entry, media = _tool_message(msg)
            out.append(entry)
            attachments.extend(media)
        else:
            out.append(_message(msg))
    if attachments:
        out.append(_attachments_message(attachments))
    return out


def _message(msg: BaseMessage) -> dict[str, Any]:
    if isinstance(msg, HumanMessage):
        entry: dict[str, Any] = {"role": "user", "content": _user_content(msg.content)}
    elif isinstance(msg, AIMessage):
        entry = _assistant(msg)
    elif isinstance(msg, SystemMessage):
        role = "developer" if msg.additional_kwargs.get("__openai_role__") == "developer" else "system"
        entry = {"role": role, "content": _text(msg.content, sep="\n")}
    elif isinstance(msg, ChatMessage):
        entry = {"role": msg.role, "content": _user_content(msg.content)}
    elif isinstance(msg, FunctionMessage):
        entry = {"role": "function", "name": msg.name, "content": _text(msg.content, sep="\n")}
    else:
        raise TypeError(f"cannot send a {type(msg).__name__} to a chat model")
    if msg.name and "name" not in entry:
        entry["name"] = msg.name
    return entry


def _assistant(msg: AIMessage) -> dict[str, Any]:
    calls = [
        {"id": tc["id"], "type": "function",
         "function": {"name": tc["name"], "arguments": json.dumps(tc["args"], ensure_ascii=False)}}
        for tc in msg.tool_calls
    ] + [
        {"id": tc["id"], "type": "function", "function": {"name": tc["name"], "arguments": tc["args"] or ""}}
        for tc in msg.invalid_tool_calls
    ]  # fmt: skip
    text = _text(msg.content, sep="")
    entry: dict[str, Any] = {"role": "assistant", "content": text if text or not calls else None}
    if calls:
        entry["tool_calls"] = calls
    reasoning = msg.additional_kwargs.get("reasoning_content")
    if not isinstance(reasoning, str) or not reasoning:
        reasoning = _reasoning_from_blocks(msg.content)
    if reasoning:
        entry["reasoning_content"] = reasoning
    return attach_provider_fields(entry, msg.additional_kwargs)


def _reasoning_from_blocks(content: Any) -> str:
    if not isinstance(content, list):
        return ""
    parts = []
    for block in content:
        if isinstance(block, dict):
            if block.get("type") == "reasoning" and isinstance(block.get("reasoning"), str):
                parts.append(block["reasoning"])
            elif block.get("type") == "thinking" and isinstance(block.get("thinking"), str):
                parts.append(block["thinking"])
    return "".join(parts)


def _tool_message(msg: ToolMessage) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    entry: dict[str, Any] = {"role": "tool", "tool_call_id": msg.tool_call_id}
    if isinstance(msg.content, str):
        entry["content"] = msg.content
        return entry, []
    texts: list[str] = []
    media: list[dict[str, Any]] = []
    for part in (_user_part(b) for b in msg.content):
        if part is None:
            continue
        if part.get("type") == "text":
            texts.append(part["text"])
        elif part.get("type") in ("image_url", "file", "input_audio"):
            media.append(part)
        else:
            texts.append(json.dumps(part, ensure_ascii=False, default=str))
    entry["content"] = "\n".join(texts) or ("(the tool's output follows as an attachment)" if media else "")
    return entry, media


def _attachments_message(media: list[dict[str, Any]]) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": _ATTACHMENTS_NOTE}, *media]}


def _user_content(content: str | list[Any]) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    parts = [p for p in (_user_part(b) for b in content) if p is not None]
    if all(p.get("type") == "text" for p in parts):
        return "\n".join(p["text"] for p in parts)
    return parts


def _user_part(block: Any) -> dict[str, Any] | None:
    """One content block as a Chat Completions content part; None to leave it out."""
    if isinstance(block, str):
        return {"type": "text", "text": block}
    if not isinstance(block, dict):
        return {"type": "text", "text": str(block)}
    kind = block.get("type")
    if kind == "text" and isinstance(block.get("text"), str):
        return {"type": "text", "text": block["text"]}
    if kind == "image_url":
        url = block.get("image_url")
        return {"type": "image_url", "image_url": {"url": url} if isinstance(url, str) else url}
    if is_data_content_block(block):
        return convert_to_openai_data_block(block)
    source = block.get("source")
    if kind == "image" and isinstance(source, dict):  # Anthropic's format
        if source.get("type") == "base64":
            return {"type": "image_url", "image_url": {"url": f"data:{source['media_type']};base64,{source['data']}"}}
        if source.get("type") == "url":
            return {"type": "image_url", "image_url": {"url": source["url"]}}
    if kind in _SKIPPED_BLOCKS:
        return None
    return block  # an OpenAI part (file, input_audio) or one this module does not know: sent as is


def _text(content: str | list[Any], *, sep: str) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return sep.join(parts)


# ---------------------------------------------------------------------- inbound
def usage_metadata(usage: Usage | None) -> UsageMetadata | None:
    """zzz_core's Usage as LangChain's UsageMetadata (cache reads and reasoning as details)."""
    if usage is None:
        return None
    # The ignore: mypy reads langchain-core (3.11+) as Python 3.10 (our floor), where its
    # typing.NotRequired is unknown, so the two optional detail keys look required.
    md = UsageMetadata(  # type: ignore[typeddict-item]
        input_tokens=usage.prompt_tokens, output_tokens=usage.completion_tokens, total_tokens=usage.total_tokens
    )
    if usage.cached_tokens is not None:
        md["input_token_details"] = {"cache_read": usage.cached_tokens}
    if usage.reasoning_tokens is not None:
        md["output_token_details"] = {"reasoning": usage.reasoning_tokens}
    return md


def _metadata(result: ZZZChatResult, model: str, include_headers: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "model_provider": PROVIDER,
        "model_name": result.model or model,
        "id": result.id,
        "system_fingerprint": result.system_fingerprint,
        "gateway_host": result.host,
    }
    if result.request_id:
        meta["request_id"] = result.request_id
    if include_headers:
        meta["headers"] = dict(result.headers)
    if result.cost is not None:
        meta["cost"] = result.cost.as_metadata()
    return meta


def _tool_calls(calls: list[ZZZToolCall]) -> tuple[list[Any], list[Any]]:
    good, bad = [], []
    for c in calls:
        if c.args is not None and c.error is None:
            good.append(tool_call(name=c.name, args=c.args, id=c.id))
        else:
            bad.append(invalid_tool_call(name=c.name or None, args=c.arguments, id=c.id, error=c.error))
    return good, bad


def to_chat_result(result: ZZZChatResult, model: str, include_headers: bool = False) -> ChatResult:
    """A decoded chat completion as LangChain's ChatResult, one generation per choice.

    ``response_metadata`` carries the gateway's ``request_id`` when it sent one, and
    the response ``headers`` when ``include_headers``.
    """
    usage = usage_metadata(result.usage)
    meta = _metadata(result, model, include_headers)
    generations = []
    for choice in result.choices:
        extra: dict[str, Any] = {}
        if choice.reasoning:
            extra["reasoning_content"] = choice.reasoning
        if choice.refusal:
            extra["refusal"] = choice.refusal
        extra.update(provider_fields(choice))
        info: dict[str, Any] = {"finish_reason": choice.finish_reason}
        if choice.logprobs is not None:
            info["logprobs"] = choice.logprobs
        good, bad = _tool_calls(choice.tool_calls)
        message = AIMessage(
            content=choice.content or "", additional_kwargs=extra, tool_calls=good, invalid_tool_calls=bad,
            usage_metadata=usage, response_metadata={**meta, **info}, id=result.id,
        )  # fmt: skip
        generations.append(ChatGeneration(message=message, generation_info=info))
    llm_output = {
        "token_usage": dict(result.usage.raw) if result.usage is not None else {},
        "model_name": meta["model_name"],
        "system_fingerprint": result.system_fingerprint,
        "id": result.id,
        "gateway_host": result.host,
        "request_id": result.request_id,
    }
    if result.cost is not None:
        llm_output["cost"] = result.cost.as_metadata()
    return ChatResult(generations=generations, llm_output=llm_output)


class StreamConverter:
    """Turns the ChatChunks of one streamed call into LangChain chunks.

    Usage, finish reason and the response's metadata (``model_provider`` included)
    go on one final chunk
    (``chunk_position="last"``) built from the stream's aggregate, so merged
    chunks count usage once and never concatenate ``model_name``.  A tool call
    that never received an id gets one from zzz_core's last tool-call chunk.
    Reasoning signatures (``zzz_core.signatures.provider_fields``) go on that final
    chunk too, whole: merged chunks concatenate strings, so a signature must arrive once.
    """

    __slots__ = ("_model", "_include_headers")

    def __init__(self, model: str, include_headers: bool = False) -> None:
        self._model = model
        self._include_headers = include_headers

    def chunk(self, c: ChatChunk) -> ChatGenerationChunk | None:
        if c.index != 0 or not (c.content or c.reasoning or c.tool_calls or c.logprobs):
            return None
        # LangChain keeps every chunk of a stream until it ends, so a chunk carries only
        # what it has: model_provider goes on the final chunk (the merged message gets it
        # from there), and empty fields are left to their defaults (each field passed
        # grows the model's fields-set; past five it is a 700-byte set per chunk).
        fields: dict[str, Any] = {"content": c.content}
        if c.id:
            fields["id"] = c.id
        if c.reasoning:
            fields["additional_kwargs"] = {"reasoning_content": c.reasoning}
        if c.tool_calls:
            fields["tool_call_chunks"] = [
                tool_call_chunk(name=d.name, args=d.arguments, id=d.id, index=d.index) for d in c.tool_calls
            ]
        if c.logprobs:
            fields["response_metadata"] = {"logprobs": c.logprobs}
        return ChatGenerationChunk(message=AIMessageChunk(**fields))

    def last(self, result: ZZZChatResult) -> ChatGenerationChunk:
        choice = result.choices[0] if result.choices else None
        info = {"finish_reason": choice.finish_reason if choice else None}
        kept = provider_fields(choice) if choice else {}
        message = AIMessageChunk(
            content="", additional_kwargs=kept, usage_metadata=usage_metadata(result.usage),
            response_metadata={**_metadata(result, self._model, self._include_headers), **info},
            chunk_position="last", id=result.id,
        )  # fmt: skip
        return ChatGenerationChunk(message=message, generation_info=info)
