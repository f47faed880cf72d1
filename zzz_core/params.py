"""Request bodies for chat, completions and embeddings, shaped for the model that gets them.

Both skins build their JSON here, so a model quirk is handled once.  Every
decision reads the model's :class:`~zzz_core.profiles.ModelProfile`:
``max_tokens`` goes out as ``max_completion_tokens`` for gpt-5/o-series; a
parameter the model answers 400 to is dropped with one ``UserWarning`` per
(family, parameter) per process, never silently; ``reasoning_content`` is
replayed only where the model demands it; ``parallel_tool_calls`` and
``stream_options`` are sent only where they are wanted.  ``extra_body`` is merged
last and may override anything: it is the user's escape hatch for whatever the
table gets wrong.

These functions run once per call, so they copy only what they change: the
caller's message dicts are never mutated, and an unchanged message list is sent
as is.

This module assembles the body; its parts have their own modules:
:mod:`~zzz_core.request_checks` (the caller's input refused before anything is sent),
:mod:`~zzz_core.dropped_params` (parameters not sent, and the one warning),
:mod:`~zzz_core.reasoning_switches` (``reasoning_effort`` and ``thinking`` through the
profile) and :mod:`~zzz_core.tool_schemas` (tool and ``response_format`` dicts, which
this module re-exports with ``reset_param_warnings`` under their old import path).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._local_errors import InvalidInputError
from .dropped_params import put_param, put_params, reset_param_warnings
from .profiles import ModelProfile, get_profile
from .reasoning_switches import put_reasoning_effort, put_thinking
from .request_checks import check_common, check_dimensions, check_prompt, check_texts
from .tool_schemas import (
    function_tool,
    json_object_response_format,
    json_schema_response_format,
    normalize_tool_choice,
    strict_json_schema,
)

__all__ = [
    "build_chat_request",
    "build_completion_request",
    "build_embedding_request",
    "function_tool",
    "json_object_response_format",
    "json_schema_response_format",
    "normalize_tool_choice",
    "reset_param_warnings",
    "strict_json_schema",
]

_MESSAGES_SHAPE = "messages must be a list of {'role': ..., 'content': ...} dicts"


def _start(model: str, key: str, value: Any, profile: ModelProfile, stream: bool, usage: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, key: value}
    if stream:
        body["stream"] = True
        if usage and profile.stream_usage:
            body["stream_options"] = {"include_usage": True}
    return body


def _merge_extra(body: dict[str, Any], extra_body: Mapping[str, Any] | None) -> dict[str, Any]:
    if extra_body is not None:
        if not isinstance(extra_body, Mapping):
            raise InvalidInputError(f"extra_body must be a mapping; got {type(extra_body).__name__}")
        body.update(extra_body)
    return body


def _tool_message_text(content: list[Any]) -> str:
    parts = []
    for part in content:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
            parts.append(part["text"])
        else:
            parts.append(json.dumps(part, ensure_ascii=False, default=str))
    return "\n".join(parts)


def _prepare_messages(messages: Any, profile: ModelProfile) -> list[dict[str, Any]]:
    """Validate ``messages`` and adapt them to the model, copying only the dicts that change.

    * An assistant message keeps ``reasoning_content`` only when the model wants it
      replayed (``profile.replay_reasoning``) and the message has ``tool_calls``;
      otherwise the field is removed (DeepSeek R1 answers 400 to it, others ignore it).
    * A ``tool`` message's list content is joined into one string (text parts joined
      with newlines, other parts as JSON): relays converting to Claude/Gemini/DashScope
      formats reject list content in tool messages.
    """
    if not isinstance(messages, list) or not messages:
        got = "an empty list" if messages == [] else type(messages).__name__
        raise InvalidInputError(f"{_MESSAGES_SHAPE}; got {got}")
    out: list[dict[str, Any]] | None = None
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
            got = "a dict without a string 'role'" if isinstance(msg, dict) else type(msg).__name__
            raise InvalidInputError(f"{_MESSAGES_SHAPE}; messages[{i}] is {got}")
        new = msg
        if msg["role"] == "assistant" and "reasoning_content" in msg:
            if not (profile.replay_reasoning and msg.get("tool_calls")):
                new = {k: v for k, v in msg.items() if k != "reasoning_content"}
        elif msg["role"] == "tool" and isinstance(msg.get("content"), list):
            new = {**msg, "content": _tool_message_text(msg["content"])}
        if new is not msg and out is None:
            out = messages[:i]
        if out is not None:
            out.append(new)
    return messages if out is None else out


def build_chat_request(
    model: str,
    messages: Any,
    *,
    profile: ModelProfile | None = None,
    stream: bool = False,
    stream_usage: bool = True,
    temperature: float | None = None,
    top_p: float | None = None,
    max_tokens: int | None = None,
    n: int | None = None,
    stop: str | list[str] | None = None,
    seed: int | None = None,
    presence_penalty: float | None = None,
    frequency_penalty: float | None = None,
    logit_bias: Mapping[str, float] | None = None,
    logprobs: bool | None = None,
    top_logprobs: int | None = None,
    reasoning_effort: str | None = None,
    response_format: Mapping[str, Any] | None = None,
    tools: list[dict[str, Any]] | None = None,
    tool_choice: Any = None,
    parallel_tool_calls: bool | None = None,
    user: str | None = None,
    thinking: bool | int | Mapping[str, Any] | None = None,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the JSON body of ``POST /v1/chat/completions`` for ``model``.

    ``None`` values are not sent; ``max_tokens`` goes out under ``profile.max_tokens_param``;
    parameters in ``profile.unsupported_params`` are dropped with one warning per
    (family, parameter); ``extra_body`` is merged last.

    Args:
        model: The model name, sent unchanged.
        messages: A non-empty list of ``{"role": ..., "content": ...}`` dicts.
        profile: The model's profile; looked up with :func:`get_profile` when omitted.
        stream: Ask for server-sent events.
        stream_usage: Ask for the usage chunk at the end of a stream (when the profile allows).
        reasoning_effort: minimal|low|medium|high, or none/xhigh where the profile lists them.
            Sent only to models that take it, and not when the name suffix carries an effort.
        tools: OpenAI tool dicts (see :func:`function_tool`); an empty list is not sent.
        tool_choice: Any spelling :func:`normalize_tool_choice` takes.
        parallel_tool_calls: Sent only when set (True or False) and tools are present.
        thinking: ``True``/``False`` switches thinking on/off, an int switches it on with that
            budget of tokens; sent the way the profile's ``thinking_switch`` says (Qwen
            ``enable_thinking``/``thinking_budget``, GLM/DeepSeek/Kimi ``thinking.type``, new-api's
            ``-thinking``/``-nothinking`` model suffix).  A dict is the body's own ``thinking``
            object, sent as it is.  ``None`` leaves the model's default.
        extra_body: Fields merged into the body last, overriding anything.
        **others: ``temperature``, ``top_p``, ``max_tokens``, ``n``, ``stop`` (str or list),
            ``seed``, ``presence_penalty``, ``frequency_penalty``, ``logit_bias``,
            ``logprobs``, ``top_logprobs``, ``response_format``, ``user``: as in OpenAI's API.

    Returns:
        The request body, ready for JSON encoding.

    Raises:
        InvalidInputError: Malformed messages, stop, max_tokens, reasoning_effort,
            tool_choice, tools, response_format or extra_body.
    """
    stop = check_common(model, max_tokens, stop)
    profile = profile or get_profile(model)
    body = _start(model, "messages", _prepare_messages(messages, profile), profile, stream, stream_usage)
    put_param(body, profile, model, "max_tokens", max_tokens, profile.max_tokens_param)
    put_params(
        body,
        profile,
        model,
        {
            "temperature": temperature,
            "top_p": top_p,
            "n": n,
            "stop": stop,
            "seed": seed,
            "presence_penalty": presence_penalty,
            "frequency_penalty": frequency_penalty,
            "logit_bias": logit_bias,
            "logprobs": logprobs,
            "top_logprobs": top_logprobs,
            "user": user,
        },
    )
    if reasoning_effort is not None:
        put_reasoning_effort(body, profile, model, reasoning_effort)
    if thinking is not None:
        put_thinking(body, profile, model, thinking)
    if response_format is not None and not isinstance(response_format, Mapping):
        raise InvalidInputError(f"response_format must be a dict; got {type(response_format).__name__}")
    if tools is not None and not isinstance(tools, list):
        raise InvalidInputError(f"tools must be a list of tool dicts; got {type(tools).__name__}")
    put_params(
        body,
        profile,
        model,
        {
            "response_format": response_format,
            "tools": tools or None,
            "tool_choice": normalize_tool_choice(tool_choice, tools),
            "parallel_tool_calls": parallel_tool_calls if tools else None,
        },
    )
    return _merge_extra(body, extra_body)


def build_completion_request(
    model: str,
    prompt: str | list[str],
    *,
    profile: ModelProfile | None = None,
    stream: bool = False,
    stream_usage: bool = True,
    max_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    n: int | None = None,
    stop: str | list[str] | None = None,
    suffix: str | None = None,
    echo: bool | None = None,
    best_of: int | None = None,
    logprobs: int | None = None,
    seed: int | None = None,
    logit_bias: Mapping[str, float] | None = None,
    user: str | None = None,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the JSON body of ``POST /v1/completions`` (legacy text completion).

    As for chat, but the legacy endpoint always takes ``max_tokens``.

    Args:
        model: The model name, sent unchanged.
        prompt: A string or a non-empty list of strings.
        profile: The model's profile; looked up when omitted.
        stream: Ask for server-sent events.
        stream_usage: Ask for the usage chunk at the end of a stream.
        extra_body: Fields merged into the body last, overriding anything.
        **others: ``max_tokens``, ``temperature``, ``top_p``, ``n``, ``stop``, ``suffix``,
            ``echo``, ``best_of``, ``logprobs`` (an int here), ``seed``, ``logit_bias``,
            ``user``: as in OpenAI's API.

    Returns:
        The request body.

    Raises:
        InvalidInputError: A prompt that is not a string or a list of strings, or a
            malformed stop, max_tokens or extra_body.
    """
    stop = check_common(model, max_tokens, stop)
    check_prompt(prompt)
    profile = profile or get_profile(model)
    body = _start(model, "prompt", prompt, profile, stream, stream_usage)
    put_params(
        body,
        profile,
        model,
        {
            "max_tokens": max_tokens,
            "temperature": temperature,
            "top_p": top_p,
            "n": n,
            "stop": stop,
            "suffix": suffix,
            "echo": echo,
            "best_of": best_of,
            "logprobs": logprobs,
            "seed": seed,
            "logit_bias": logit_bias,
            "user": user,
        },
    )
    return _merge_extra(body, extra_body)


def build_embedding_request(
    model: str,
    texts: list[str],
    *,
    profile: ModelProfile | None = None,
    dimensions: int | None = None,
    encoding_format: str | None = None,
    user: str | None = None,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the JSON body of ``POST /v1/embeddings``.

    Raw text is sent, never token arrays (relays answer token arrays with a 400 or
    an empty ``data``).  ``dimensions`` is sent to models that take it and to
    unknown models; for a known fixed-size model it is an error, unless it equals
    the model's size (then it is simply not sent).

    Args:
        model: The model name, sent unchanged.
        texts: A non-empty list (or tuple) of non-empty strings.
        profile: The model's profile; looked up when omitted.
        dimensions: Output size, for models that can shorten their vectors.
        encoding_format: ``"float"`` or ``"base64"``.
        user: End-user id.
        extra_body: Fields merged into the body last, overriding anything.

    Returns:
        The request body.

    Raises:
        InvalidInputError: ``texts`` is not a list of non-empty strings (the message
            names the 0-based positions), or ``dimensions`` does not fit the model.
    """
    check_common(model, None, None)
    texts = check_texts(texts)
    profile = profile or get_profile(model)
    body: dict[str, Any] = {"model": model, "input": texts}
    if dimensions is not None and check_dimensions(model, profile, dimensions):
        body["dimensions"] = dimensions
    put_params(body, profile, model, {"encoding_format": encoding_format, "user": user})
    return _merge_extra(body, extra_body)
