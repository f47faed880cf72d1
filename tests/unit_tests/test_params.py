"""Request building: every model-aware rule of zzz_core.params, checked on the JSON it returns."""

from __future__ import annotations

import copy
import json
import warnings
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zzz_core.errors import InvalidInputError
from zzz_core.params import (
    build_chat_request,
    build_completion_request,
    build_embedding_request,
    function_tool,
    json_object_response_format,
    json_schema_response_format,
    normalize_tool_choice,
    reset_param_warnings,
    strict_json_schema,
)
from zzz_core.profiles import get_profile

USER = [{"role": "user", "content": "hi"}]
WEATHER = function_tool("get_weather", "Weather of a city", {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
})
CLOCK = function_tool("get_time", None, None)


@pytest.fixture(autouse=True)
def _fresh_warnings():
    reset_param_warnings()
    yield
    reset_param_warnings()


@contextmanager
def recorded():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def user_warnings(caught):
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


# ---------------------------------------------------------------- messages


@pytest.mark.parametrize(("messages", "got"), [
    ("hello", "str"), ({"role": "user", "content": "hi"}, "dict"), (({"role": "user", "content": "hi"},), "tuple"),
    (None, "NoneType"), ([], "an empty list"),
])
def test_messages_must_be_a_list_of_dicts(messages, got):
    with pytest.raises(InvalidInputError) as info:
        build_chat_request("gpt-4o", messages)
    assert str(info.value) == f"messages must be a list of {{'role': ..., 'content': ...}} dicts; got {got}"


@pytest.mark.parametrize(("bad", "what"), [
    ("hi", "messages[1] is str"), ({"content": "x"}, "messages[1] is a dict without a string 'role'"),
    ({"role": None, "content": "x"}, "messages[1] is a dict without a string 'role'"),
    (("user", "hi"), "messages[1] is tuple"),
])
def test_each_message_needs_a_role(bad, what):
    with pytest.raises(InvalidInputError, match=what.replace("[", r"\[").replace("]", r"\]")):
        build_chat_request("gpt-4o", [USER[0], bad])


def test_minimal_body_sends_no_none_values():
    assert build_chat_request("gpt-4o", USER) == {"model": "gpt-4o", "messages": USER}


def test_model_must_be_a_non_empty_string():
    for model in ("", "  ", None, 3):
        with pytest.raises(InvalidInputError, match="model must be a non-empty string"):
            build_chat_request(model, USER)  # type: ignore[arg-type]


def test_unchanged_messages_are_sent_without_copying():
    messages = [{"role": "system", "content": "be brief"}, *USER, {"role": "assistant", "content": "hello"}]
    assert build_chat_request("deepseek-reasoner", messages)["messages"] is messages


REASONED = [
    {"role": "user", "content": "weather?"},
    {"role": "assistant", "content": None, "reasoning_content": "I should call the tool",
     "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    {"role": "assistant", "content": "It is sunny.", "reasoning_content": "The tool said sunny"},
    {"role": "user", "content": "thanks"},
]


def test_deepseek_reasoner_keeps_reasoning_content_on_tool_call_turns_only():
    before = copy.deepcopy(REASONED)
    sent = build_chat_request("deepseek-reasoner", REASONED)["messages"]
    assert sent[1]["reasoning_content"] == "I should call the tool"
    assert "reasoning_content" not in sent[3]
    assert REASONED == before  # the caller's dicts are untouched
    assert sent[1] is REASONED[1] and sent[0] is REASONED[0]  # unchanged dicts are not copied
    assert sent[3] is not REASONED[3]


@pytest.mark.parametrize("model", ["gpt-4o", "deepseek-r1", "deepseek-chat", "claude-sonnet-4-5", "unknown-x"])
def test_models_without_replay_strip_reasoning_content(model):
    before = copy.deepcopy(REASONED)
    sent = build_chat_request(model, REASONED)["messages"]
    assert all("reasoning_content" not in m for m in sent)
    assert REASONED == before
    assert sent[1]["tool_calls"] == REASONED[1]["tool_calls"]


def test_kimi_and_glm_thinking_replay_like_deepseek():
    for model in ("kimi-k2-thinking", "glm-4.6", "deepseek-v3.2-thinking"):
        assert build_chat_request(model, REASONED)["messages"][1]["reasoning_content"], model


def test_tool_message_list_content_is_joined_to_a_string():
    image = {"type": "image_url", "image_url": {"url": "https://x/y.png"}}
    messages = [*USER, {"role": "tool", "tool_call_id": "c1",
                        "content": [{"type": "text", "text": "line one"}, "line two", image]}]
    before = copy.deepcopy(messages)
    sent = build_chat_request("gpt-4o", messages)["messages"]
    assert sent[1]["content"] == "line one\nline two\n" + json.dumps(image)
    assert sent[1]["tool_call_id"] == "c1"
    assert messages == before
    user_list = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert build_chat_request("gpt-4o", user_list)["messages"] is user_list  # only tool messages are joined


# ---------------------------------------------------------------- max_tokens and dropped params


@pytest.mark.parametrize(("model", "key"), [
    ("gpt-4o", "max_tokens"), ("claude-3-7-sonnet", "max_tokens"), ("deepseek-reasoner", "max_tokens"),
    ("gpt-5", "max_completion_tokens"), ("o3-mini", "max_completion_tokens"), ("o1-mini", "max_completion_tokens"),
    ("brand-new-model", "max_tokens"),
])
def test_max_tokens_goes_out_under_the_profiles_name(model, key):
    body = build_chat_request(model, USER, max_tokens=100)
    assert body[key] == 100
    assert {"max_tokens", "max_completion_tokens"} - {key} & body.keys() == set()


@pytest.mark.parametrize("bad", [0, -5, 1.5, "100", True])
def test_max_tokens_must_be_a_positive_int(bad):
    with pytest.raises(InvalidInputError, match="max_tokens"):
        build_chat_request("gpt-4o", USER, max_tokens=bad)


def test_gpt5_drops_temperature_with_exactly_one_warning_across_two_calls():
    with recorded() as caught:
        first = build_chat_request("gpt-5", USER, temperature=0.2)
        second = build_chat_request("gpt-5-mini", USER, temperature=0.7)
    assert "temperature" not in first and "temperature" not in second
    messages = user_warnings(caught)
    assert len(messages) == 1
    assert "temperature" in messages[0] and "'gpt-5'" in messages[0] and "400" in messages[0]
    assert "extra_body" in messages[0]


def test_dedupe_is_per_family_and_param_and_resettable():
    with recorded() as caught:
        build_chat_request("gpt-5", USER, temperature=0.2, top_p=0.5)
        build_chat_request("o3", USER, temperature=0.2)
        build_chat_request("gpt-5.1", USER, top_p=0.1)
    assert len(user_warnings(caught)) == 3  # gpt-5/temperature, gpt-5/top_p, o-series/temperature
    reset_param_warnings()
    with recorded() as caught:
        build_chat_request("gpt-5", USER, temperature=0.2)
    assert len(user_warnings(caught)) == 1


def test_all_reasoning_rejects_are_dropped_for_o_series():
    with recorded():
        body = build_chat_request("o3", USER, temperature=1, top_p=1, presence_penalty=0, frequency_penalty=0,
                                  logprobs=True, top_logprobs=2, n=2, logit_bias={"1": 1}, seed=7, user="u")
    assert body == {"model": "o3", "messages": USER, "seed": 7, "user": "u"}


def test_deepseek_reasoner_keeps_sampling_params_but_drops_logprobs():
    with recorded() as caught:
        body = build_chat_request("deepseek-reasoner", USER, temperature=0.3, top_p=0.9, logprobs=True)
    assert body["temperature"] == 0.3 and body["top_p"] == 0.9 and "logprobs" not in body
    assert len(user_warnings(caught)) == 1 and "logprobs" in user_warnings(caught)[0]


def test_profile_argument_and_overrides_drive_the_rules():
    prof = get_profile("gpt-4o", {"unsupported_params": {"seed"}, "max_tokens_param": "max_completion_tokens"})
    with recorded() as caught:
        body = build_chat_request("gpt-4o", USER, profile=prof, seed=1, max_tokens=5)
    assert "seed" not in body and body["max_completion_tokens"] == 5
    assert len(user_warnings(caught)) == 1


def test_passthrough_params():
    fmt = json_object_response_format()
    body = build_chat_request("gpt-4o", USER, n=2, stop="END", seed=3, logit_bias={"50256": -100}, logprobs=True,
                              top_logprobs=3, user="u-1", response_format=fmt, temperature=0, top_p=1,
                              presence_penalty=0.5, frequency_penalty=-0.5)
    assert body == {"model": "gpt-4o", "messages": USER, "n": 2, "stop": "END", "seed": 3,
                    "logit_bias": {"50256": -100}, "logprobs": True, "top_logprobs": 3, "user": "u-1",
                    "response_format": {"type": "json_object"}, "temperature": 0, "top_p": 1,
                    "presence_penalty": 0.5, "frequency_penalty": -0.5}


def test_stop_forms():
    assert build_chat_request("gpt-4o", USER, stop=["a", "b"])["stop"] == ["a", "b"]
    assert build_chat_request("gpt-4o", USER, stop=("a",))["stop"] == ["a"]
    assert "stop" not in build_chat_request("gpt-4o", USER, stop=[])
    for bad in (3, ["a", 1], {"a": 1}):
        with pytest.raises(InvalidInputError, match="stop"):
            build_chat_request("gpt-4o", USER, stop=bad)


def test_response_format_must_be_a_dict():
    with pytest.raises(InvalidInputError, match="response_format"):
        build_chat_request("gpt-4o", USER, response_format="json_object")  # type: ignore[arg-type]


def test_extra_body_is_merged_last_and_overrides_anything():
    with recorded():
        body = build_chat_request("gpt-5", USER, temperature=0.2, max_tokens=9,
                                  extra_body={"temperature": 0.5, "model": "gpt-5-mini", "verbosity": "low"})
    assert body["temperature"] == 0.5 and body["model"] == "gpt-5-mini" and body["verbosity"] == "low"
    assert body["max_completion_tokens"] == 9
    with pytest.raises(InvalidInputError, match="extra_body"):
        build_chat_request("gpt-4o", USER, extra_body=[("a", 1)])  # type: ignore[arg-type]


# ---------------------------------------------------------------- reasoning_effort


@pytest.mark.parametrize("model", ["o3", "o4-mini", "gpt-5", "claude-3-7-sonnet-20250219", "gemini-2.5-pro"])
def test_reasoning_effort_is_sent_to_models_that_take_it(model):
    with recorded() as caught:
        assert build_chat_request(model, USER, reasoning_effort="high")["reasoning_effort"] == "high"
    assert not user_warnings(caught)


def test_reasoning_effort_is_dropped_with_one_warning_elsewhere():
    with recorded() as caught:
        assert "reasoning_effort" not in build_chat_request("gpt-4o", USER, reasoning_effort="low")
        assert "reasoning_effort" not in build_chat_request("gpt-4o-mini", USER, reasoning_effort="low")
        assert "reasoning_effort" not in build_chat_request("deepseek-reasoner", USER, reasoning_effort="low")
    messages = user_warnings(caught)
    assert len(messages) == 2  # one per family
    assert "reasoning_effort" in messages[0] and "'gpt-4o'" in messages[0]


def test_suffix_effort_wins_over_reasoning_effort():
    with recorded() as caught:
        body = build_chat_request("o3-mini-high", USER, reasoning_effort="low")
    assert "reasoning_effort" not in body and body["model"] == "o3-mini-high"
    [message] = user_warnings(caught)
    assert "suffix" in message and "'high'" in message and "'low'" in message


@pytest.mark.parametrize("bad", ["max", "HIGH", "", 3, "extreme"])
def test_reasoning_effort_values_are_checked(bad):
    with pytest.raises(InvalidInputError, match="reasoning_effort must be one of minimal, low, medium, high"):
        build_chat_request("o3", USER, reasoning_effort=bad)


def test_none_and_xhigh_only_where_the_profile_lists_them():
    with pytest.raises(InvalidInputError):
        build_chat_request("o3", USER, reasoning_effort="none")
    with pytest.raises(InvalidInputError):
        build_chat_request("gpt-5.1", USER, reasoning_effort="xhigh")
    assert build_chat_request("gpt-5.1", USER, reasoning_effort="none")["reasoning_effort"] == "none"
    assert build_chat_request("gpt-5.2", USER, reasoning_effort="xhigh")["reasoning_effort"] == "xhigh"
    with pytest.raises(InvalidInputError):  # checked even where it would be dropped
        build_chat_request("gpt-4o", USER, reasoning_effort="turbo")


# ---------------------------------------------------------------- streaming


def test_stream_usage_rules():
    body = build_chat_request("gpt-4o", USER, stream=True)
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert "stream_options" not in build_chat_request("gpt-4o", USER, stream=True, stream_usage=False)
    no_usage = get_profile("gpt-4o", {"stream_usage": False})
    assert "stream_options" not in build_chat_request("gpt-4o", USER, stream=True, profile=no_usage)
    plain = build_chat_request("gpt-4o", USER)
    assert "stream" not in plain and "stream_options" not in plain


# ---------------------------------------------------------------- tools


def test_parallel_tool_calls_absent_unless_set():
    assert "parallel_tool_calls" not in build_chat_request("gpt-4o", USER, tools=[WEATHER])
    for flag in (False, True):
        body = build_chat_request("gpt-4o", USER, tools=[WEATHER], parallel_tool_calls=flag)
        assert body["parallel_tool_calls"] is flag
    assert "parallel_tool_calls" not in build_chat_request("gpt-4o", USER, parallel_tool_calls=False)
    assert "parallel_tool_calls" not in build_chat_request("gpt-4o", USER, tools=[], parallel_tool_calls=True)


def test_parallel_tool_calls_dropped_where_rejected():
    with recorded() as caught:
        body = build_chat_request("o1", USER, tools=[WEATHER], parallel_tool_calls=False)
    assert "parallel_tool_calls" not in body and body["tools"] == [WEATHER]
    assert "parallel_tool_calls" in user_warnings(caught)[0]


def test_tools_and_tool_choice_in_the_body():
    body = build_chat_request("claude-sonnet-4-5", USER, tools=[WEATHER, CLOCK], tool_choice="get_time")
    assert body["tools"] == [WEATHER, CLOCK]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_time"}}
    assert "tools" not in build_chat_request("gpt-4o", USER, tools=[])
    with pytest.raises(InvalidInputError, match="tools must be a list"):
        build_chat_request("gpt-4o", USER, tools=WEATHER)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="no tools"):
        build_chat_request("gpt-4o", USER, tool_choice="auto")


@pytest.mark.parametrize(("choice", "expected"), [
    ("auto", "auto"), ("none", "none"), ("any", "required"), ("required", "required"), (True, "required"),
    (False, None), (None, None), ("get_weather", {"type": "function", "function": {"name": "get_weather"}}),
    ({"type": "function", "function": {"name": "x"}}, {"type": "function", "function": {"name": "x"}}),
])
def test_normalize_tool_choice(choice, expected):
    assert normalize_tool_choice(choice, [WEATHER, CLOCK]) == expected


def test_normalize_tool_choice_errors():
    with pytest.raises(InvalidInputError, match="get_weather, get_time"):
        normalize_tool_choice("get_news", [WEATHER, CLOCK])
    for choice in ("auto", "none", True, "get_weather", {"type": "function"}):
        with pytest.raises(InvalidInputError, match="no tools"):
            normalize_tool_choice(choice, [])
    assert normalize_tool_choice(None, None) is None and normalize_tool_choice(False, []) is None
    with pytest.raises(InvalidInputError, match="str, bool or dict"):
        normalize_tool_choice(3, [WEATHER])
    assert normalize_tool_choice("bare", [{"name": "bare"}]) == {"type": "function", "function": {"name": "bare"}}


def test_function_tool_shapes():
    assert WEATHER == {"type": "function", "function": {
        "name": "get_weather", "description": "Weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
    assert CLOCK["function"] == {"name": "get_time", "parameters": {"type": "object", "properties": {}}}
    assert function_tool("t", "d", {"type": "object"}, strict=False)["function"]["strict"] is False
    for name in ("", "has space", "x" * 65, None):
        with pytest.raises(InvalidInputError, match="tool name"):
            function_tool(name, "d", None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="schema"):
        function_tool("t", "d", "not a schema")  # type: ignore[arg-type]


SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "default": None},
        "tags": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "string"}}}},
        "pet": {"$ref": "#/$defs/Pet"},
        "nick": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    },
    "required": ["name", "pet"],
    "additionalProperties": True,
    "$defs": {"Pet": {"type": "object", "properties": {"kind": {"type": "string"}}, "required": ["kind"]}},
}


def test_strict_tool_makes_the_schema_strict_compatible():
    before = copy.deepcopy(SCHEMA)
    fn = function_tool("save", "Save a person", SCHEMA, strict=True)["function"]
    assert fn["strict"] is True
    params = fn["parameters"]
    assert SCHEMA == before  # the input schema is not changed
    assert params["additionalProperties"] is False
    assert params["required"] == ["name", "age", "tags", "pet", "nick"]
    assert params["properties"]["name"] == {"type": "string"}  # was required: unchanged
    assert params["properties"]["age"] == {"type": ["integer", "null"]}  # optional -> nullable, default dropped
    assert params["properties"]["nick"]["anyOf"][-1] == {"type": "null"}
    item = params["properties"]["tags"]["items"]
    assert item["additionalProperties"] is False and item["required"] == ["k"]
    assert params["properties"]["tags"]["type"] == ["array", "null"]
    assert params["properties"]["pet"] == {"$ref": "#/$defs/Pet"}
    assert params["$defs"]["Pet"] == {"type": "object", "properties": {"kind": {"type": "string"}},
                                      "required": ["kind"], "additionalProperties": False}


def test_strict_json_schema_wraps_untyped_optional_properties():
    out = strict_json_schema({"properties": {"ref": {"$ref": "#/$defs/X"}}})
    assert out["properties"]["ref"] == {"anyOf": [{"$ref": "#/$defs/X"}, {"type": "null"}]}
    assert out["required"] == ["ref"] and out["additionalProperties"] is False


def test_response_format_helpers():
    assert json_object_response_format() == {"type": "json_object"}
    plain = json_schema_response_format({"type": "object", "properties": {"a": {"type": "string"}}})
    assert plain == {"type": "json_schema", "json_schema": {
        "name": "response", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}
    strict = json_schema_response_format(SCHEMA, name="Person", strict=True)["json_schema"]
    assert strict["name"] == "Person" and strict["strict"] is True
    assert strict["schema"]["additionalProperties"] is False
    with pytest.raises(InvalidInputError, match="schema name"):
        json_schema_response_format(SCHEMA, name="a person")
    with pytest.raises(InvalidInputError, match="schema"):
        json_schema_response_format([])  # type: ignore[arg-type]


# ---------------------------------------------------------------- completions


def test_completion_request():
    body = build_completion_request("gpt-3.5-turbo-instruct", "Say hi", max_tokens=7, stop=["\n"], suffix="!",
                                    echo=False, best_of=2, logprobs=1, seed=4, n=1, temperature=0, top_p=1,
                                    logit_bias={"1": 2}, user="u")
    assert body == {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi", "max_tokens": 7, "stop": ["\n"],
                    "suffix": "!", "echo": False, "best_of": 2, "logprobs": 1, "seed": 4, "n": 1, "temperature": 0,
                    "top_p": 1, "logit_bias": {"1": 2}, "user": "u"}
    assert build_completion_request("x", ["a", "b"]) == {"model": "x", "prompt": ["a", "b"]}


def test_completion_stream_and_extra_body():
    body = build_completion_request("gpt-3.5-turbo-instruct", "a", stream=True, extra_body={"max_tokens": 1})
    assert body["stream_options"] == {"include_usage": True} and body["max_tokens"] == 1
    assert "stream_options" not in build_completion_request("x", "a", stream=True, stream_usage=False)


@pytest.mark.parametrize("prompt", [None, 3, {"text": "a"}, [], ["a", 2], [["tokens"]]])
def test_completion_prompt_must_be_str_or_list_of_str(prompt):
    with pytest.raises(InvalidInputError, match="prompt must be a string"):
        build_completion_request("gpt-3.5-turbo-instruct", prompt)


# ---------------------------------------------------------------- embeddings


def test_embedding_request_sends_raw_text():
    body = build_embedding_request("text-embedding-3-small", ["a", "b"], encoding_format="float", user="u")
    assert body == {"model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": "float", "user": "u"}
    assert build_embedding_request("bge-m3", ("a",))["input"] == ["a"]


def test_empty_strings_are_named_by_position():
    texts = ["a", "b", "c", "", "e", "f", "g", ""]
    with pytest.raises(InvalidInputError) as info:
        build_embedding_request("text-embedding-3-small", texts)
    assert str(info.value) == "inputs 3 and 7 are empty strings; the gateway rejects empty input"
    with pytest.raises(InvalidInputError, match="^input 0 is an empty string"):
        build_embedding_request("text-embedding-3-small", [""])
    with pytest.raises(InvalidInputError, match=r"^inputs 0, 1 and 2 are empty"):
        build_embedding_request("text-embedding-3-small", ["", "", "", "x"])
    with pytest.raises(InvalidInputError, match=r"inputs 0, 1, .*, 9 and 2 more are empty"):
        build_embedding_request("text-embedding-3-small", [""] * 12)


def test_non_strings_and_token_arrays_are_rejected():
    with pytest.raises(InvalidInputError) as info:
        build_embedding_request("text-embedding-3-small", ["ok", [1, 2, 3], 7])
    assert str(info.value).startswith("inputs 1 and 2 are not strings (int, list)")
    assert "token arrays" in str(info.value)
    with pytest.raises(InvalidInputError, match="wrap a single text in a list"):
        build_embedding_request("text-embedding-3-small", "just one")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="an empty list"):
        build_embedding_request("text-embedding-3-small", [])


def test_dimensions_rules():
    assert build_embedding_request("text-embedding-3-small", ["a"], dimensions=256)["dimensions"] == 256
    assert build_embedding_request("text-embedding-v4", ["a"], dimensions=512)["dimensions"] == 512
    assert build_embedding_request("my-own-embedder", ["a"], dimensions=384)["dimensions"] == 384  # unknown: pass
    with pytest.raises(InvalidInputError, match="1536-dimensional"):
        build_embedding_request("text-embedding-ada-002", ["a"], dimensions=256)
    with pytest.raises(InvalidInputError, match="1024-dimensional"):
        build_embedding_request("bge-m3", ["a"], dimensions=512)
    assert "dimensions" not in build_embedding_request("text-embedding-ada-002", ["a"], dimensions=1536)
    with pytest.raises(InvalidInputError, match="at most 1536"):
        build_embedding_request("text-embedding-3-small", ["a"], dimensions=3072)
    for bad in (0, -1, 2.5, "256", True):
        with pytest.raises(InvalidInputError, match="dimensions must be a positive int"):
            build_embedding_request("text-embedding-3-small", ["a"], dimensions=bad)


def test_embedding_extra_body_last():
    body = build_embedding_request("embedding-3", ["a"], dimensions=256, extra_body={"dimensions": 1024})
    assert body["dimensions"] == 1024


# ---------------------------------------------------------------- properties


_message = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "user", "assistant", "tool"])},
    optional={
        "content": st.one_of(st.none(), st.text(max_size=5),
                             st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=5)}),
                                      max_size=3)),
        "reasoning_content": st.text(max_size=5),
        "tool_calls": st.lists(st.just({"id": "c", "type": "function",
                                        "function": {"name": "f", "arguments": "{}"}}), max_size=1),
    },
)


@settings(max_examples=200, deadline=None)
@given(messages=st.lists(_message, min_size=1, max_size=6),
       model=st.sampled_from(["gpt-4o", "deepseek-reasoner", "kimi-k2-thinking", "gpt-5", "unknown-model"]))
def test_messages_are_never_mutated_and_never_carry_stray_reasoning(messages, model):
    before = copy.deepcopy(messages)
    sent = build_chat_request(model, messages)["messages"]
    assert messages == before
    replay = get_profile(model).replay_reasoning
    for original, out in zip(messages, sent, strict=True):
        if out.get("role") == "assistant" and "reasoning_content" in out:
            assert replay and out.get("tool_calls")
        if out.get("role") == "tool":
            assert not isinstance(out.get("content"), list)
        if out == original:
            assert out is original  # untouched messages are not copied
    json.dumps(sent)
