"""ChatZZZ end to end against the gateway simulator: chains, agents, structured output,
reasoning, relay tool-call quirks, usage and batching (errors: test_langchain_errors.py)."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from lc_testkit import PNG_B64, sim_params
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_zzz import ChatZZZ
from zzz_testing import GatewaySimulator


@tool
def get_weather(city: str) -> str:
    """Get the current weather of a city."""
    return f"sunny in {city}"


@tool
def get_time(city: str) -> str:
    """Get the local time of a city."""
    return f"12:00 in {city}"


def chat(sim: GatewaySimulator, model: str = "gpt-4o-mini", **kwargs: Any) -> ChatZZZ:
    return ChatZZZ(**sim_params(sim, model=model, **kwargs))


def collect(chunks: Any) -> AIMessageChunk:
    full = None
    for chunk in chunks:
        full = chunk if full is None else full + chunk
    assert isinstance(full, AIMessageChunk)
    return full


def last_body(sim: GatewaySimulator) -> dict[str, Any]:
    return sim.requests[-1].body


# ------------------------------------------------------------------ chains, agents
def test_lcel_chain_streams_tokens_in_order(fresh: GatewaySimulator) -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "Tell me about {topic}")])
    chain = prompt | chat(fresh) | StrOutputParser()
    tokens = list(chain.stream({"topic": "the Great Wall"}))
    assert len(tokens) > 3
    assert "".join(tokens) == chain.invoke({"topic": "the Great Wall"})
    assert "".join(tokens) == "This is a simulated answer to: Tell me about the Great Wall"
    body = fresh.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


async def test_lcel_chain_astream(fresh: GatewaySimulator) -> None:
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | chat(fresh) | StrOutputParser()
    tokens = [t async for t in chain.astream({"q": "hello"})]
    assert len(tokens) > 3 and "".join(tokens) == "This is a simulated answer to: hello"


def test_agent_calls_two_tools_and_answers(fresh: GatewaySimulator) -> None:
    agent = create_agent(chat(fresh), tools=[get_weather, get_time])
    state = agent.invoke({"messages": [HumanMessage("Use get_weather and get_time for Beijing.")]})
    messages = state["messages"]
    tool_results = [m for m in messages if isinstance(m, ToolMessage)]
    assert sorted(m.content for m in tool_results) == ["12:00 in Beijing", "sunny in Beijing"]
    final = messages[-1]
    assert isinstance(final, AIMessage) and not final.tool_calls
    assert "sunny in Beijing" in final.text and "12:00 in Beijing" in final.text
    assert fresh.count("/chat/completions") == 2


# -------------------------------------------------------------- structured output
class Person(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(description="the person's name")
    age: int = Field(description="age in years")


class PersonDict(TypedDict):
    """A person mentioned in the text."""

    name: Annotated[str, ..., "the person's name"]
    age: Annotated[int, ..., "age in years"]


class Answer(BaseModel):
    """The answer."""

    answer: str


class Joke(BaseModel):
    setup: str
    punchline: str


SCHEMAS = {"pydantic": Person, "typeddict": PersonDict, "json_schema": Person.model_json_schema()}
QUESTION = 'Extract the person: "Alice" is 30 years old.'


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_structured_output_methods(fresh: GatewaySimulator, method: str, kind: str) -> None:
    structured = chat(fresh).with_structured_output(SCHEMAS[kind], method=method)
    result = structured.invoke(QUESTION)
    if kind == "pydantic":
        assert result == Person(name="Alice", age=30)
    else:
        assert result == {"name": "Alice", "age": 30}
    body = last_body(fresh)
    name = "PersonDict" if kind == "typeddict" else "Person"
    if method == "function_calling":
        assert body["tool_choice"] == {"type": "function", "function": {"name": name}}
        assert body["parallel_tool_calls"] is False and "response_format" not in body
    else:
        assert body["response_format"]["type"] == "json_schema" and "tools" not in body
        assert body["response_format"]["json_schema"]["name"] == name


@pytest.mark.parametrize("kind", ["pydantic", "typeddict", "json_schema"])
def test_structured_output_json_mode(fresh: GatewaySimulator, kind: str) -> None:
    class AnswerDict(TypedDict):
        answer: str

    schema = {"pydantic": Answer, "typeddict": AnswerDict, "json_schema": Answer.model_json_schema()}[kind]
    result = chat(fresh).with_structured_output(schema, method="json_mode").invoke("Say hi as JSON.")
    answer = result.answer if kind == "pydantic" else result["answer"]
    assert answer == "This is a simulated answer to: Say hi as JSON."
    assert last_body(fresh)["response_format"] == {"type": "json_object"}


def test_structured_output_default_method_follows_the_profile(fresh: GatewaySimulator) -> None:
    chat(fresh, "gpt-4o-mini").with_structured_output(Person).invoke(QUESTION)
    assert last_body(fresh)["response_format"]["type"] == "json_schema"
    chat(fresh, "deepseek-chat").with_structured_output(Person).invoke(QUESTION)
    assert last_body(fresh)["tool_choice"]["function"]["name"] == "Person"


def test_structured_output_strict_schema(fresh: GatewaySimulator) -> None:
    chat(fresh).with_structured_output(Person, method="json_schema", strict=True).invoke(QUESTION)
    spec = last_body(fresh)["response_format"]["json_schema"]
    assert spec["strict"] is True and spec["schema"]["additionalProperties"] is False


def test_structured_output_include_raw_reports_a_parsing_error(fresh: GatewaySimulator) -> None:
    structured = chat(fresh).with_structured_output(Joke, method="json_mode", include_raw=True)
    out = structured.invoke("Tell me a joke.")
    assert isinstance(out["raw"], AIMessage) and out["parsed"] is None
    assert out["parsing_error"] is not None
    ok = chat(fresh).with_structured_output(Person, method="function_calling", include_raw=True).invoke(QUESTION)
    assert ok["parsed"] == Person(name="Alice", age=30) and ok["parsing_error"] is None


def test_structured_output_streams_partial_objects(fresh: GatewaySimulator) -> None:
    structured = chat(fresh).with_structured_output(SCHEMAS["json_schema"], method="function_calling")
    parts = list(structured.stream(QUESTION))
    assert parts[-1] == {"name": "Alice", "age": 30}


# --------------------------------------------------------------------------- batch
def test_batch_with_max_concurrency_keeps_order(fresh: GatewaySimulator) -> None:
    questions = [f"question number {i}" for i in range(6)]
    answers = chat(fresh).batch(questions, config={"max_concurrency": 2})
    assert [a.text for a in answers] == [f"This is a simulated answer to: {q}" for q in questions]
    assert fresh.count("/chat/completions") == 6


async def test_abatch(fresh: GatewaySimulator) -> None:
    answers = await chat(fresh).abatch(["one", "two", "three"], config={"max_concurrency": 2})
    assert [a.text for a in answers] == [f"This is a simulated answer to: {q}" for q in ("one", "two", "three")]


# ----------------------------------------------------------------------- reasoning
@pytest.mark.parametrize("field", ["reasoning_content", "reasoning", "think_tags"])
def test_reasoning_on_invoke(fresh: GatewaySimulator, field: str) -> None:
    llm = chat(fresh, "deepseek-reasoner", default_headers={"X-ZZZ-Reasoning-Field": field})
    msg = llm.invoke("Why is the sky blue?")
    reasoning = "Let me think step by step about: Why is the sky blue?"
    assert msg.additional_kwargs["reasoning_content"] == reasoning
    assert msg.content == "This is a simulated answer to: Why is the sky blue?"
    assert msg.content_blocks == [
        {"type": "reasoning", "reasoning": reasoning},
        {"type": "text", "text": msg.content},
    ]
    assert msg.usage_metadata["output_token_details"]["reasoning"] > 0


@pytest.mark.parametrize("field", ["reasoning_content", "think_tags"])
def test_reasoning_streams_before_the_answer(fresh: GatewaySimulator, field: str) -> None:
    llm = chat(fresh, "deepseek-reasoner", default_headers={"X-ZZZ-Reasoning-Field": field})
    chunks = list(llm.stream("Why is the sky blue?"))
    with_reasoning = [i for i, c in enumerate(chunks) if c.additional_kwargs.get("reasoning_content")]
    with_text = [i for i, c in enumerate(chunks) if c.content]
    assert len(with_reasoning) > 1 and max(with_reasoning) < min(with_text)
    full = collect(chunks)
    assert [b["type"] for b in full.content_blocks] == ["reasoning", "text"]
    assert full.content_blocks[0]["reasoning"].strip() == "Let me think step by step about: Why is the sky blue?"


async def test_reasoning_astream(fresh: GatewaySimulator) -> None:
    full = None
    async for chunk in chat(fresh, "deepseek-reasoner").astream("Why?"):
        full = chunk if full is None else full + chunk
    assert [b["type"] for b in full.content_blocks] == ["reasoning", "text"]


def _tool_turns(llm: ChatZZZ) -> list[Any]:
    bound = llm.bind_tools([get_weather])
    first = bound.invoke("Use get_weather for Beijing.")
    assert first.tool_calls and first.tool_calls[0]["name"] == "get_weather"
    history = [HumanMessage("Use get_weather for Beijing."), first]
    history += [ToolMessage(get_weather.invoke(tc["args"]), tool_call_id=tc["id"]) for tc in first.tool_calls]
    return history


def test_reasoning_is_replayed_on_tool_turns_only_where_the_model_needs_it(fresh: GatewaySimulator) -> None:
    reasoner = chat(fresh, "deepseek-reasoner")
    history = _tool_turns(reasoner)
    assert history[1].additional_kwargs["reasoning_content"]
    final = reasoner.bind_tools([get_weather]).invoke(history)
    assert final.text == "The result of get_weather is sunny in Beijing."
    sent = [m for m in last_body(fresh)["messages"] if m["role"] == "assistant"]
    assert sent[0]["reasoning_content"] == history[1].additional_kwargs["reasoning_content"]
    assert sent[0]["tool_calls"][0]["function"]["name"] == "get_weather"

    chat(fresh, "gpt-4o").bind_tools([get_weather]).invoke(history)  # the same history to gpt-4o
    sent = [m for m in last_body(fresh)["messages"] if m["role"] == "assistant"]
    assert "reasoning_content" not in sent[0] and sent[0]["tool_calls"]


def test_reasoning_effort_is_sent_to_models_that_take_it(fresh: GatewaySimulator) -> None:
    chat(fresh, "o4-mini", reasoning_effort="high", max_tokens=50).invoke("hi")
    body = last_body(fresh)
    assert body["reasoning_effort"] == "high" and body["max_completion_tokens"] == 50 and "max_tokens" not in body
    with pytest.warns(UserWarning, match="reasoning_effort"):
        chat(fresh, "some-unknown-model", reasoning_effort="low").invoke("hi")
    assert "reasoning_effort" not in last_body(fresh)


# ----------------------------------------------------------- tool calls via relays
@pytest.mark.parametrize("style", ["standard", "no_index", "repeat_id", "whole"])
def test_streamed_tool_calls_survive_relay_delta_styles(fresh: GatewaySimulator, style: str) -> None:
    llm = chat(fresh, default_headers={"X-ZZZ-Tool-Delta-Style": style}).bind_tools([get_weather, get_time])
    full = collect(llm.stream("Use get_weather and get_time for Shanghai."))
    assert [(c["name"], c["args"]) for c in full.tool_calls] == [
        ("get_weather", {"city": "Shanghai"}),
        ("get_time", {"city": "Shanghai"}),
    ]
    assert [c["id"] for c in full.tool_calls] == ["call_1", "call_2"]
    assert not full.invalid_tool_calls
    invoked = llm.invoke("Use get_weather and get_time for Shanghai.")
    assert [(c["name"], c["args"], c["id"]) for c in invoked.tool_calls] == [
        (c["name"], c["args"], c["id"]) for c in full.tool_calls
    ]


def test_tool_choice_spellings(fresh: GatewaySimulator) -> None:
    llm = chat(fresh)
    for choice, wire in [("any", "required"), (True, "required"), ("auto", "auto"), ("none", "none"),
                         ("get_time", {"type": "function", "function": {"name": "get_time"}})]:  # fmt: skip
        llm.bind_tools([get_weather, get_time], tool_choice=choice).invoke("hello")
        assert last_body(fresh)["tool_choice"] == wire
        assert "parallel_tool_calls" not in last_body(fresh)
    msg = llm.bind_tools([get_weather, get_time], tool_choice="get_time", parallel_tool_calls=False).invoke("hi")
    assert [c["name"] for c in msg.tool_calls] == ["get_time"]
    assert last_body(fresh)["parallel_tool_calls"] is False


def test_malformed_tool_arguments_become_invalid_tool_calls(fresh: GatewaySimulator) -> None:
    # A relay that cut the arguments short: the answer is replayed from a crafted history.
    from langchain_zzz._messages import to_chat_result
    from zzz_core.decode import parse_chat_response

    payload = {"choices": [{"message": {"role": "assistant", "tool_calls": [
        {"id": "call_9", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Bei'}}]},
        "finish_reason": "tool_calls"}]}  # fmt: skip
    msg = to_chat_result(parse_chat_response(payload), "gpt-4o-mini").generations[0].message
    assert msg.tool_calls == [] and msg.invalid_tool_calls[0]["id"] == "call_9"
    assert msg.invalid_tool_calls[0]["args"] == '{"city": "Bei'


# ----------------------------------------------------------------- usage, metadata
def test_usage_arrives_once_on_the_final_stream_chunk(fresh: GatewaySimulator) -> None:
    chunks = list(chat(fresh).stream("hello there"))
    assert [c.usage_metadata is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    last = chunks[-1]
    assert last.chunk_position == "last"
    assert last.usage_metadata["input_tokens"] > 0 and last.usage_metadata["output_tokens"] > 0
    assert last.usage_metadata["input_token_details"] == {"cache_read": 0}
    full = collect(chunks)
    assert full.response_metadata["finish_reason"] == "stop"
    assert full.response_metadata["model_name"] == "gpt-4o-mini"
    assert full.response_metadata["model_provider"] == "zzz"
    assert full.response_metadata["system_fingerprint"] == "fp_zzzsim"


def test_stream_usage_can_be_turned_off(fresh: GatewaySimulator) -> None:
    chunks = list(chat(fresh, stream_usage=False).stream("hello"))
    assert all(c.usage_metadata is None for c in chunks)
    assert "stream_options" not in last_body(fresh)


def test_invoke_metadata_and_logprobs(fresh: GatewaySimulator) -> None:
    msg = chat(fresh, logprobs=True, top_logprobs=2).invoke("hello")
    meta = msg.response_metadata
    assert meta["model_name"] == "gpt-4o-mini" and meta["finish_reason"] == "stop"
    assert meta["id"].startswith("chatcmpl") and meta["gateway_host"] == f"127.0.0.1:{fresh.port}"
    assert meta["logprobs"]["content"][0]["token"] == "This "
    assert len(meta["logprobs"]["content"][0]["top_logprobs"]) == 2
    streamed = collect(chat(fresh, logprobs=True).stream("hello"))
    assert "".join(t["token"] for t in streamed.response_metadata["logprobs"]["content"]) == streamed.content


def test_streaming_true_makes_invoke_stream(fresh: GatewaySimulator) -> None:
    msg = chat(fresh, streaming=True).invoke("hello")
    assert msg.text == "This is a simulated answer to: hello" and msg.usage_metadata["total_tokens"] > 0
    assert last_body(fresh)["stream"] is True


def test_n_choices(fresh: GatewaySimulator) -> None:
    result = chat(fresh, n=2).generate([[HumanMessage("hello")]])
    texts = [g.text for g in result.generations[0]]
    assert texts == ["This is a simulated answer to: hello", "This is a simulated answer to: hello (choice 2)"]
    with pytest.raises(ValueError, match="cannot be streamed"):
        list(chat(fresh, n=2).stream("hello"))


def test_stop_and_max_tokens(fresh: GatewaySimulator) -> None:
    msg = chat(fresh).invoke("hello there", stop=["answer"])
    assert msg.text == "This is a simulated " and last_body(fresh)["stop"] == ["answer"]
    msg = chat(fresh, max_tokens=2).invoke("hello there")
    assert msg.response_metadata["finish_reason"] == "length"


def test_model_kwargs_and_extra_body_reach_the_body(fresh: GatewaySimulator) -> None:
    with pytest.warns(UserWarning, match="top_k"):
        llm = chat(fresh, top_k=5, extra_body={"enable_thinking": False})
    llm.invoke("hi", extra_body={"service_tier": "flex"})
    body = last_body(fresh)
    assert (body["top_k"], body["enable_thinking"], body["service_tier"]) == (5, False, "flex")


# ---------------------------------------------------------------------- multimodal
def test_image_inputs_reach_the_gateway_as_image_url_parts(fresh: GatewaySimulator) -> None:
    content = [
        {"type": "text", "text": "What is in these images?"},
        {"type": "image", "url": "https://example.com/cat.png"},
        {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
        {"type": "image_url", "image_url": {"url": "https://example.com/dog.png", "detail": "low"}},
    ]
    chat(fresh).invoke([HumanMessage(content)])
    parts = last_body(fresh)["messages"][0]["content"]
    assert parts == [
        {"type": "text", "text": "What is in these images?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/dog.png", "detail": "low"}},
    ]
