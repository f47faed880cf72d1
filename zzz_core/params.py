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
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from collections.abc import Mapping
from types import FrameType
from typing import Any

from ._local_errors import InvalidInputError
from .profiles import ModelProfile, get_profile

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

_BASE_EFFORTS = ("minimal", "low", "medium", "high")
_OPTIONAL_EFFORTS = ("none", "xhigh")
_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_MESSAGES_SHAPE = "messages must be a list of {'role': ..., 'content': ...} dicts"
_warned: set[tuple[str, str]] = set()


def reset_param_warnings() -> None:
    """Forget which (family, parameter) warnings were given, so they are given again (for tests)."""
    _warned.clear()


def _warn_once(profile: ModelProfile, key: str, message: str) -> None:
    if (profile.family, key) not in _warned:
        _warned.add((profile.family, key))
        warnings.warn(message, UserWarning, stacklevel=_user_stacklevel())


_INTERNAL = (
    "zzz_core",
    "langchain_zzz",
    "llamaindex_zzz",
    "langchain_core",
    "langchain",
    "langgraph",
    "llama_index",
    "pydantic",
)


def _user_stacklevel() -> int:
    """The stacklevel that points a warning at the user's own line, past every framework frame."""
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").split(".", 1)[0] in _INTERNAL:
        frame, level = frame.f_back, level + 1
    return level


def _put(body: dict[str, Any], profile: ModelProfile, model: str, name: str, value: Any, wire: str = "") -> None:
    """Set ``body[wire or name] = value`` unless the value is None or the model rejects the parameter."""
    if value is None:
        return
    wire = wire or name
    if name in profile.unsupported_params or wire in profile.unsupported_params:
        _warn_once(
            profile,
            wire,
            f"{wire}={value!r} was not sent: {model!r} ({profile.family} models) answers 400 "
            f"to {wire}. Pass it in extra_body to send it anyway, or override unsupported_params.",
        )
    else:
        body[wire] = value


def _fill(body: dict[str, Any], profile: ModelProfile, model: str, params: dict[str, Any]) -> None:
    for name, value in params.items():
        _put(body, profile, model, name, value)


def _check_common(model: Any, max_tokens: Any, stop: Any) -> Any:
    """Validate what chat and completions share; return ``stop`` normalized ([] -> None)."""
    if not isinstance(model, str) or not model.strip():
        raise InvalidInputError(f"model must be a non-empty string; got {model!r}")
    if max_tokens is not None and (not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1):
        raise InvalidInputError(f"max_tokens must be a positive int; got {max_tokens!r}")
    if stop is None or isinstance(stop, str):
        return stop
    if isinstance(stop, (list, tuple)) and all(isinstance(s, str) for s in stop):
        return list(stop) or None  # an empty list means "no stop sequences"
    raise InvalidInputError(f"stop must be a string or a list of strings; got {stop!r}")


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


def normalize_tool_choice(tool_choice: Any, tools: Any) -> str | dict[str, Any] | None:
    """Turn the many spellings of ``tool_choice`` into what OpenAI-compatible APIs take.

    ``"auto"``/``"none"`` pass; ``"any"``, ``"required"`` and ``True`` become
    ``"required"``; a tool's name becomes ``{"type": "function", "function": {"name": ...}}``;
    a dict passes through; ``None``/``False`` mean "not set".

    Args:
        tool_choice: The caller's value.
        tools: The tools of the same request (OpenAI tool dicts).

    Returns:
        The wire value, or None when nothing should be sent.

    Raises:
        InvalidInputError: A tool choice without tools, a name not among the tools,
            or a value of another type.
    """
    if tool_choice is None or tool_choice is False:
        return None
    if not tools:
        raise InvalidInputError(f"tool_choice={tool_choice!r} was given but there are no tools")
    if tool_choice is True or tool_choice in ("any", "required"):
        return "required"
    if tool_choice in ("auto", "none") or isinstance(tool_choice, dict):
        return tool_choice
    if not isinstance(tool_choice, str):
        raise InvalidInputError(f"tool_choice must be a str, bool or dict; got {type(tool_choice).__name__}")
    names = []
    for tool in tools:
        fn = tool.get("function", tool) if isinstance(tool, Mapping) else None
        if isinstance(fn, Mapping) and isinstance(fn.get("name"), str):
            names.append(fn["name"])
    if tool_choice not in names:
        raise InvalidInputError(f"tool_choice {tool_choice!r} is not one of the tools: {', '.join(names) or '(none)'}")
    return {"type": "function", "function": {"name": tool_choice}}


def _reasoning_effort(body: dict[str, Any], profile: ModelProfile, model: str, effort: Any) -> None:
    allowed = _BASE_EFFORTS + tuple(e for e in _OPTIONAL_EFFORTS if e in profile.reasoning_efforts)
    if effort not in allowed:
        raise InvalidInputError(f"reasoning_effort must be one of {', '.join(allowed)}; got {effort!r}")
    if profile.suffix_effort:
        _warn_once(
            profile,
            "reasoning_effort:suffix",
            f"reasoning_effort={effort!r} was not sent: the model name "
            f"{model!r} already carries effort {profile.suffix_effort!r} in its suffix, and the suffix wins.",
        )
    elif profile.reasoning_effort:
        body["reasoning_effort"] = effort
    else:
        _warn_once(
            profile,
            "reasoning_effort",
            f"reasoning_effort={effort!r} was not sent: {model!r} "
            f"({profile.family} models) does not take it. Pass it in extra_body to send it anyway.",
        )


_NAME_THINKING_SUFFIX = re.compile(r"-(?:nothinking|thinking(?:-\d+)?)$")


def _thinking(body: dict[str, Any], profile: ModelProfile, model: str, thinking: Any) -> None:
    """Put the ``thinking`` switch in ``body`` the way the model's family takes it (profile data)."""
    if isinstance(thinking, Mapping):  # the family's own object ({"type": "disabled"}), sent as it is
        body["thinking"] = dict(thinking)
        return
    if not isinstance(thinking, (bool, int)) or (not isinstance(thinking, bool) and thinking < 1):
        raise InvalidInputError(f"thinking must be True, False or a positive budget of tokens; got {thinking!r}")
    on = thinking is not False
    budget = None if isinstance(thinking, bool) else int(thinking)
    switch = profile.thinking_switch
    if switch == "enable_thinking":
        body["enable_thinking"] = on
        if budget is not None:
            body["thinking_budget"] = budget
    elif switch == "thinking_type":
        body["thinking"] = {"type": "enabled" if on else "disabled"}
        if budget is not None:
            _warn_once(
                profile,
                "thinking:budget",
                f"thinking={budget}: {model!r} ({profile.family} models) takes no "
                "thinking budget; thinking was switched on without one.",
            )
    elif switch == "model_suffix":
        base = _NAME_THINKING_SUFFIX.sub("", str(body["model"]))
        body["model"] = f"{base}-nothinking" if not on else f"{base}-thinking" + (f"-{budget}" if budget else "")
    else:
        _warn_once(
            profile,
            "thinking",
            f"thinking={thinking!r} was not sent: {model!r} ({profile.family} models) "
            "has no known thinking switch (use reasoning_effort, or extra_body with the model's own field).",
        )


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
    stop = _check_common(model, max_tokens, stop)
    profile = profile or get_profile(model)
    body = _start(model, "messages", _prepare_messages(messages, profile), profile, stream, stream_usage)
    _put(body, profile, model, "max_tokens", max_tokens, profile.max_tokens_param)
    _fill(
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
        _reasoning_effort(body, profile, model, reasoning_effort)
    if thinking is not None:
        _thinking(body, profile, model, thinking)
    if response_format is not None and not isinstance(response_format, Mapping):
        raise InvalidInputError(f"response_format must be a dict; got {type(response_format).__name__}")
    if tools is not None and not isinstance(tools, list):
        raise InvalidInputError(f"tools must be a list of tool dicts; got {type(tools).__name__}")
    _fill(
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
    stop = _check_common(model, max_tokens, stop)
    if not isinstance(prompt, str) and not (
        isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt)
    ):
        raise InvalidInputError(f"prompt must be a string or a non-empty list of strings; got {type(prompt).__name__}")
    profile = profile or get_profile(model)
    body = _start(model, "prompt", prompt, profile, stream, stream_usage)
    _fill(
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


def _positions(indexes: list[int], one: str, many: str) -> str:
    """``input 3 is ...`` / ``inputs 3 and 7 are ...`` (at most ten positions named)."""
    shown = [str(i) for i in indexes[:10]]
    if len(indexes) == 1:
        return f"input {shown[0]} {one}"
    head = ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(indexes) <= 10 else ", ".join(shown)
    more = f" and {len(indexes) - 10} more" if len(indexes) > 10 else ""
    return f"inputs {head}{more} {many}"


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
    _check_common(model, None, None)
    texts = list(texts) if isinstance(texts, tuple) else texts
    if not isinstance(texts, list) or not texts:
        hint = " (wrap a single text in a list)" if isinstance(texts, str) else ""
        got = "an empty list" if texts == [] else type(texts).__name__
        raise InvalidInputError(f"texts must be a non-empty list of strings; got {got}{hint}")
    not_str = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if not_str:
        kinds = ", ".join(sorted({type(texts[i]).__name__ for i in not_str}))
        found = _positions(not_str, "is not a string", "are not strings")
        raise InvalidInputError(f"{found} ({kinds}); send raw text, not token arrays")
    empty = [i for i, t in enumerate(texts) if not t]
    if empty:
        found = _positions(empty, "is an empty string", "are empty strings")
        raise InvalidInputError(f"{found}; the gateway rejects empty input")
    profile = profile or get_profile(model)
    body: dict[str, Any] = {"model": model, "input": texts}
    if dimensions is not None:
        if not isinstance(dimensions, int) or isinstance(dimensions, bool) or dimensions < 1:
            raise InvalidInputError(f"dimensions must be a positive int; got {dimensions!r}")
        size = profile.embedding_dimensions
        fixed = profile.known and profile.embedding and not profile.dimensions_configurable
        if fixed and dimensions != size:
            raise InvalidInputError(
                f"{model!r} always returns {size}-dimensional vectors and does not take "
                f"dimensions={dimensions}; use a model that does, e.g. text-embedding-3-small"
            )
        if profile.dimensions_configurable and size and dimensions > size:
            raise InvalidInputError(f"dimensions for {model!r} must be at most {size}; got {dimensions}")
        if not fixed:
            body["dimensions"] = dimensions
    _fill(body, profile, model, {"encoding_format": encoding_format, "user": user})
    return _merge_extra(body, extra_body)


def strict_json_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``schema`` that OpenAI's strict mode accepts; the input is not changed.

    Every object schema (``"type": "object"`` or having ``properties``) gets
    ``additionalProperties: false`` and lists all its properties in ``required``.
    A property that was optional without a default (or with ``default: null``)
    becomes nullable (``"null"`` added to its ``type``, or a ``{"type": "null"}``
    branch to its ``anyOf``), so the model can still leave it out by answering
    null; one with a real default stays non-null, as in openai's own conversion.
    ``"default": null`` is removed.  Nested
    ``properties``, ``items``, ``anyOf``/``oneOf``/``allOf``, ``prefixItems`` and
    ``$defs``/``definitions`` are rewritten the same way.
    """
    return _strict(schema)


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, Mapping):
        return node
    out = {k: v for k, v in node.items() if not (k == "default" and v is None)}
    for key in ("items", "anyOf", "oneOf", "allOf", "prefixItems", "not"):
        if key in out:
            out[key] = _strict(out[key])
    for key in ("$defs", "definitions"):
        if isinstance(out.get(key), Mapping):
            out[key] = {k: _strict(v) for k, v in out[key].items()}
    if out.get("type") == "object" or "properties" in out:
        props = out.get("properties") or {}
        # Like openai's own strict conversion, a property with a real default stays
        # non-null (the model must give a value the caller's type accepts); only a
        # property with no default, or a null one, may be answered with null.
        keep = set(out.get("required") or ()) | {
            k for k, v in props.items() if isinstance(v, Mapping) and v.get("default") is not None
        }
        out["properties"] = {k: _strict(v) if k in keep else _nullable(_strict(v)) for k, v in props.items()}
        out["required"] = list(props)
        out["additionalProperties"] = False
    return out


def _nullable(prop: Any) -> Any:
    if not isinstance(prop, dict):
        return prop
    kind = prop.get("type")
    if isinstance(kind, (str, list)):
        kinds = [kind] if isinstance(kind, str) else kind
        return prop if "null" in kinds else {**prop, "type": [*kinds, "null"]}
    if isinstance(prop.get("anyOf"), list):
        if any(isinstance(b, dict) and b.get("type") == "null" for b in prop["anyOf"]):
            return prop
        return {**prop, "anyOf": [*prop["anyOf"], {"type": "null"}]}
    return {"anyOf": [prop, {"type": "null"}]}


def _check_schema(name: Any, what: str, schema: Any) -> None:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InvalidInputError(f"{what} must be 1-64 letters, digits, '_' or '-'; got {name!r}")
    if not isinstance(schema, Mapping):
        raise InvalidInputError(f"the schema must be a JSON schema dict; got {type(schema).__name__}")


def function_tool(
    name: str, description: str | None, parameters: Mapping[str, Any] | None, strict: bool | None = None
) -> dict[str, Any]:
    """Build an OpenAI tool dict ``{"type": "function", "function": {...}}``.

    Args:
        name: The function name (1-64 of ``[a-zA-Z0-9_-]``).
        description: What the tool does; omitted when None.
        parameters: A JSON schema of the arguments; None means no arguments.
        strict: True sets ``"strict": true`` and rewrites the schema with
            :func:`strict_json_schema`; False is sent as is; None omits the flag.

    Returns:
        The tool dict.

    Raises:
        InvalidInputError: A bad name or a schema that is not a dict.
    """
    parameters = {"type": "object", "properties": {}} if parameters is None else parameters
    _check_schema(name, "a tool name", parameters)
    fn: dict[str, Any] = {"name": name}
    if description is not None:
        fn["description"] = description
    fn["parameters"] = strict_json_schema(parameters) if strict else dict(parameters)
    if strict is not None:
        fn["strict"] = strict
    return {"type": "function", "function": fn}


def json_schema_response_format(
    schema: Mapping[str, Any], name: str = "response", strict: bool | None = None
) -> dict[str, Any]:
    """Build ``response_format`` for Structured Outputs: ``{"type": "json_schema", ...}``.

    Args:
        schema: The JSON schema of the answer.
        name: The schema's name (1-64 of ``[a-zA-Z0-9_-]``).
        strict: True sets ``"strict": true`` and rewrites the schema with
            :func:`strict_json_schema`; None omits the flag.

    Returns:
        The ``response_format`` dict.

    Raises:
        InvalidInputError: A bad name or a schema that is not a dict.
    """
    _check_schema(name, "a schema name", schema)
    spec: dict[str, Any] = {"name": name, "schema": strict_json_schema(schema) if strict else dict(schema)}
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}


def json_object_response_format() -> dict[str, Any]:
    """Build ``response_format`` for JSON mode: ``{"type": "json_object"}``."""
    return {"type": "json_object"}
