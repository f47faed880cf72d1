"""Pure tests of the simulator's handlers, faults and synthesis (no sockets)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import struct
from typing import Any

import httpx
import httpx2
import pytest

from zzz_testing import (
    CATEGORIES,
    DROP,
    ERROR_SAMPLES,
    MODELS,
    Fault,
    GatewaySimulator,
    SimConfig,
    SimRequest,
    SimResponse,
    cosine,
    embed,
    error_body,
    handle,
    is_reasoning_model,
    synthesize,
)
from zzz_testing import faults as faults_mod

KEY = {"authorization": "Bearer sk-test-1234567890abcd"}


# ------------------------------------------------------------------ helpers
def call(
    path: str,
    body: Any = None,
    *,
    method: str = "POST",
    cfg: SimConfig | None = None,
    headers: dict[str, str] | None = None,
    fault: Fault | None = None,
    dialect: str = "zhizengzeng",
) -> SimResponse:
    cfg = cfg or SimConfig(dialect=dialect)
    hdrs = {**KEY, **{k.lower(): v for k, v in (headers or {}).items()}}
    raw = json.dumps(body).encode() if body is not None else b""
    return handle(SimRequest(method, path, hdrs, raw), cfg, fault)


def js(resp: SimResponse) -> Any:
    assert isinstance(resp.body, bytes), "expected a JSON body"
    return json.loads(resp.body)


def pieces(resp: SimResponse) -> list[Any]:
    assert resp.streaming
    return list(resp.body)  # type: ignore[arg-type]


def sse(resp: SimResponse | list[Any]) -> list[Any]:
    """Data payloads of a streamed response or its pieces ("[DONE]" kept as a string)."""
    got = resp if isinstance(resp, list) else pieces(resp)
    raw = b"".join(p for p in got if isinstance(p, bytes)).decode().replace("\r\n", "\n")
    out = []
    for block in raw.split("\n\n"):
        for line in block.split("\n"):
            if line.startswith("data: "):
                data = line[6:]
                out.append(data if data == "[DONE]" else json.loads(data))
    return out


def chat(content: str = "hello there", model: str = "gpt-4o-mini", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


def stream_text(events: list[Any], key: str = "content") -> str:
    return "".join(
        (e["choices"][0]["delta"].get(key) or "") for e in events if isinstance(e, dict) and e.get("choices")
    )


def check(schema: dict[str, Any], value: Any, root: dict[str, Any] | None = None) -> None:
    """A small JSON-schema checker (enough for the schemas below)."""
    root = root or schema
    if "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return check(node, value, root)
    if "const" in schema:
        assert value == schema["const"]
    if "enum" in schema:
        assert value in schema["enum"], (value, schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            ok = 0
            for option in schema[key]:
                try:
                    check(option, value, root)
                    ok += 1
                except AssertionError:
                    pass
            assert ok >= 1 if key == "anyOf" else ok == 1, (key, value)
    for part in schema.get("allOf", []):
        check(part, value, root)
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    types = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list,
             "object": dict, "null": type(None)}  # fmt: skip
    if kinds:
        assert any(
            isinstance(value, types[k]) and not (k in ("integer", "number") and isinstance(value, bool))
            for k in kinds
        ), (kinds, value)
    if isinstance(value, dict):
        for req in schema.get("required", []):
            assert req in value, (req, value)
        props = schema.get("properties", {})
        for k, v in value.items():
            if k in props:
                check(props[k], v, root)
            else:
                assert schema.get("additionalProperties", True) is not False, k
    if isinstance(value, list):
        assert len(value) >= schema.get("minItems", 0)
        assert len(value) <= schema.get("maxItems", 10**9)
        for item in value:
            check(schema.get("items", {}), item, root)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        assert value >= schema.get("minimum", -(10**18)) and value <= schema.get("maximum", 10**18)
    if isinstance(value, str):
        assert schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", 10**9)
    return None


# ---------------------------------------------------------------------- chat
def test_chat_envelope_and_usage() -> None:
    body = js(call("/v1/chat/completions", chat()))
    assert body["code"] == 0 and body["msg"] == "ok"
    assert body["object"] == "chat.completion" and body["model"] == "gpt-4o-mini"
    msg = body["choices"][0]["message"]
    assert msg["role"] == "assistant"
    assert msg["content"] == "This is a simulated answer to: hello there"
    assert body["choices"][0]["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens_details"] == {"cached_tokens": 0}
    assert "completion_tokens_details" not in usage


def test_chat_newapi_has_no_envelope_and_extras_can_be_off() -> None:
    assert "code" not in js(call("/v1/chat/completions", chat(), dialect="newapi"))
    cfg = SimConfig(dialect="zhizengzeng", envelope_success_extras=False)
    assert "code" not in js(call("/v1/chat/completions", chat(), cfg=cfg))


def test_rag_grounded_answer() -> None:
    context = (
        "Use the context to answer.\nContext: The Eiffel Tower is 330 metres tall. "
        "Bananas are rich in potassium. The Great Wall of China is over 21,000 km long."
    )
    body = chat("How tall is the Eiffel Tower?")
    body["messages"].insert(0, {"role": "system", "content": context})
    answer = js(call("/v1/chat/completions", body))["choices"][0]["message"]["content"]
    assert answer == "Context: The Eiffel Tower is 330 metres tall."
    zh = chat("北京的天气怎么样？")
    zh["messages"].insert(0, {"role": "system", "content": "上海今天下雨。北京今天晴天，气温二十度。"})
    assert js(call("/v1/chat/completions", zh))["choices"][0]["message"]["content"] == "北京今天晴天，气温二十度。"


def test_content_parts_are_read() -> None:
    body = chat("")
    body["messages"][0]["content"] = [{"type": "text", "text": "describe"}, {"type": "image_url", "image_url": {}}]
    assert js(call("/v1/chat/completions", body))["choices"][0]["message"]["content"].endswith("describe")


@pytest.mark.parametrize("dialect", ["zhizengzeng", "newapi"])
@pytest.mark.parametrize(
    "body",
    [
        {"model": "gpt-4o"},
        {"model": "gpt-4o", "messages": []},
        {"model": "gpt-4o", "messages": "hello"},
        {"model": "gpt-4o", "messages": [{"content": "no role"}]},
        {"messages": [{"role": "user", "content": "no model"}]},
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}], "max_tokens": "ten"},
    ],
)
def test_chat_validation(dialect: str, body: dict[str, Any]) -> None:
    resp = call("/v1/chat/completions", body, dialect=dialect)
    assert resp.status == 400
    err = js(resp)
    if dialect == "newapi":
        assert err["error"]["code"] == "invalid_request" and "(request id:" in err["error"]["message"]
    else:
        assert err["code"] == 1006 and err["msg"].startswith("参数错误")


def test_max_tokens_stop_and_n() -> None:
    long_q = "tell me a long story about the sea and the ships and the sailors who sail them"
    body = js(call("/v1/chat/completions", chat(long_q, max_tokens=5)))
    choice = body["choices"][0]
    assert choice["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] <= 5
    assert choice["message"]["content"].startswith("This is")
    body = js(call("/v1/chat/completions", chat(long_q, max_completion_tokens=3)))
    assert body["choices"][0]["finish_reason"] == "length"
    body = js(call("/v1/chat/completions", chat("hello there", stop=["answer"])))
    assert body["choices"][0]["message"]["content"] == "This is a simulated "
    assert body["choices"][0]["finish_reason"] == "stop"
    body = js(call("/v1/chat/completions", chat("hello there", n=3, seed=7, user="u1")))
    texts = [c["message"]["content"] for c in body["choices"]]
    assert [c["index"] for c in body["choices"]] == [0, 1, 2] and len(set(texts)) == 3


def test_logprobs() -> None:
    body = js(call("/v1/chat/completions", chat("hello there", logprobs=True, top_logprobs=2)))
    content = body["choices"][0]["logprobs"]["content"]
    assert "".join(t["token"] for t in content) == body["choices"][0]["message"]["content"]
    assert all(t["logprob"] < 0 and len(t["top_logprobs"]) == 2 for t in content)
    assert js(call("/v1/chat/completions", chat()))["choices"][0]["logprobs"] is None


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("deepseek-reasoner", True), ("deepseek-r1", True), ("r1-distill", True), ("qwq-32b", True),
        ("o1-mini", True), ("o3-mini", True), ("o4-mini", True), ("gpt-5", True),
        ("claude-sonnet-4-5-thinking", True), ("gemini-2.5-flash-nothinking", False),
        ("gpt-4o", False), ("deepseek-chat", False), ("glm-4.6", False),
    ],
)  # fmt: skip
def test_is_reasoning_model(model: str, expected: bool) -> None:
    assert is_reasoning_model(model) is expected


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning", "both", "think_tags"])
def test_reasoning_fields(field: str) -> None:
    cfg = SimConfig(dialect="newapi", reasoning_field=field)
    msg = js(call("/v1/chat/completions", chat("why is the sky blue", "deepseek-reasoner"), cfg=cfg))
    msg = msg["choices"][0]["message"]
    thought = "Let me think step by step about: why is the sky blue"
    if field == "think_tags":
        assert msg["content"].startswith(f"<think>\n{thought}\n</think>\n")
        assert "reasoning_content" not in msg and "reasoning" not in msg
    elif field == "both":
        assert msg["reasoning_content"] == msg["reasoning"] == thought
    else:
        assert msg[field] == thought and ({"reasoning_content", "reasoning"} - {field}).isdisjoint(msg)
    body = js(call("/v1/chat/completions", chat("hi", "o3-mini"), cfg=cfg))
    assert body["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0


def test_reasoning_header_override_and_plain_models() -> None:
    hdr = {"X-ZZZ-Reasoning-Field": "reasoning"}
    msg = js(call("/v1/chat/completions", chat("hi", "deepseek-reasoner"), headers=hdr))["choices"][0]["message"]
    assert "reasoning" in msg and "reasoning_content" not in msg
    msg = js(call("/v1/chat/completions", chat("hi", "gpt-4o")))["choices"][0]["message"]
    assert "reasoning" not in msg and "reasoning_content" not in msg


# --------------------------------------------------------------------- tools
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
            },
            "required": ["city", "unit"],
        },
    },
}
TIME = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}}},
}
NOARGS = {"type": "function", "function": {"name": "ping", "parameters": {"type": "object", "properties": {}}}}


def test_single_tool_call_arguments_from_prompt() -> None:
    body = chat("Call get_weather for Paris in fahrenheit for 3 days", tools=[WEATHER, TIME])
    choice = js(call("/v1/chat/completions", body))["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    (tc,) = choice["message"]["tool_calls"]
    assert tc["id"] == "call_1" and tc["type"] == "function" and tc["function"]["name"] == "get_weather"
    args = json.loads(tc["function"]["arguments"])
    assert args == {"city": "Paris", "unit": "fahrenheit", "days": 3}
    check(WEATHER["function"]["parameters"], args)  # type: ignore[arg-type]


def test_tool_name_with_spaces_chinese_city_and_empty_properties() -> None:
    body = chat("请用 get weather 查一下北京的天气", tools=[WEATHER])
    tc = js(call("/v1/chat/completions", body))["choices"][0]["message"]["tool_calls"][0]
    assert json.loads(tc["function"]["arguments"])["city"] == "北京"
    body = chat("please ping the server", tools=[NOARGS])
    tc = js(call("/v1/chat/completions", body))["choices"][0]["message"]["tool_calls"][0]
    assert tc["function"]["arguments"] == "{}"


def test_no_mention_answers_in_text_and_tool_choice_none() -> None:
    choice = js(call("/v1/chat/completions", chat("hello there", tools=[WEATHER])))["choices"][0]
    assert choice["finish_reason"] == "stop" and "tool_calls" not in choice["message"]
    choice = js(call("/v1/chat/completions", chat("get_weather in Rome", tools=[WEATHER], tool_choice="none")))
    assert "tool_calls" not in choice["choices"][0]["message"]


def test_tool_choice_forced_and_required() -> None:
    forced = {"type": "function", "function": {"name": "get_time"}}
    body = chat("get_weather in Rome", tools=[WEATHER, TIME], tool_choice=forced)
    calls = js(call("/v1/chat/completions", body))["choices"][0]["message"]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["get_time"]
    body = chat("hello there", tools=[TIME, WEATHER], tool_choice="required")
    calls = js(call("/v1/chat/completions", body))["choices"][0]["message"]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["get_time"]
    body = chat("what about get_weather in Oslo", tools=[TIME, WEATHER], tool_choice="required")
    calls = js(call("/v1/chat/completions", body))["choices"][0]["message"]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["get_weather"]


def _run_agent(parallel: bool | None) -> list[list[str]]:
    """Drive the chat route like an agent loop; return the tool names of each turn."""
    extra = {} if parallel is None else {"parallel_tool_calls": parallel}
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Use get_weather for Berlin and get_time too"}]
    turns = []
    for _ in range(5):
        msg = js(call("/v1/chat/completions", {"model": "gpt-4o", "messages": messages, "tools": [WEATHER, TIME],
                                                **extra}))["choices"][0]["message"]  # fmt: skip
        if not msg.get("tool_calls"):
            turns.append(["text:" + msg["content"]])
            return turns
        turns.append([c["function"]["name"] for c in msg["tool_calls"]])
        messages.append(msg)
        for c in msg["tool_calls"]:
            messages.append({"role": "tool", "tool_call_id": c["id"], "content": f"<{c['function']['name']} ok>"})
    raise AssertionError(turns)


def test_parallel_vs_sequential_tool_calls() -> None:
    final = "text:The result of get_weather is <get_weather ok>. The result of get_time is <get_time ok>."
    assert _run_agent(None) == [["get_weather", "get_time"], [final]]
    assert _run_agent(True) == [["get_weather", "get_time"], [final]]
    assert _run_agent(False) == [["get_weather"], ["get_time"], [final]]


def test_tool_call_ids_are_unique_across_turns() -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "get_weather for Berlin and get_time"}]
    msg = js(call("/v1/chat/completions", {"model": "m", "messages": messages, "tools": [WEATHER, TIME],
                                           "parallel_tool_calls": False}))["choices"][0]["message"]  # fmt: skip
    messages += [msg, {"role": "tool", "tool_call_id": msg["tool_calls"][0]["id"], "content": "sunny"}]
    msg2 = js(call("/v1/chat/completions", {"model": "m", "messages": messages, "tools": [WEATHER, TIME],
                                            "parallel_tool_calls": False}))["choices"][0]["message"]  # fmt: skip
    assert msg["tool_calls"][0]["id"] == "call_1" and msg2["tool_calls"][0]["id"] == "call_2"


# ------------------------------------------------------- tool choice by meaning
LOCATED = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the weather at a location.",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}
MULTIPLY = {"type": "function", "function": {"name": "multiply", "description": "Multiply two integers.",
    "parameters": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                   "required": ["a", "b"]}}}
STOCK = {"type": "function", "function": {"name": "getStockPrice", "parameters": {
    "type": "object", "properties": {"ticker": {"type": "string"}}}}}
CENSUS = {"type": "function", "function": {"name": "lookup", "description": "Look up the population of a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}  # fmt: skip


def _called(question: str, tools: list[dict[str, Any]], **extra: Any) -> list[str]:
    msg = js(call("/v1/chat/completions", chat(question, tools=tools, **extra)))["choices"][0]["message"]
    return [c["function"]["name"] for c in msg.get("tool_calls") or []]


def test_auto_tool_choice_by_a_word_of_the_name() -> None:
    msg = js(call("/v1/chat/completions", chat("What is the weather in San Francisco, CA?", tools=[LOCATED])))
    (tc,) = msg["choices"][0]["message"]["tool_calls"]
    assert tc["function"]["name"] == "get_weather"
    assert json.loads(tc["function"]["arguments"]) == {"location": "San Francisco"}
    assert _called("Give me the multiplication of 6 and 7", [LOCATED, MULTIPLY]) == ["multiply"]  # word forms
    assert _called("What are the stock prices of ACME?", [LOCATED, STOCK]) == ["getStockPrice"]  # camelCase, plural
    assert _called("How is the weather, and what is 6 multiplied by 7?", [MULTIPLY, LOCATED]) == [
        "get_weather", "multiply"]  # first mentioned, first called  # fmt: skip
    assert _called("How is the weather?", [LOCATED], tool_choice="none") == []
    assert _called("Is it nice to get out there?", [LOCATED, MULTIPLY]) == []  # short and stop words do not count


def test_auto_tool_choice_by_the_description_only_without_a_name_match() -> None:
    assert _called("How many people live in Lyon (population)?", [LOCATED, CENSUS]) == ["lookup"]
    assert _called("What is the weather and the population of Lyon?", [CENSUS, LOCATED]) == ["get_weather"]
    assert _called("Tell me about Lyon", [LOCATED, CENSUS]) == []


def test_agent_loop_by_meaning_ends_in_text() -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "What is the weather in San Francisco, CA?"}]
    msg = js(call("/v1/chat/completions", {"model": "m", "messages": messages, "tools": [LOCATED]}))
    msg = msg["choices"][0]["message"]
    messages += [msg, {"role": "tool", "tool_call_id": msg["tool_calls"][0]["id"], "content": "It's sunny."}]
    final = js(call("/v1/chat/completions", {"model": "m", "messages": messages, "tools": [LOCATED]}))
    assert final["choices"][0]["message"]["content"] == "The result of get_weather is It's sunny.."
    assert final["choices"][0]["finish_reason"] == "stop"


def test_names_skip_the_capitalised_first_word_of_a_sentence() -> None:
    person = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
              "required": ["name", "age"]}  # fmt: skip
    assert synthesize(person, "Extract the person: Alice is 30") == {"name": "Alice", "age": 30}
    assert synthesize(person, "Describe the user. Bob is 41.") == {"name": "Bob", "age": 41}
    assert synthesize(person, "Alice is 30") == {"name": "Alice", "age": 30}  # the only candidate
    assert synthesize({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
                      "Paris is lovely") == {"city": "Paris"}  # fmt: skip
    tool = {"type": "function", "function": {"name": "save_person", "parameters": person}}
    tc = js(call("/v1/chat/completions", chat("Remember: Carol is 52. Use save_person", tools=[tool])))
    assert json.loads(tc["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]) == {
        "name": "Carol", "age": 52}  # fmt: skip


def test_json_mode_uses_the_quoted_key_names() -> None:
    ask = ("Tell me a joke about cats. Return the result as a JSON with 'setup' and 'punchline' keys. "
           "Return nothing other than JSON.")  # fmt: skip
    for stream in (False, True):
        resp = call("/v1/chat/completions", chat(ask, response_format={"type": "json_object"}, stream=stream))
        text = stream_text(sse(resp)) if stream else js(resp)["choices"][0]["message"]["content"]
        joke = json.loads(text)
        assert list(joke) == ["setup", "punchline"]
        assert all(isinstance(v, str) and 0 < len(v) < 80 for v in joke.values())
        assert "cats" in joke["setup"]
    body = chat('Answer as JSON with "capital" and `country` fields: what is the capital of France?',
                response_format={"type": "json_object"})  # fmt: skip
    body["messages"].insert(0, {"role": "system", "content": "Bananas are yellow. The capital of France is Paris."})
    got = json.loads(js(call("/v1/chat/completions", body))["choices"][0]["message"]["content"])
    assert list(got) == ["capital", "country"] and got["capital"] == "The capital of France is Paris."
    plain = js(call("/v1/chat/completions", chat("it's Bob's 'cat'?", response_format={"type": "json_object"})))
    assert list(json.loads(plain["choices"][0]["message"]["content"])) == ["cat"]
    none = js(call("/v1/chat/completions", chat("no keys named", response_format={"type": "json_object"})))
    assert json.loads(none["choices"][0]["message"]["content"]) == {
        "answer": "This is a simulated answer to: no keys named"}  # fmt: skip


COMPLEX_SCHEMA: dict[str, Any] = {
    "type": "object",
    "$defs": {
        "Address": {
            "type": "object",
            "properties": {"street": {"type": "string"}, "zip": {"type": "string", "minLength": 5, "maxLength": 5}},
            "required": ["street", "zip"],
            "additionalProperties": False,
        },
        "Color": {"type": "string", "enum": ["red", "green", "blue"]},
    },
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "score": {"type": "number"},
        "active": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "address": {"$ref": "#/$defs/Address"},
        "color": {"$ref": "#/$defs/Color"},
        "nickname": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "partner": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/Address"}]},
        "level": {"type": ["integer", "null"], "default": 3},
        "when": {"type": "string", "format": "date"},
        "mode": {"const": "fast"},
        "meta": {"type": "object", "properties": {"source": {"type": "string"}}, "required": ["source"]},
        "optional_note": {"type": "string"},
    },
    "required": ["name", "age", "score", "active", "tags", "address", "color", "nickname", "partner",
                 "when", "mode", "meta"],
    "additionalProperties": False,
}  # fmt: skip


def test_schema_synthesis_is_valid() -> None:
    value = synthesize(COMPLEX_SCHEMA, 'The person "Ada Lovelace" is 36 years old, score 9.5, likes blue')
    check(COMPLEX_SCHEMA, value)
    assert value["name"] == "Ada Lovelace" and value["age"] == 36 and value["score"] == 9.5
    assert value["color"] == "blue" and value["level"] == 3 and "optional_note" not in value
    assert synthesize({"type": "object", "properties": {}}) == {}
    check({"type": "integer", "minimum": 10}, synthesize({"type": "integer", "minimum": 10}, "give me 3"))
    pydantic_style = {
        "title": "Joke",
        "type": "object",
        "properties": {"setup": {"title": "Setup", "type": "string"}, "rating": {"anyOf": [{"type": "integer"},
                       {"type": "null"}], "default": None}},
        "required": ["setup"],
    }  # fmt: skip
    check(pydantic_style, synthesize(pydantic_style, "tell me a joke about cats"))


def test_response_format_json_object_and_schema() -> None:
    text = js(call("/v1/chat/completions", chat("hi", response_format={"type": "json_object"})))
    assert json.loads(text["choices"][0]["message"]["content"]) == {"answer": "This is a simulated answer to: hi"}
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "strict": True, "schema": COMPLEX_SCHEMA}}
    body = js(call("/v1/chat/completions", chat("Grace is 85", n=2, response_format=fmt)))
    for choice in body["choices"]:
        check(COMPLEX_SCHEMA, json.loads(choice["message"]["content"]))


# ----------------------------------------------------------------- streaming
def test_stream_shape_and_usage_chunk() -> None:
    body = chat("hello there", stream=True, stream_options={"include_usage": True})
    resp = call("/v1/chat/completions", body)
    assert dict(resp.headers)["Content-Type"] == "text/event-stream"
    events = sse(resp)
    assert events[-1] == "[DONE]"
    first, *rest = events[:-1]
    assert first["choices"][0]["delta"]["role"] == "assistant" and first["code"] == 0 and first["msg"] == ""
    content_events = [e for e in rest if e["choices"] and e["choices"][0]["delta"].get("content")]
    assert all(len(e["choices"][0]["delta"]["content"]) <= 4 for e in content_events)
    assert stream_text(events) == "This is a simulated answer to: hello there"
    finish = [e for e in rest if e["choices"] and e["choices"][0]["finish_reason"]]
    assert len(finish) == 1 and finish[0]["choices"][0]["delta"] == {}
    assert finish[0]["choices"][0]["finish_reason"] == "stop"
    usage = rest[-1]
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] > 0
    no_usage = sse(call("/v1/chat/completions", chat("hello there", stream=True), dialect="newapi"))
    assert all("usage" not in e and "code" not in e for e in no_usage[:-1])


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning", "both", "think_tags"])
def test_stream_reasoning(field: str) -> None:
    cfg = SimConfig(reasoning_field=field, chunk_chars=50)
    events = sse(call("/v1/chat/completions", chat("why", "deepseek-reasoner", stream=True), cfg=cfg))
    thought = "Let me think step by step about: why"
    if field == "think_tags":
        contents = [e["choices"][0]["delta"].get("content") or "" for e in events[:-1]]
        assert "".join(contents) == f"<think>\n{thought}\n</think>\nThis is a simulated answer to: why"
        assert "<think>" not in contents and not any(c.endswith("</think>\n") or "</think>" in c for c in contents)
    elif field == "both":
        assert stream_text(events, "reasoning_content") == stream_text(events, "reasoning") == thought
    else:
        assert stream_text(events, field) == thought


def _tool_stream(style: str, question: str = "get_weather in Paris and get_time") -> list[dict[str, Any]]:
    body = chat(question, stream=True, tools=[WEATHER, TIME])
    events = sse(call("/v1/chat/completions", body, headers={"X-ZZZ-Tool-Delta-Style": style}))
    return [tc for e in events[:-1] if e["choices"] for tc in e["choices"][0]["delta"].get("tool_calls") or []]


def _assemble(deltas: list[dict[str, Any]]) -> list[tuple[str, str]]:
    calls: list[dict[str, str]] = []
    for d in deltas:
        if d.get("id") and (not calls or calls[-1]["id"] != d["id"]):
            calls.append({"id": d["id"], "name": d["function"].get("name", ""), "args": ""})
        calls[-1]["args"] += d["function"].get("arguments") or ""
    return [(c["name"], c["args"]) for c in calls]


@pytest.mark.parametrize("style", ["standard", "no_index", "repeat_id", "whole"])
def test_stream_tool_delta_styles(style: str) -> None:
    deltas = _tool_stream(style)
    calls = _assemble(deltas)
    assert [name for name, _ in calls] == ["get_weather", "get_time"]
    assert json.loads(calls[0][1])["city"] == "Paris"
    if style == "standard":
        assert deltas[0] == {"index": 0, "id": "call_1", "type": "function",
                             "function": {"name": "get_weather", "arguments": ""}}  # fmt: skip
        assert all("id" not in d and set(d) == {"index", "function"} for d in deltas[1:] if d["index"] == 0)
        assert sum(1 for d in deltas if d["index"] == 0) > 3
    if style == "no_index":
        assert all("index" not in d for d in deltas)
    if style == "repeat_id":
        assert all(d.get("id") and d["function"].get("name") for d in deltas)
    if style == "whole":
        assert len(deltas) == 2 and all(json.loads(d["function"]["arguments"]) is not None for d in deltas)


def test_stream_tool_finish_reason() -> None:
    events = sse(call("/v1/chat/completions", chat("get_time please", stream=True, tools=[TIME])))
    finishes = [e["choices"][0]["finish_reason"] for e in events[:-1] if e["choices"][0]["finish_reason"]]
    assert finishes == ["tool_calls"]


def test_stream_keepalive_crlf_and_chunk_count() -> None:
    cfg = SimConfig(keepalive_comments=True, crlf=True)
    raw = b"".join(pieces(call("/v1/chat/completions", chat("hello there", stream=True), cfg=cfg)))
    assert b": keep-alive\r\n\r\n" in raw and raw.endswith(b"data: [DONE]\r\n\r\n")
    assert b"\n\n" not in raw.replace(b"\r\n", b"")
    resp = call("/v1/chat/completions", chat("hi", stream=True), headers={"X-ZZZ-Stream-Chunks": "2000"})
    events = sse(resp)
    content = [e for e in events[:-1] if e["choices"] and e["choices"][0]["delta"].get("content")]
    assert len(content) == 2000


def test_stream_n_choices() -> None:
    events = sse(call("/v1/chat/completions", chat("hi", stream=True, n=2)))
    texts = {0: "", 1: ""}
    for e in events[:-1]:
        texts[e["choices"][0]["index"]] += e["choices"][0]["delta"].get("content") or ""
    assert texts[0] != texts[1] and texts[1].endswith("(choice 2)")


# --------------------------------------------------------------- completions
def test_completions() -> None:
    body = js(call("/v1/completions", {"model": "gpt-3.5-turbo-instruct", "prompt": ["Say hi", "Say bye"],
                                       "n": 2, "best_of": 2, "echo": True, "logprobs": 2, "suffix": "!"}))  # fmt: skip
    assert body["object"] == "text_completion" and [c["index"] for c in body["choices"]] == [0, 1, 2, 3]
    assert body["choices"][0]["text"].startswith("Say hi ") and body["choices"][2]["text"].startswith("Say bye")
    lp = body["choices"][0]["logprobs"]
    assert "".join(lp["tokens"]) == body["choices"][0]["text"] and len(lp["top_logprobs"][0]) == 2
    assert lp["text_offset"][1] == len(lp["tokens"][0])
    cut = js(call("/v1/completions", {"model": "m", "prompt": "Say a lot of words now", "max_tokens": 2}))
    assert cut["choices"][0]["finish_reason"] == "length"
    bad = call("/v1/completions", {"model": "m", "prompt": "x", "n": 3, "best_of": 2}, dialect="newapi")
    assert bad.status == 400
    assert call("/v1/completions", {"model": "m"}).status == 400


def test_completions_stream() -> None:
    body = {"model": "m", "prompt": "hello", "stream": True, "stream_options": {"include_usage": True}}
    events = sse(call("/v1/completions", body))
    assert events[-1] == "[DONE]" and events[-2]["usage"]["prompt_tokens"] >= 1
    assert "".join(e["choices"][0]["text"] for e in events[:-2]) == " This is a simulated answer to: hello"
    assert events[-3]["choices"][0]["finish_reason"] == "stop"


def test_completions_stream_logprobs() -> None:
    body = {"model": "m", "prompt": "hello", "stream": True, "logprobs": 2, "echo": True}
    chunks = [e["choices"][0] for e in sse(call("/v1/completions", body))[:-1]]
    text_chunks = [c for c in chunks if c["text"]]
    assert len(text_chunks) > 3
    offset = 0
    for c in text_chunks:
        lp = c["logprobs"]
        assert "".join(lp["tokens"]) == c["text"]
        assert len(lp["tokens"]) == len(lp["token_logprobs"]) == len(lp["top_logprobs"]) == len(lp["text_offset"])
        assert lp["text_offset"][0] == offset and all(v < 0 for v in lp["token_logprobs"])
        assert all(1 <= len(top) <= 2 for top in lp["top_logprobs"])
        offset += len(c["text"])
    assert "".join(c["text"] for c in text_chunks).startswith("hello This is")
    assert chunks[-1]["finish_reason"] == "stop"
    plain = sse(call("/v1/completions", {"model": "m", "prompt": "hello", "stream": True}))
    assert all(e["choices"][0]["logprobs"] is None for e in plain[:-1])


# ------------------------------------------------------------ prompt formats
REACT_SYSTEM = """You are designed to help with a variety of tasks.

## Tools

You have access to the following tools:
> Tool Name: get_weather
Tool Description: get_weather(city: str) -> str
Get the current weather for a city.
Tool Args: {"properties": {"city": {"title": "City", "type": "string"}}, "required": ["city"], "type": "object"}

> Tool Name: get_time
Tool Description: get_time(city: str) -> str
Get the local time in a city.
Tool Args: {"properties": {"city": {"title": "City", "type": "string"}}, "required": ["city"], "type": "object"}


## Output Format

```
Thought: The current language of the user is: (user's language). I need to use a tool to help me answer the question.
Action: tool name (one of get_weather, get_time) if using a tool.
Action Input: the input to the tool, in a JSON format representing the kwargs (e.g. {"input": "hello world"})
```

```
Thought: I can answer without using any more tools. I'll use the user's language to answer
Answer: [your answer here (In the same language as the user's question)]
```
"""
REACT_CALL = "Thought: I need to use a tool to help me answer the question.\nAction: {}\nAction Input: {}"
REACT_DONE = "Thought: I can answer without using any more tools. I'll use the user's language to answer\nAnswer: "


def _react(messages: list[dict[str, Any]], stream: bool = False, system: str = REACT_SYSTEM) -> str:
    body = {"model": "deepseek-chat", "messages": [{"role": "system", "content": system}, *messages],
            "stream": stream}  # fmt: skip
    resp = call("/v1/chat/completions", body)
    return stream_text(sse(resp)) if stream else js(resp)["choices"][0]["message"]["content"]


def test_react_tool_without_a_description_is_still_called() -> None:
    # A ReAct listing may leave out "Tool Description:" (a tool built without one).
    system = REACT_SYSTEM.replace("Tool Description: get_weather(city: str) -> str\n", "", 1)
    assert "Tool Description: get_weather" not in system
    ask = [{"role": "user", "content": "Use get_weather for Paris."}]
    assert _react(ask, system=system) == REACT_CALL.format("get_weather", '{"city": "Paris"}')


@pytest.mark.parametrize("stream", [False, True])
def test_react_steps(stream: bool) -> None:
    history: list[dict[str, Any]] = [{"role": "user", "content": "Use get_weather and get_time for Paris."}]
    step = _react(history, stream)
    assert step == REACT_CALL.format("get_weather", '{"city": "Paris"}')
    history += [  # LlamaIndex replays Action Input as a Python dict repr
        {"role": "assistant", "content": REACT_CALL.format("get_weather", "{'city': 'Paris'}")},
        {"role": "user", "content": "Observation: sunny and 21 degrees in Paris"},
    ]
    assert _react(history, stream) == REACT_CALL.format("get_time", '{"city": "Paris"}')
    history += [
        {"role": "assistant", "content": REACT_CALL.format("get_time", "{'city': 'Paris'}")},
        {"role": "user", "content": "Observation: 10:30 in Paris"},
    ]
    assert _react(history, stream) == REACT_DONE + (
        "The result of get_weather is sunny and 21 degrees in Paris. The result of get_time is 10:30 in Paris."
    )


def test_react_by_meaning_without_tools_and_not_without_the_format() -> None:
    assert _react([{"role": "user", "content": "How is the weather in Oslo?"}]) == REACT_CALL.format(
        "get_weather", '{"city": "Oslo"}')  # fmt: skip
    chat_history = [
        {"role": "user", "content": "Remember that Lima is the capital of Peru."},
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": "What is the capital of Peru?"},
    ]
    assert _react(chat_history) == REACT_DONE + "Remember that Lima is the capital of Peru."
    context = "\nHere is some context to help you answer the question and plan:\nOslo is the capital of Norway.\n"
    system = REACT_SYSTEM.replace("\n\n## Output Format", context + "\n## Output Format")
    ask = [{"role": "user", "content": "What is the capital of Norway?"}]
    assert _react(ask, system=system) == REACT_DONE + "Oslo is the capital of Norway."
    fmt = [{"role": "user", "content": "Which output format and language should the answer use?"}]
    assert _react(fmt) == REACT_DONE + "This is a simulated answer to: " + fmt[0]["content"]  # not the format text
    hello = [{"role": "user", "content": "hello there"}]
    assert _react(hello) == REACT_DONE + "This is a simulated answer to: hello there"
    listing = {"role": "system", "content": "> Tool Name: get_weather\nTool Args: {}"}  # no ReAct format
    body = {"model": "m", "messages": [listing, {"role": "user", "content": "hello there"}]}
    assert js(call("/v1/chat/completions", body))["choices"][0]["message"]["content"].startswith("This is")
    with_tools = {**body, "messages": [{"role": "system", "content": REACT_SYSTEM}, body["messages"][1]],
                  "tools": [TIME]}  # a `tools` field wins over a ReAct prompt  # fmt: skip
    assert not js(call("/v1/chat/completions", with_tools))["choices"][0]["message"]["content"].startswith("Thought")


QA_SYSTEM = "You are an expert Q&A system that is trusted around the world."
QA_USER = (
    "Context information is below.\n---------------------\nsource: fuji\n\n"
    "Mount Fuji is the highest mountain in Japan at 3,776 meters. Mount Fuji last erupted in 1707.\n"
    "---------------------\nGiven the context information and not prior knowledge, answer the query.\n"
    "Query: When did Mount Fuji last erupt?\nAnswer: "
)
CONDENSE = (
    "Given the following conversation between a user and an AI assistant and a follow up question from user,\n"
    "  rephrase the follow up question to be a standalone question.\n\n  Chat History:\n"
    "  user: How tall is Mount Fuji in meters?\nassistant: Mount Fuji is the highest mountain in Japan.\n"
    "  Follow Up Input: Where is the Eiffel Tower located?\n  Standalone question:"
)


def _answer(*messages: tuple[str, str]) -> str:
    body = {"model": "m", "messages": [{"role": r, "content": c} for r, c in messages]}
    return js(call("/v1/chat/completions", body))["choices"][0]["message"]["content"]


def test_question_marked_inside_the_context_message() -> None:
    assert _answer(("system", QA_SYSTEM), ("user", QA_USER)) == "Mount Fuji last erupted in 1707."
    assert _answer(("user", CONDENSE)) == "Where is the Eiffel Tower located?"
    assert _answer(("user", "Facts: Oslo is in Norway. Lima is in Peru.\nQuestion: Where is Lima?\nAnswer:")) == (
        "Lima is in Peru.")  # fmt: skip
    transcript = "Human: Where is Oslo?\nAI: Oslo is in Norway.\nLima is in Peru.\nHuman: And where is Lima?\nAI:"
    assert _answer(("user", transcript)) == "Lima is in Peru."  # the last marker wins
    assert _answer(("user", "资料：北京今天晴天。上海今天下雨。\n问题：上海今天天气怎么样？")) == "上海今天下雨。"
    assert _answer(("user", "Query:\nAnswer:")) == "This is a simulated answer to: Query:\nAnswer:"  # empty: unmarked
    text = js(call("/v1/completions", {"model": "m", "prompt": QA_USER}))["choices"][0]["text"]
    assert text == " Mount Fuji last erupted in 1707."


# -------------------------------------------------------------------- quirks
def test_zzz_quirks_empty_id_and_null_model() -> None:
    on = SimConfig(zzz_quirks=True)
    body = js(call("/v1/chat/completions", chat(), cfg=on))
    assert body["id"] == "" and body["model"] is None and body["code"] == 0 and body["choices"]
    events = sse(call("/v1/chat/completions", chat(stream=True), cfg=on))
    assert all(e["id"] == "" and e["model"] is None for e in events[:-1])
    body = js(call("/v1/completions", {"model": "m", "prompt": "hi"}, cfg=on))
    assert body["id"] == "" and body["model"] is None
    body = js(call("/v1/embeddings", {"model": "text-embedding-3-small", "input": "hi"}, cfg=on))
    assert body["model"] is None and "id" not in body
    off = js(call("/v1/chat/completions", chat()))
    assert off["id"].startswith("chatcmpl-") and off["model"] == "gpt-4o-mini"
    newapi = js(call("/v1/chat/completions", chat(), cfg=SimConfig(dialect="newapi", zzz_quirks=True)))
    assert newapi["id"] and newapi["model"] == "gpt-4o-mini"  # 智增增's quirks only
    assert GatewaySimulator(zzz_quirks=True).config.quirks and not GatewaySimulator().config.quirks


# ---------------------------------------------------------------- embeddings
def test_embeddings_dimensions_and_base64() -> None:
    body = js(call("/v1/embeddings", {"model": "text-embedding-3-small", "input": "hello"}))
    assert body["code"] == 0 and len(body["data"][0]["embedding"]) == 1536 and body["usage"]["prompt_tokens"] >= 1
    body = js(call("/v1/embeddings", {"model": "text-embedding-3-large", "input": ["a b", "c d"]}))
    assert [len(d["embedding"]) for d in body["data"]] == [3072, 3072]
    body = js(call("/v1/embeddings", {"model": "text-embedding-3-large", "input": "x", "dimensions": 256,
                                      "encoding_format": "base64"}))  # fmt: skip
    decoded = struct.unpack("<256f", base64.b64decode(body["data"][0]["embedding"]))
    assert all(abs(a - b) < 1e-6 for a, b in zip(decoded, embed("x", 256), strict=True))
    cfg = SimConfig(honour_base64=False)
    body = js(call("/v1/embeddings", {"model": "m", "input": "x", "encoding_format": "base64"}, cfg=cfg))
    assert isinstance(body["data"][0]["embedding"], list)


@pytest.mark.parametrize("bad", [[1, 2, 3], [[1, 2]], "", ["ok", ""], [], None])
def test_embeddings_rejects(bad: Any) -> None:
    resp = call("/v1/embeddings", {"model": "text-embedding-3-small", "input": bad}, dialect="newapi")
    assert resp.status == 400 and js(resp)["error"]["code"] == "invalid_request"


def test_embeddings_shuffle_keeps_indices() -> None:
    texts = [f"text number {i}" for i in range(6)]
    body = js(call("/v1/embeddings", {"model": "m", "input": texts}, headers={"X-ZZZ-Shuffle": "1"}))
    order = [d["index"] for d in body["data"]]
    assert sorted(order) == list(range(6)) and order != list(range(6))
    for d in body["data"]:
        assert d["embedding"] == embed(texts[d["index"]])


def test_embedding_similarity() -> None:
    cat = embed("The cat sat on the mat")
    related = embed("A cat is sitting on the mat")
    unrelated = embed("Quarterly revenue grew in the semiconductor market")
    assert cosine(cat, related) > 0.5 > 0.2 > abs(cosine(cat, unrelated))
    weather = embed("北京的天气很好")
    assert cosine(weather, embed("北京天气晴朗")) > cosine(weather, embed("我喜欢吃苹果"))
    assert abs(sum(v * v for v in cat) - 1) < 1e-6 and embed("x") == embed("x")


# ------------------------------------------------------------ models, billing
def test_models() -> None:
    zz = js(call("/v1/models", method="GET"))
    assert zz["object"] == "list" and [m["id"] for m in zz["data"]] == list(MODELS)
    assert all(m["object"] == "model" and "supported_endpoint_types" not in m for m in zz["data"])
    na = js(call("/v1/models", method="GET", dialect="newapi"))
    types = {m["id"]: m["supported_endpoint_types"] for m in na["data"]}
    assert types["gpt-4o"] == ["openai"] and "anthropic" in types["claude-sonnet-4-5"]
    one = call("/v1/models/deepseek-reasoner", method="GET", dialect="newapi")
    assert one.status == 200 and js(one)["owned_by"] == "deepseek"
    missing = call("/v1/models/gpt-99", method="GET", dialect="newapi")
    assert missing.status == 200 and js(missing)["error"]["code"] == "model_not_found"


def test_balance_zhizengzeng() -> None:
    cfg = SimConfig()
    body = js(call("/v1/dashboard/billing/credit_grants", cfg=cfg))
    assert body == {"code": 0, "msg": "ok", "object": "credit_summary", "grants": {"available_amount": "111.8658"}}
    cfg.balance = 5.5
    assert js(call("/dashboard/billing/credit_grants", cfg=cfg))["grants"]["available_amount"] == "5.5000"
    assert call("/v1/dashboard/billing/credit_grants", method="GET", cfg=cfg).status == 404
    assert call("/v1/dashboard/billing/subscription", method="GET", cfg=cfg).status == 404


def test_balance_newapi() -> None:
    cfg = SimConfig(dialect="newapi", balance=10.0, used=2.5)
    sub = js(call("/v1/dashboard/billing/subscription", method="GET", cfg=cfg))
    assert sub["object"] == "billing_subscription" and sub["hard_limit_usd"] == 12.5
    usage = js(call("/dashboard/billing/usage", method="GET", cfg=cfg))
    assert usage == {"object": "list", "total_usage": 250.0}
    assert sub["hard_limit_usd"] - usage["total_usage"] / 100 == 10.0
    err = call("/v1/dashboard/billing/subscription", method="GET", cfg=cfg, fault=Fault.error("auth"))
    assert err.status == 200 and js(err)["error"]["message"].startswith("无效的令牌")


def test_unknown_route() -> None:
    resp = call("/v1/xyz", {})
    assert resp.status == 404
    assert js(resp) == {"error": {"message": "Invalid URL (POST /v1/xyz)", "type": "invalid_request_error", "code": ""}}
    assert call("/v1/chat/completions", method="GET").status == 404


# ----------------------------------------------------------------------- auth
@pytest.mark.parametrize("dialect", ["zhizengzeng", "newapi"])
def test_auth(dialect: str) -> None:
    cfg = SimConfig(dialect=dialect)
    for headers, status in [({"authorization": ""}, 401), ({"authorization": "Bearer "}, 401),
                            ({"authorization": "Bearer sk-proj-abc"}, 401), ({"authorization": "Bearer zp-abc"}, 403),
                            ({"authorization": "Basic abc"}, 401)]:  # fmt: skip
        resp = call("/v1/chat/completions", chat(), cfg=cfg, headers=headers)
        assert resp.status == status, headers
        body = js(resp)
        text = body["error"]["message"] if dialect == "newapi" else body["msg"]
        if "zp-" in headers["authorization"]:
            assert "personal keys cannot be used from code" in text
    only = SimConfig(dialect=dialect, api_keys=frozenset({"sk-good"}))
    assert call("/v1/models", method="GET", cfg=only, headers={"authorization": "Bearer sk-good"}).status == 200
    assert call("/v1/models", method="GET", cfg=only).status == 401


# --------------------------------------------------------------------- faults
def test_error_samples_catalogue() -> None:
    assert set(ERROR_SAMPLES) == {(d, c) for d in ("zhizengzeng", "newapi") for c in CATEGORIES}
    for (dialect, _category), (status, body) in ERROR_SAMPLES.items():
        assert status >= 400
        if dialect == "newapi":
            assert set(body) == {"error"} and "(request id: " in body["error"]["message"]
            assert {"message", "type", "code"} <= set(body["error"])
        else:
            assert set(body) == {"code", "msg"} and body["code"] != 0
    assert ERROR_SAMPLES[("newapi", "balance")][0] == 403
    assert ERROR_SAMPLES[("newapi", "balance")][1]["error"]["code"] == "insufficient_user_quota"
    assert ERROR_SAMPLES[("newapi", "model_not_found")][0] == 503
    assert ERROR_SAMPLES[("newapi", "rate_limit")][1]["error"]["message"].startswith("您已达到请求数限制")
    assert ERROR_SAMPLES[("newapi", "context_length")][1]["error"]["message"].startswith("This model's maximum")
    assert ERROR_SAMPLES[("zhizengzeng", "balance")][1] == {"code": 1001, "msg": "余额不足，请充值后再试"}
    assert ERROR_SAMPLES[("zhizengzeng", "unknown_code")][1] == {"code": 4242, "msg": "未知错误"}


@pytest.mark.parametrize("dialect", ["zhizengzeng", "newapi"])
@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("shape", ["error_object", "envelope_200", "envelope_status"])
def test_error_faults(dialect: str, category: str, shape: str) -> None:
    fault = Fault.error(category, shape=shape)
    resp = call("/v1/chat/completions", chat(model="gpt-4.1"), dialect=dialect, fault=fault)
    body = js(resp)
    expected_status, _ = error_body(dialect, category, shape)
    assert resp.status == expected_status
    if shape == "error_object":
        assert resp.status >= 400 and set(body) == {"error"} and "message" in body["error"]
    else:
        assert set(body) == {"code", "msg"} and body["code"] != 0
        assert (resp.status == 200) is (shape == "envelope_200")
    if category in ("model_not_found", "permission") and dialect == "newapi" and shape == "error_object":
        assert "gpt-4.1" in body["error"]["message"]


def test_rate_limit_retry_after_and_status_override() -> None:
    resp = call("/v1/chat/completions", chat(), dialect="newapi", fault=Fault.rate_limit(retry_after=2.5))
    assert resp.status == 429 and dict(resp.headers)["Retry-After"] == "2.5"
    resp = call("/v1/chat/completions", chat(), fault=Fault.rate_limit(1, shape="envelope_200"))
    assert resp.status == 200 and js(resp)["code"] == 1004 and dict(resp.headers)["Retry-After"] == "1"
    resp = call("/v1/chat/completions", chat(), fault=Fault.error("server_error", status=418, message="teapot"))
    assert resp.status == 418 and js(resp)["msg"] == "teapot"


def test_html_empty_slow_reset() -> None:
    resp = call("/v1/chat/completions", chat(), fault=Fault.html(502))
    assert resp.status == 502 and b"<center>nginx</center>" in resp.body  # type: ignore[operator]
    assert dict(resp.headers)["Content-Type"] == "text/html"
    assert b"Gateway time-out" in call("/v1/models", method="GET", fault=Fault.html(504)).body  # type: ignore[operator]
    resp = call("/v1/embeddings", {"model": "m", "input": "x"}, fault=Fault.empty_body(503))
    assert resp.status == 503 and resp.body == b""
    resp = call("/v1/chat/completions", chat(), fault=Fault.slow_first_byte(1.5))
    assert resp.status == 200 and resp.delay == 1.5
    assert call("/v1/models", method="GET", fault=Fault.connection_reset()).reset


def test_mid_stream_drop_and_no_done() -> None:
    resp = call("/v1/chat/completions", chat("hello there", stream=True), fault=Fault.mid_stream_drop(3))
    got = pieces(resp)
    assert got[-1] is DROP and len(got) == 1 + 3 + 1
    assert all(b"[DONE]" not in p and b"finish_reason\":\"stop" not in p for p in got[:-1])
    resp = call("/v1/chat/completions", chat("hello there", stream=True), fault=Fault.no_done(2))
    events = sse(resp)
    assert len(events) == 3 and "[DONE]" not in events
    assert all(e["choices"][0]["finish_reason"] is None for e in events)
    short = call("/v1/chat/completions", chat("hi", stream=True), fault=Fault.no_done(10_000))
    assert all(isinstance(e, dict) and e["choices"][0]["finish_reason"] is None for e in sse(short))


@pytest.mark.parametrize("style", ["data_envelope", "data_error_object", "event_error"])
@pytest.mark.parametrize("dialect", ["zhizengzeng", "newapi"])
def test_sse_error(style: str, dialect: str) -> None:
    fault = Fault.sse_error("balance", after_chunks=2, style=style)
    resp = call("/v1/chat/completions", chat("hello there", stream=True), dialect=dialect, fault=fault)
    assert resp.status == 200
    got = pieces(resp)
    raw = b"".join(got).decode()
    events = sse(got)
    assert len(events) == 1 + 2 + 1 and "[DONE]" not in events
    err = events[-1]
    if style == "data_envelope":
        assert err == {"code": 1001, "msg": "余额不足，请充值后再试"}
    elif style == "data_error_object":
        assert "error" in err
    else:
        assert "event: error\ndata: " in raw
        assert ("error" in err) if dialect == "newapi" else err["code"] == 1001


def test_json_error_to_stream_and_stream_faults_need_streams() -> None:
    fault = Fault.json_error_to_stream("balance")
    resp = call("/v1/chat/completions", chat(stream=True), dialect="newapi", fault=fault)
    assert resp.status == 403 and dict(resp.headers)["Content-Type"].startswith("application/json")
    assert js(resp)["error"]["code"] == "insufficient_user_quota"
    for stream_fault in (Fault.mid_stream_drop(1), Fault.no_done(1), Fault.sse_error("auth"), fault):
        assert js(call("/v1/chat/completions", chat(), fault=stream_fault))["code"] == 0


def test_fault_header_and_completions_stream_fault() -> None:
    resp = call("/v1/chat/completions", chat(), headers={"X-ZZZ-Fault": "balance:envelope_200"})
    assert resp.status == 200 and js(resp)["code"] == 1001
    resp = call("/v1/completions", {"model": "m", "prompt": "hello", "stream": True},
                headers={"X-ZZZ-Fault": "mid_stream_drop:2"})  # fmt: skip
    got = pieces(resp)
    assert got[-1] is DROP and len(got) == 3
    bad = call("/v1/chat/completions", chat(), headers={"X-ZZZ-Fault": "nonsense:1"})
    assert bad.status == 400 and "nonsense" in js(bad)["msg"]


ALL_FAULTS = [
    *(Fault.error(c) for c in CATEGORIES),
    *(Fault.error("balance", shape=s) for s in faults_mod.SHAPES),
    Fault.error("auth", shape="envelope_200", status=401),
    Fault.rate_limit(), Fault.rate_limit(2.5, shape="envelope_status"),
    Fault.html(502), Fault.html(504), Fault.empty_body(502), Fault.slow_first_byte(0.25),
    Fault.mid_stream_drop(3), Fault.no_done(0), Fault.connection_reset(), Fault.json_error_to_stream("auth"),
    *(Fault.mangled_embeddings(s) for s in faults_mod.MANGLED_STYLES),
    *(Fault.sse_error("rate_limit", 4, s) for s in faults_mod.SSE_ERROR_STYLES),
]  # fmt: skip


@pytest.mark.parametrize("fault", ALL_FAULTS, ids=lambda f: f.name)
def test_fault_names_round_trip(fault: Fault) -> None:
    assert Fault.parse(fault.name) == fault and str(fault) == fault.name


def test_fault_names_examples_and_errors() -> None:
    assert Fault.error("balance", shape="envelope_200").name == "balance:envelope_200"
    assert Fault.html(502).name == "html:502" and Fault.mid_stream_drop(3).name == "mid_stream_drop:3"
    assert Fault.rate_limit(1.0).name == "rate_limit:retry_after=1"
    for bad in ("", "nope", "balance:weird_shape", "html:abc"):
        with pytest.raises(ValueError):
            Fault.parse(bad)
    with pytest.raises(ValueError):
        Fault.error("not_a_category")
    with pytest.raises(ValueError):
        Fault.sse_error("auth", style="smoke_signals")


# ------------------------------------------------- simulator without sockets
def test_inject_queue_matching_and_records() -> None:
    sim = GatewaySimulator("newapi")  # never started: dispatch only
    sim.inject(Fault.error("balance"), times=2, path="/chat/completions", model="gpt-4o")
    sim.inject(Fault.no_done(1))
    req = lambda model, stream=False: SimRequest(  # noqa: E731
        "POST", "/v1/chat/completions", {"authorization": "Bearer sk-abcdefghijklmnop1234"},
        json.dumps(chat(model=model, stream=stream)).encode(),
    )  # fmt: skip
    assert sim.dispatch(req("gpt-4o-mini")).status == 200
    assert sim.dispatch(req("gpt-4o")).status == 403
    emb = SimRequest("POST", "/v1/embeddings", dict(KEY), b'{"model":"m","input":"x"}')
    assert sim.dispatch(emb).status == 200
    assert sim.dispatch(req("gpt-4o")).status == 403
    assert sim.dispatch(req("gpt-4o")).status == 200
    assert len(sse(sim.dispatch(req("gpt-4o", stream=True)))) == 2  # no_done waited for a stream
    sim.inject(Fault.error("server_error"), times=None)
    assert [sim.dispatch(req("x")).status for _ in range(3)] == [500, 500, 500]
    sim.clear_faults()
    assert sim.dispatch(req("x")).status == 200
    assert sim.count() == 10 and sim.count("/chat/completions") == 9 and sim.count("/embeddings") == 1
    rec = sim.requests[0]
    assert rec.method == "POST" and rec.path == "/v1/chat/completions" and rec.body["model"] == "gpt-4o-mini"
    assert rec.header("Authorization") == "Bearer sk-…1234" and "abcdefghijklmnop" not in rec.headers["authorization"]
    sim.clear_requests()
    assert sim.requests == [] and sim.count() == 0
    with pytest.raises(ValueError):
        sim.inject(Fault.html(), times=0)


def test_in_process_transport_httpx2_and_httpx() -> None:
    sim = GatewaySimulator()
    with httpx2.Client(transport=sim.transport(), base_url=sim.base_url, headers=KEY) as client:
        assert client.get("/models").json()["code"] == 0
        r = client.post("/chat/completions", json=chat(stream=True))
        assert r.headers["content-type"] == "text/event-stream" and r.text.endswith("data: [DONE]\n\n")
        with client.stream("POST", "/chat/completions", json=chat(stream=True),
                           headers={"X-ZZZ-Fault": "mid_stream_drop:2"}) as r:  # fmt: skip
            with pytest.raises(httpx2.RemoteProtocolError):
                for _ in r.iter_bytes():
                    pass
        with pytest.raises(httpx2.ReadError):
            client.get("/models", headers={"X-ZZZ-Fault": "connection_reset"})
    with httpx.Client(transport=sim.transport("httpx"), base_url=sim.base_url, headers=KEY) as client:
        assert client.post("/embeddings", json={"model": "m", "input": "x"}).status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/chat/completions", json=chat(stream=True), headers={"X-ZZZ-Fault": "mid_stream_drop:1"})

    async def run_async() -> str:
        async with httpx2.AsyncClient(transport=sim.transport(), base_url=sim.base_url, headers=KEY) as client:
            r = await client.post("/chat/completions", json=chat("hi", stream=True))
            return r.text

    assert "data: [DONE]" in asyncio.run(run_async())
    assert sim.count("/chat/completions") == 4


def test_transport_with_openai_client() -> None:
    import openai

    sim = GatewaySimulator("newapi")
    client = openai.OpenAI(base_url=sim.base_url, api_key="sk-test", max_retries=0,
                           http_client=httpx2.Client(transport=sim.transport()))  # fmt: skip
    out = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hello there"}])
    assert out.choices[0].message.content == "This is a simulated answer to: hello there"
    sim.inject(Fault.error("balance"))
    with pytest.raises(openai.PermissionDeniedError, match="用户额度不足"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])


def test_constructor_validation() -> None:
    with pytest.raises(ValueError):
        GatewaySimulator("openai")
    with pytest.raises(ValueError):
        GatewaySimulator(reasoning_field="thoughts")
    with pytest.raises(ValueError):
        GatewaySimulator(tool_delta_style="weird")


def test_no_framework_imports() -> None:
    import pathlib

    src = pathlib.Path(__file__).resolve().parents[2] / "zzz_testing"
    assert list(src.glob("*.py")), src
    for path in src.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(langchain|llama_index)", text, re.M), path
        if path.name != "pytest_plugin.py":
            assert not re.search(r"^(from|import)\s+(httpx|httpx2|pytest)\b", text, re.M), path
        assert len(text.splitlines()) <= 520, path
