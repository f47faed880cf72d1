"""Models that reject request parameters, with the real gateways' messages (wire-facts-2 §7).

``GatewaySimulator.reject(model, *rules)`` makes ``model`` answer HTTP 400 whenever a
request carries what a rule names, with the upstream's own message, ``param`` and
``code``, relayed the way the dialect relays it (new-api appends its request-id suffix).
A model may have several rules; the first that matches answers.  Rules:

=========================  ==========================================================================
rule                       rejects (upstream; message; param / code)
=========================  ==========================================================================
``max_tokens``             OpenAI: "Unsupported parameter: 'max_tokens' ... Use 'max_completion_tokens'
                           instead."; max_tokens / unsupported_parameter
``max_completion_tokens``  an Azure-style relay: "Unrecognized request argument supplied:
                           max_completion_tokens"; null / null
``temperature``            OpenAI: "Unsupported value: 'temperature' does not support 0.7 with this
                           model. Only the default (1) value is supported."; temperature /
                           unsupported_value (only a value other than 1)
``temperature_kimi``       Kimi: "invalid temperature: only 1 is allowed for this model"; no param/code
``parallel_tool_calls``    OpenAI o-series: "Unsupported parameter: 'parallel_tool_calls' is not
                           supported with this model."; parallel_tool_calls / unsupported_parameter
``stream_options``         via new-api: "Unknown parameter: 'stream_options'."; stream_options /
                           unknown_parameter
``presence_penalty``       DeepSeek: "deepseek-reasoner does not support the parameter
                           `presence_penalty`"; null / invalid_request_error
``logprobs``               Gemini: "Unable to submit request because Logprobs is not supported for
                           this model."; no param/code
``json_schema``            DeepSeek: "This response_format type is unavailable now" (a
                           ``response_format`` of type json_schema); null / invalid_request_error
``encoding_format``        embeddings: "Unknown parameter: 'encoding_format'."; encoding_format /
                           unknown_parameter
``tools``                  a model without function calling (OpenAI o1-preview's wording, not in
                           wire-facts-2; unsure how each relay words it): "Unsupported parameter:
                           'tools' is not supported with this model."; tools / unsupported_parameter
``max_tokens_too_large``   OpenAI: "max_tokens is too large: N. This model supports at most 16384
                           completion tokens, whereas you provided N."; max_tokens / invalid_value
                           (only above 16384; a value the model cannot give, not a parameter it
                           refuses, so nothing is negotiated)
=========================  ==========================================================================

One rule rejects nothing but changes the answer (:data:`IGNORING_RULES`):
``ignores_tools``, a model (or a relay converting the request for it) that drops ``tools`` and
``tool_choice`` and answers in text, even where a function call was forced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .faults import REQUEST_ID

__all__ = ["IGNORING_RULES", "REJECTION_RULES", "ignoring", "rejection"]

Body = dict[str, Any]


def _has(name: str) -> Callable[[Body], bool]:
    return lambda body: name in body


def _not_one(body: Body) -> bool:
    return "temperature" in body and body["temperature"] != 1


_MAX_OUTPUT = 16384


def _asked_tokens(body: Body) -> int:
    value = body.get("max_tokens", body.get("max_completion_tokens"))
    return value if isinstance(value, int) else 0


def _json_schema(body: Body) -> bool:
    fmt = body.get("response_format")
    return isinstance(fmt, dict) and fmt.get("type") == "json_schema"


#: rule -> (does the body trigger it, message (``{value}`` = the parameter's value), param, code)
REJECTION_RULES: dict[str, tuple[Callable[[Body], bool], str, str | None, str | None]] = {
    "max_tokens": (
        _has("max_tokens"),
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        "max_tokens", "unsupported_parameter",
    ),
    "max_completion_tokens": (
        _has("max_completion_tokens"), "Unrecognized request argument supplied: max_completion_tokens", None, None,
    ),
    "temperature": (
        _not_one,
        "Unsupported value: 'temperature' does not support {temperature} with this model. "
        "Only the default (1) value is supported.",
        "temperature", "unsupported_value",
    ),
    "temperature_kimi": (_not_one, "invalid temperature: only 1 is allowed for this model", None, None),
    "parallel_tool_calls": (
        _has("parallel_tool_calls"),
        "Unsupported parameter: 'parallel_tool_calls' is not supported with this model.",
        "parallel_tool_calls", "unsupported_parameter",
    ),
    "stream_options": (
        _has("stream_options"), "Unknown parameter: 'stream_options'.", "stream_options", "unknown_parameter",
    ),
    "presence_penalty": (
        _has("presence_penalty"), "deepseek-reasoner does not support the parameter `presence_penalty`",
        None, "invalid_request_error",
    ),
    "logprobs": (
        _has("logprobs"), "Unable to submit request because Logprobs is not supported for this model.", None, None,
    ),
    "json_schema": (_json_schema, "This response_format type is unavailable now", None, "invalid_request_error"),
    "encoding_format": (
        _has("encoding_format"), "Unknown parameter: 'encoding_format'.", "encoding_format", "unknown_parameter",
    ),
    "tools": (
        _has("tools"), "Unsupported parameter: 'tools' is not supported with this model.", "tools",
        "unsupported_parameter",
    ),
    "max_tokens_too_large": (
        lambda body: _asked_tokens(body) > _MAX_OUTPUT,
        "max_tokens is too large: {max_tokens}. This model supports at most " + str(_MAX_OUTPUT)
        + " completion tokens, whereas you provided {max_tokens}.",
        "max_tokens", "invalid_value",
    ),
}  # fmt: skip


#: rule -> the body the model answers instead of the one sent (nothing is rejected)
IGNORING_RULES: dict[str, Callable[[Body], Body]] = {
    "ignores_tools": lambda body: {k: v for k, v in body.items() if k not in ("tools", "tool_choice")},
}


def ignoring(rules: list[str], body: Any) -> Body | None:
    """The body the model answers when ``rules`` make it ignore part of ``body``, else ``None``."""
    if not isinstance(body, dict):
        return None
    acted = body
    for name in rules:
        if name in IGNORING_RULES:
            acted = IGNORING_RULES[name](acted)
    return acted if acted != body else None


def rejection(rules: list[str], body: Any, dialect: str) -> tuple[int, Body] | None:
    """``(400, error body)`` for the first of ``rules`` that ``body`` triggers, else ``None``."""
    if not isinstance(body, dict):
        return None
    for name in rules:
        if name not in REJECTION_RULES:
            continue  # an ignoring rule
        triggered, message, param, code = REJECTION_RULES[name]
        if triggered(body):
            text = message.format(temperature=body.get("temperature"), max_tokens=_asked_tokens(body))
            if dialect == "newapi":  # new-api relays the upstream's error with its own suffix
                text += f" (request id: {REQUEST_ID})"
            return 400, {"error": {"message": text, "type": "invalid_request_error", "param": param, "code": code}}
    return None
