"""zzz_core.negotiation's decisions, pure: which 400s are about a parameter, and what is done."""

from __future__ import annotations

import json

import pytest

from zzz_core import error_map, negotiation
from zzz_core import errors as E
from zzz_core.error_map import ErrorContext
from zzz_core.negotiation import Adjustment, diagnose, without_disabled

CTX = ErrorContext(host="h", url="https://h/v1/chat/completions")
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5, "temperature": 0.7,
        "logprobs": True, "presence_penalty": 0.1, "parallel_tool_calls": True, "stream_options": {},
        "response_format": {"type": "json_schema",
                            "json_schema": {"name": "A", "schema": {"type": "object"}}}}  # fmt: skip


def err(status: int, message: str, param: str | None = None, code: str | None = None) -> E.ZZZError:
    payload = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}
    return error_map.from_body(status, json.dumps(payload).encode(), CTX)


@pytest.mark.parametrize("code", sorted(negotiation.REJECTION_CODES))
def test_rejection_codes_are_invalid_request_errors(code) -> None:
    e = err(400, "Unsupported parameter: 'x'", "x", code)
    assert E.named_class(type(e)) is E.InvalidRequestError


WIRE_FACTS = [  # §7 of wire-facts-2, and what is done
    (400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' "
          "instead.", "max_tokens", "unsupported_parameter",
     Adjustment("max_tokens", "rename", "max_completion_tokens")),
    (400, "Unsupported value: 'temperature' does not support 0.7 with this model. Only the default (1) value is "
          "supported.", "temperature", "unsupported_value", Adjustment("temperature", "drop")),
    (400, "Unsupported parameter: 'parallel_tool_calls' is not supported with this model.", "parallel_tool_calls",
     "unsupported_parameter", Adjustment("parallel_tool_calls", "drop")),
    (400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", None,
     Adjustment("stream_options", "drop")),
    (400, "Unknown parameter: 'stream_options'. (request id: a) (request id: b)", "stream_options",
     "unknown_parameter", Adjustment("stream_options", "drop")),
    (400, "This response_format type is unavailable now", None, "invalid_request_error",
     Adjustment("response_format", "json_mode")),
    (422, "Failed to deserialize: response_format.type `json_schema` is unavailable now", None, None,
     Adjustment("response_format", "json_mode")),
    (400, "deepseek-reasoner does not support the parameter `presence_penalty`", None, "invalid_request_error",
     Adjustment("presence_penalty", "drop")),
    (400, "invalid temperature: only 1 is allowed for this model", None, None, Adjustment("temperature", "drop")),
    (400, "Unable to submit request because Logprobs is not supported for this model.", None, None,
     Adjustment("logprobs", "drop")),
]  # fmt: skip


@pytest.mark.parametrize("status,message,param,code,expected", WIRE_FACTS)
def test_each_documented_rejection_is_diagnosed(status, message, param, code, expected) -> None:
    assert diagnose(err(status, message, param, code), BODY) == expected


NOT_ABOUT_A_PARAMETER = [
    (400, "This model's maximum context length is 128000 tokens.", None, "context_length_exceeded"),
    (400, "sensitive words detected", None, "sensitive_words_detected"),
    (400, "field messages is required", "messages", "invalid_request"),
    (400, "Invalid 'messages[1].content': string too long", "messages", None),
    (401, "Unsupported parameter: 'temperature'", "temperature", "unsupported_parameter"),
    (500, "Unsupported parameter: 'temperature'", "temperature", "unsupported_parameter"),
    (400, "Unsupported parameter: 'seed' is not supported", "seed", "unsupported_parameter"),  # not in the body
]


@pytest.mark.parametrize("status,message,param,code", NOT_ABOUT_A_PARAMETER)
def test_other_failures_are_not_negotiated(status, message, param, code) -> None:
    assert diagnose(err(status, message, param, code), BODY) is None


def test_json_mode_keeps_the_schema_for_the_model() -> None:
    out = Adjustment("response_format", "json_mode").apply(BODY)
    assert out["response_format"] == {"type": "json_object"}
    assert out["messages"][0]["role"] == "system" and '{"type": "object"}' in out["messages"][0]["content"]
    assert BODY["response_format"]["type"] == "json_schema"  # the caller's body is not modified


def test_learned_adjustments_are_per_host_and_model_and_never_circle() -> None:
    negotiation.forget()
    try:
        e = err(400, "Use 'max_completion_tokens' instead.", "max_tokens", "unsupported_parameter")
        assert negotiation.learn(e, BODY, "a:1")
        assert "max_completion_tokens" in negotiation.prepare(BODY, "a:1")
        assert negotiation.prepare(BODY, "b:1") == BODY
        assert negotiation.prepare({**BODY, "model": "other"}, "a:1")["max_tokens"] == 5
        back = err(400, "Unrecognized request argument supplied: max_completion_tokens", None, None)
        assert not negotiation.learn(back, negotiation.prepare(BODY, "a:1"), "a:1")
    finally:
        negotiation.forget()


def test_without_disabled() -> None:
    assert "temperature" not in without_disabled(BODY, {"temperature": None})
    assert without_disabled(BODY, {"temperature": [0.5]})["temperature"] == 0.7
    assert "temperature" not in without_disabled(BODY, {"temperature": [0.7]})
    assert without_disabled(BODY, {"model": None, "messages": None}) == BODY
