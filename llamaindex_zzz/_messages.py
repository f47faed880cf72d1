"""LlamaIndex messages -> the OpenAI-shaped message dicts zzz_core's request builder takes.

:func:`to_openai_messages` turns ``ChatMessage`` blocks into message dicts: text,
``image_url`` parts (data URLs for paths and bytes), ``input_audio``/``file``
parts, ``tool_calls`` from ``ToolCallBlock``s, and ``reasoning_content`` from
``ThinkingBlock``s (zzz_core's ``build_chat_request`` keeps it only where the
model needs it replayed), and the reasoning signatures kept in ``additional_kwargs``
(``tool_call_extra_content``, ``reasoning_details``, ``thinking_blocks``; see
``zzz_core.signatures``)
put back on the assistant message.  The way back is :mod:`llamaindex_zzz._responses`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from zzz_core import InvalidInputError
from zzz_core.signatures import attach_provider_fields

__all__ = ["check_messages", "to_openai_message", "to_openai_messages"]

_ROLES = {"chatbot": "assistant", "model": "assistant"}
# additional_kwargs keys forwarded into the message dict, per role.  Anything else
# (e.g. the tool_call_id FunctionAgent puts on a return_direct assistant message) stays
# local: strict relays answer 400 to unknown message fields.
_FORWARDED = {
    "assistant": ("name", "tool_calls", "function_call", "reasoning_content"),
    "tool": ("tool_call_id", "name"),
    "function": ("name",),
}
_DEFAULT_FORWARDED = ("name",)


def to_openai_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """Convert LlamaIndex messages to OpenAI chat message dicts."""
    return [to_openai_message(m) for m in messages]


def to_openai_message(message: ChatMessage) -> dict[str, Any]:
    """Convert one ``ChatMessage`` to an OpenAI chat message dict.

    Text-only content goes out as a string (text blocks joined by newlines, as
    ``ChatMessage.content`` joins them); content with images, audio or files goes
    out as a list of parts.  ``ToolCallBlock``s become ``tool_calls``;
    ``ThinkingBlock``s of an assistant message become ``reasoning_content``.

    Raises:
        ValueError: a block kind the chat completions API cannot carry (video), or
            an audio block given only as a URL (it would have to be downloaded).
    """
    role = message.role.value if isinstance(message.role, MessageRole) else str(message.role)
    role = _ROLES.get(role, role)
    parts: list[dict[str, Any]] = []
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in message.blocks:
        _add_block(block, parts, texts, reasoning, calls)

    out: dict[str, Any] = {"role": role}
    text = "\n".join(texts)
    if len(parts) > len(texts):  # something besides text
        out["content"] = parts
    elif not text and role == "assistant" and (calls or message.additional_kwargs.get("tool_calls")):
        out["content"] = None
    else:
        out["content"] = text
    if calls:
        out["tool_calls"] = calls
    if reasoning and role == "assistant":
        out["reasoning_content"] = "".join(reasoning)
    for key in _FORWARDED.get(role, _DEFAULT_FORWARDED):
        value = message.additional_kwargs.get(key)
        if value is not None and key not in out:
            out[key] = _legacy_tool_calls(value) if key == "tool_calls" else value
    if role == "assistant":
        attach_provider_fields(out, message.additional_kwargs)
    return out


def _add_block(
    block: Any, parts: list[dict[str, Any]], texts: list[str], reasoning: list[str], calls: list[dict[str, Any]]
) -> None:
    if isinstance(block, TextBlock):
        parts.append({"type": "text", "text": block.text})
        texts.append(block.text)
    elif isinstance(block, ImageBlock):
        parts.append(_image_part(block))
    elif isinstance(block, ThinkingBlock):
        if block.content:
            reasoning.append(block.content)
    elif isinstance(block, ToolCallBlock):
        args = block.tool_kwargs
        arguments = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
        calls.append(
            {
                "id": block.tool_call_id or f"call_{len(calls)}",
                "type": "function",
                "function": {"name": block.tool_name, "arguments": arguments},
            }
        )
    elif isinstance(block, AudioBlock):
        if block.audio is None and block.path is None:
            raise ValueError("AudioBlock needs audio bytes or a path; an audio URL is not downloaded for you")
        data = block.resolve_audio(as_base64=True).read().decode("ascii")
        parts.append({"type": "input_audio", "input_audio": {"data": data, "format": block.format or "wav"}})
    elif isinstance(block, DocumentBlock):
        data = block._get_b64_string(block.resolve_document())
        mime = block.document_mimetype or "application/pdf"
        parts.append(
            {"type": "file", "file": {"filename": block.title or "document", "file_data": f"data:{mime};base64,{data}"}}
        )
    elif isinstance(block, CitableBlock):
        for inner in block.content:
            _add_block(inner, parts, texts, reasoning, calls)
    elif isinstance(block, CitationBlock):
        _add_block(block.cited_content, parts, texts, reasoning, calls)
    elif isinstance(block, CachePoint):
        pass  # an Anthropic prompt-caching marker; OpenAI-compatible relays cache on their own
    else:
        raise ValueError(f"{type(block).__name__} cannot be sent through an OpenAI-compatible chat API")


def _image_part(block: ImageBlock) -> dict[str, Any]:
    """An ``image_url`` part: the URL as given, or a data URL for a path or image bytes."""
    if block.url is not None and block.image is None and block.path is None:
        url = str(block.url)
    else:
        data = block.resolve_image(as_base64=True).read().decode("ascii")
        url = f"data:{block.image_mimetype or 'image/png'};base64,{data}"
    image: dict[str, Any] = {"url": url}
    if block.detail:
        image["detail"] = block.detail
    return {"type": "image_url", "image_url": image}


def _legacy_tool_calls(value: Any) -> Any:
    """``additional_kwargs["tool_calls"]`` as dicts (older code stores openai objects there)."""
    if isinstance(value, list):
        return [v.model_dump(exclude_none=True) if hasattr(v, "model_dump") else v for v in value]
    return value


def check_messages(messages: Any) -> Sequence[ChatMessage]:
    """Refuse what is not a sequence of ``ChatMessage`` before anything is sent."""
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise InvalidInputError(
            f"messages must be a list of ChatMessage; got {type(messages).__name__} "
            "(for a single prompt use complete(), or [ChatMessage(role='user', content=...)])"
        )
    return messages
