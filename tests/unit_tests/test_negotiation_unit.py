"""zzz_core.negotiation's decisions, pure: which 400s are about a parameter, and what is done.

Each test starts with nothing learned (tests/conftest.py).
"""

from __future__ import annotations

import json

import pytest

from zzz_core import error_map, function_answers, negotiation
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
     Adjustment("response_format", "function_call")),
    (422, "Failed to deserialize: response_format.type `json_schema` is unavailable now", None, None,
     Adjustment("response_format", "function_call")),
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


@pytest.mark.parametrize(
    "message",
    ["Image input is not supported for this user", "This model does not support image input; stop sending images"],
)
def test_a_word_that_merely_occurs_in_the_message_names_nothing(message) -> None:
    # The body's "user" and "stop" occur in these texts, but the 400 is about the image: nothing
    # is dropped (it would be, from every later call of the model).
    body = {**BODY, "user": "u-1", "stop": ["\n"]}
    assert diagnose(err(400, message, None, "invalid_request_error"), body) is None
    assert diagnose(err(400, "Unsupported parameter: 'user'", None, None), body) == Adjustment("user", "drop")


def test_json_mode_keeps_the_schema_for_the_model() -> None:
    out = Adjustment("response_format", "json_mode").apply(BODY)
    assert out["response_format"] == {"type": "json_object"}
    assert out["messages"][0]["role"] == "system" and '{"type": "object"}' in out["messages"][0]["content"]
    assert BODY["response_format"]["type"] == "json_schema"  # the caller's body is not modified


def test_json_mode_joins_the_callers_system_message_instead_of_adding_a_second() -> None:
    body = {**BODY, "messages": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "hi"}]}
    out = Adjustment("response_format", "json_mode").apply(body)
    assert [m["role"] for m in out["messages"]] == ["system", "user"]
    assert out["messages"][0]["content"].startswith("Be terse.\n\n") and "JSON schema" in out["messages"][0]["content"]
    assert body["messages"][0]["content"] == "Be terse."  # the caller's message is not modified
    # A system message in content parts is left whole; the instruction goes before it.
    parts = {**BODY, "messages": [{"role": "system", "content": [{"type": "text", "text": "x"}]}]}
    out = Adjustment("response_format", "json_mode").apply(parts)
    assert [m["role"] for m in out["messages"]] == ["system", "system"]


def test_learned_adjustments_are_per_host_and_model_and_never_circle() -> None:
    e = err(400, "Use 'max_completion_tokens' instead.", "max_tokens", "unsupported_parameter")
    assert negotiation.learn(e, BODY, "a:1")
    assert "max_completion_tokens" in negotiation.prepare(BODY, "a:1")
    assert negotiation.prepare(BODY, "b:1") == BODY
    assert negotiation.prepare({**BODY, "model": "other"}, "a:1")["max_tokens"] == 5
    back = err(400, "Unrecognized request argument supplied: max_completion_tokens", None, None)
    renamed = negotiation.prepare(BODY, "a:1")
    assert diagnose(back, renamed) == Adjustment("max_completion_tokens", "rename", "max_tokens")
    assert not negotiation.learn(back, renamed, "a:1")  # named, but renaming back would circle


def test_without_disabled() -> None:
    assert "temperature" not in without_disabled(BODY, {"temperature": None})
    assert without_disabled(BODY, {"temperature": [0.5]})["temperature"] == 0.7
    assert "temperature" not in without_disabled(BODY, {"temperature": [0.7]})
    assert without_disabled(BODY, {"model": None, "messages": None}) == BODY


# -- json_schema's stand-in: one forced function call, then JSON mode ----------------------
ASKED = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "response_format": BODY["response_format"]}
FORCED = {"type": "function", "function": {"name": "A"}}


def test_function_call_forces_one_function_with_the_schema() -> None:
    out = Adjustment("response_format", "function_call").apply(ASKED)
    assert "response_format" not in out and out["tool_choice"] == FORCED
    assert out["tools"] == [{"type": "function", "function": {"name": "A", "parameters": {"type": "object"}}}]
    assert negotiation.forced_function(ASKED, out) == "A"
    assert negotiation.forced_function(out, out) is None  # tools the caller sent are never "forced"


@pytest.mark.parametrize("action", ["function_call", "json_mode"])
def test_what_was_learned_for_json_schema_leaves_json_object_alone(action) -> None:
    asked = {**ASKED, "response_format": {"type": "json_object"}}
    assert Adjustment("response_format", action).apply(asked) == asked


def test_function_call_with_the_callers_tools_is_json_mode() -> None:
    tools = [{"type": "function", "function": {"name": "own", "parameters": {"type": "object"}}}]
    out = Adjustment("response_format", "function_call").apply({**ASKED, "tools": tools})
    assert out["tools"] == tools and "tool_choice" not in out
    assert out["response_format"] == {"type": "json_object"} and out["messages"][0]["role"] == "system"


def _learn_function_call(host: str) -> dict:
    rejected = err(400, "This response_format type is unavailable now", None, "invalid_request_error")
    assert negotiation.learn(rejected, ASKED, host, ASKED)
    sent = negotiation.prepare(ASKED, host)
    assert negotiation.forced_function(ASKED, sent) == "A"
    return sent


@pytest.mark.parametrize(
    "refusal",
    [
        (400, "Unsupported parameter: 'tools' is not supported with this model.", "tools", "unsupported_parameter"),
        (400, "Unsupported value: 'tool_choice' named functions are not supported", "tool_choice", "unsupported_value"),
        (400, "deepseek-reasoner does not support Function Calling", None, "invalid_request_error"),
    ],
)
def test_a_refused_function_call_becomes_json_mode(refusal, caplog) -> None:
    sent = _learn_function_call("h:1")
    assert negotiation.learn(err(*refusal), sent, "h:1", ASKED)
    assert negotiation.learned("h:1", "m") == (Adjustment("response_format", "json_mode"),)
    again = negotiation.prepare(ASKED, "h:1")
    assert again["response_format"] == {"type": "json_object"} and "tools" not in again
    assert "JSON mode" in caplog.records[-1].getMessage()


def test_a_refusal_of_the_callers_own_tools_is_not_negotiated() -> None:
    own = {**ASKED, "tools": [{"type": "function", "function": {"name": "own"}}], "response_format": None}
    refused = err(400, "Unsupported parameter: 'tools' is not supported with this model.", "tools",
                  "unsupported_parameter")  # fmt: skip
    assert not negotiation.learn(refused, own, "h:1", own)
    assert negotiation.learned("h:1", "m") == ()


def _answer(message: dict, finish: str = "tool_calls") -> dict:
    return {"id": "c1", "model": "m", "choices": [{"index": 0, "message": message, "finish_reason": finish}]}


CALL = {"id": "call_1", "type": "function", "function": {"name": "A", "arguments": '{"city": "Paris"}'}}


def test_the_forced_call_is_handed_back_as_content() -> None:
    turn = negotiation.Negotiated(ASKED, {}, "h:1", "A")
    out = turn.answer(_answer({"role": "assistant", "content": "Sure:", "tool_calls": [CALL]}), CTX)
    assert out["choices"][0]["message"] == {"role": "assistant", "content": '{"city": "Paris"}'}
    assert out["choices"][0]["finish_reason"] == "stop"
    as_object = {**CALL, "function": {"name": "A", "arguments": {"city": "天津"}}}  # some relays send an object
    out = turn.answer(_answer({"role": "assistant", "tool_calls": [as_object]}), CTX)
    assert json.loads(out["choices"][0]["message"]["content"]) == {"city": "天津"}


def test_an_answer_without_the_call_is_learned_as_json_mode() -> None:
    sent = _learn_function_call("h:1")
    turn = negotiation.attempt(ASKED, "h:1")
    assert turn.function == "A" and turn.sent == sent
    with pytest.raises(E.GatewayError) as info:
        turn.answer(_answer({"role": "assistant", "content": "Paris"}, "stop"), CTX)
    assert info.value.code == function_answers.NOT_CALLED and not info.value.retryable
    assert turn.learn(info.value)
    assert negotiation.attempt(ASKED, "h:1").sent["response_format"] == {"type": "json_object"}


def _events(*deltas: dict, finish: str | None = "tool_calls") -> list[dict]:
    out = [{"id": "c1", "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    out[-1]["choices"][0]["finish_reason"] = finish
    return out


def test_streamed_argument_fragments_become_content_fragments() -> None:
    from zzz_core.decode import ChatStreamAssembler

    inner = ChatStreamAssembler()
    sink = negotiation.Negotiated(ASKED, {}, "h:1", "A").sink(inner, CTX)
    events = _events(
        {"role": "assistant", "content": ""},
        {"tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "A", "arguments": ""}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]},
    )
    chunks = [c for e in events for c in sink.feed(e)] + sink.finish()
    assert "".join(c.content for c in chunks) == '{"city": "Paris"}' and not any(c.tool_calls for c in chunks)
    result = inner.result()
    assert result.choices[0].content == '{"city": "Paris"}' and result.choices[0].finish_reason == "stop"
    assert not result.choices[0].tool_calls


def test_a_stream_without_the_call_fails_before_anything_is_delivered() -> None:
    from zzz_core.decode import ChatStreamAssembler

    sink = negotiation.Negotiated(ASKED, {}, "h:1", "A").sink(ChatStreamAssembler(), CTX)
    for event in _events({"role": "assistant", "content": "Paris"}, {"content": " is nice"}, finish="stop"):
        assert all(not c.content for c in sink.feed(event))  # text beside the call is held back
    assert not sink.delivered
    with pytest.raises(E.GatewayError) as info:
        sink.finish()
    assert info.value.code == function_answers.NOT_CALLED


def test_a_stream_that_delivered_reasoning_gets_the_text_instead() -> None:
    from zzz_core.decode import ChatStreamAssembler

    inner = ChatStreamAssembler()
    sink = negotiation.Negotiated(ASKED, {}, "h:1", "A").sink(inner, CTX)
    for event in _events({"reasoning_content": "thinking"}, {"content": '{"city": "Paris"}'}, finish="stop"):
        sink.feed(event)
    assert sink.delivered  # the reasoning reached the caller: no second request can be sent
    assert "".join(c.content for c in sink.finish()) == '{"city": "Paris"}'
    assert inner.result().choices[0].content == '{"city": "Paris"}'


# -- review: names, order and scope of what was learned ---------------------------------------
def test_the_forced_function_is_named_as_a_function_may_be() -> None:
    # A schema name the API would refuse as a function name ("my schema.v1") is made one.
    asked = {**ASKED, "response_format": {"type": "json_schema", "json_schema": {"name": "my schema.v1"}}}
    out = Adjustment("response_format", "function_call").apply(asked)
    assert out["tools"][0]["function"]["name"] == "my_schema_v1"
    assert out["tool_choice"] == {"type": "function", "function": {"name": "my_schema_v1"}}
    turn = negotiation.Negotiated(asked, out, "h:1", negotiation.forced_function(asked, out))
    call = {**CALL, "function": {"name": "my_schema_v1", "arguments": '{"city": "Paris"}'}}
    assert turn.answer(_answer({"role": "assistant", "tool_calls": [call]}), CTX)["choices"][0]["message"] == {
        "role": "assistant",
        "content": '{"city": "Paris"}',
    }


def test_a_refused_json_object_never_drops_a_later_json_schema() -> None:
    # Learned on a json_object call: leaving response_format out.  A json_schema call must not
    # lose its schema unsaid: it takes its own steps, and the drop then meets the json_object
    # that JSON mode makes (the schema stays in the system message).
    as_object = {**ASKED, "response_format": {"type": "json_object"}}
    refused = err(400, "This response_format type is unavailable now", None, "invalid_request_error")
    assert negotiation.learn(refused, as_object, "h:1", as_object)
    assert "response_format" not in negotiation.prepare(as_object, "h:1")
    assert negotiation.prepare(ASKED, "h:1") == ASKED  # json_schema is tried as asked
    assert negotiation.learn(refused, ASKED, "h:1", ASKED)
    sent = negotiation.prepare(ASKED, "h:1")
    assert negotiation.forced_function(ASKED, sent) == "A"
    no_tools = err(400, "Unsupported parameter: 'tools' is not supported with this model.", "tools",
                   "unsupported_parameter")  # fmt: skip
    assert negotiation.learn(no_tools, sent, "h:1", ASKED)
    final = negotiation.prepare(ASKED, "h:1")
    assert "response_format" not in final and "tools" not in final
    assert final["messages"][0]["role"] == "system" and "JSON schema" in final["messages"][0]["content"]


def test_a_refusal_naming_another_parameter_keeps_the_forced_function() -> None:
    # The forced call's body also carries temperature; a refusal naming temperature (whose text
    # mentions tools) drops temperature, not the function call.
    asked = {**ASKED, "temperature": 0.7}
    refused = err(400, "This response_format type is unavailable now", None, "invalid_request_error")
    assert negotiation.learn(refused, asked, "h:1", asked)
    sent = negotiation.prepare(asked, "h:1")
    no_temperature = err(400, "Unsupported value: 'temperature' does not support 0.7 with tools.",
                         "temperature", "unsupported_value")  # fmt: skip
    assert negotiation.learn(no_temperature, sent, "h:1", asked)
    assert negotiation.learned("h:1", "m") == (
        Adjustment("response_format", "function_call"),
        Adjustment("temperature", "drop"),
    )
    final = negotiation.prepare(asked, "h:1")
    assert "temperature" not in final and negotiation.forced_function(asked, final) == "A"


def test_a_dropped_tool_choice_still_hands_the_call_back_as_content() -> None:
    # Learned first on the caller's own tools: the model refuses a named tool_choice.  The
    # forced function standing in for json_schema then goes without it; the call it answers
    # with is still the JSON content, and no tool call reaches the caller.
    own = {**ASKED, "tools": [{"type": "function", "function": {"name": "own"}}], "tool_choice": FORCED}
    del own["response_format"]
    named = err(400, "Unsupported value: 'tool_choice' named functions are not supported", "tool_choice",
                "unsupported_value")  # fmt: skip
    assert negotiation.learn(named, own, "h:1", own)
    no_schema = err(400, "This response_format type is unavailable now", None, "invalid_request_error")
    assert negotiation.learn(no_schema, ASKED, "h:1", ASKED)
    turn = negotiation.attempt(ASKED, "h:1")
    assert "tool_choice" not in turn.sent and turn.sent["tools"][0]["function"]["name"] == "A"
    assert turn.function == "A"
    out = turn.answer(_answer({"role": "assistant", "tool_calls": [CALL]}), CTX)
    assert out["choices"][0]["message"] == {"role": "assistant", "content": '{"city": "Paris"}'}


def test_a_late_json_schema_refusal_never_brings_the_refused_function_call_back() -> None:
    # Two calls start together; one learns the function call and then JSON mode, and only then
    # does the other's json_schema refusal arrive: it resends in JSON mode, and nothing puts the
    # function call (refused) back in front of it for the calls to come.
    sent = _learn_function_call("h:1")
    assert negotiation.learn(err(400, "Unsupported parameter: 'tools' is not supported with this model.", "tools",
                                 "unsupported_parameter"), sent, "h:1", ASKED)  # fmt: skip
    late = err(400, "This response_format type is unavailable now", None, "invalid_request_error")
    assert negotiation.learn(late, ASKED, "h:1", ASKED)  # resend: prepare() now asks for JSON mode
    assert negotiation.learned("h:1", "m") == (Adjustment("response_format", "json_mode"),)
    assert negotiation.attempt(ASKED, "h:1").sent["response_format"] == {"type": "json_object"}
