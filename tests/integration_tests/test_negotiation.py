"""Parameter negotiation end to end (issue 15, item 1): a model that rejects a parameter with the
real gateways' messages (wire-facts-2 §7, ``zzz_testing.rejections``) still answers.

For each rejection: the call succeeds, the first call costs at most 2 requests, the next
identical call exactly 1 (the adjustment is remembered per host and model), one warning
names the parameter; in zzz_core and both skins, for invoke, stream, tools and structured
output where the parameter applies.  A 400 that is not about a parameter is never resent.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pydantic import BaseModel

from zzz_core import Gateway, build_chat_request, negotiation
from zzz_core import errors as E
from zzz_testing import Fault, GatewaySimulator

KEY = "sk-SECRETnegotiation0123456789abcdef0123456789ab"
CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather of a city", "parameters": CITY}}
SCHEMA_FORMAT = {"type": "json_schema", "json_schema": {"name": "Answer", "schema": {
    "type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city", "days"]}}}  # fmt: skip
_names = itertools.count()


@pytest.fixture(scope="module", params=["newapi", "zhizengzeng"])
def sim(request) -> Iterator[GatewaySimulator]:
    with GatewaySimulator(request.param) as s:
        yield s


@pytest.fixture(autouse=True)
def _fresh(sim: GatewaySimulator) -> Iterator[None]:
    negotiation.forget()
    sim.clear_rejections()
    sim.clear_faults()
    yield
    sim.clear_rejections()
    negotiation.forget()


def model_rejecting(sim: GatewaySimulator, *rules: str) -> str:
    """A fresh model name (nothing learned about it) that rejects ``rules``."""
    name = f"probe-{next(_names)}-model"
    sim.reject(name, *rules)
    return name


def chat_calls(sim: GatewaySimulator) -> list[Any]:
    return [r for r in sim.requests if r.path.endswith("/chat/completions")]


def twice(sim: GatewaySimulator, call: Callable[[], Any]) -> tuple[Any, list[Any], list[Any]]:
    """Call twice; return the first result and the requests each call made."""
    sim.clear_requests()
    first = call()
    first_requests = chat_calls(sim)
    sim.clear_requests()
    call()
    return first, first_requests, chat_calls(sim)


# (rule, build_chat_request kwargs, check on the body that succeeded)
CORE_CASES = [
    ("max_tokens", {"max_tokens": 40}, lambda b: "max_tokens" not in b and b["max_completion_tokens"] == 40),
    ("temperature", {"temperature": 0.7}, lambda b: "temperature" not in b),
    ("temperature_kimi", {"temperature": 0.3}, lambda b: "temperature" not in b),
    ("parallel_tool_calls", {"tools": [TOOL], "parallel_tool_calls": True}, lambda b: "parallel_tool_calls" not in b),
    ("presence_penalty", {"presence_penalty": 0.5}, lambda b: "presence_penalty" not in b),
    ("logprobs", {"logprobs": True}, lambda b: "logprobs" not in b),
    ("json_schema", {"response_format": SCHEMA_FORMAT},
     lambda b: "response_format" not in b and b["tool_choice"]["function"]["name"] == "Answer"),
]  # fmt: skip


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
@pytest.mark.parametrize("rule,kwargs,check", CORE_CASES, ids=[c[0] for c in CORE_CASES])
def test_core_each_rejection_is_negotiated_once(sim, rule, kwargs, check, stream, caplog) -> None:
    model = model_rejecting(sim, rule)
    gw = Gateway.from_settings(api_key=KEY, base_url=sim.base_url, max_retries=0)
    body = build_chat_request(model, [{"role": "user", "content": "weather in Paris?"}], stream=stream, **kwargs)

    def call() -> Any:
        if stream:
            s = gw.chat_stream(body)
            list(s)
            return s.result()
        return gw.chat(body)

    caplog.set_level(logging.WARNING, logger="zzz_core")
    result, first, second = twice(sim, call)
    assert result.choices
    assert len(first) == 2 and len(second) == 1
    assert check(second[0].body) and check(first[1].body)
    warnings = [r for r in caplog.records if "rejected the parameter" in r.getMessage()]
    assert len(warnings) == 1 and repr(negotiation.learned(sim.base_url.split("/")[2], model)[0].param) in (
        warnings[0].getMessage()
    )
    assert KEY not in caplog.text


def test_stream_options_rejected_by_new_api_is_left_out_of_streams(sim) -> None:
    model = model_rejecting(sim, "stream_options")
    gw = Gateway.from_settings(api_key=KEY, base_url=sim.base_url)
    body = build_chat_request(model, [{"role": "user", "content": "hi"}], stream=True)
    assert "stream_options" in body
    _, first, second = twice(sim, lambda: list(gw.chat_stream(body)))
    assert len(first) == 2 and len(second) == 1 and "stream_options" not in second[0].body


def test_max_completion_tokens_rejected_is_sent_as_max_tokens(sim) -> None:
    model = model_rejecting(sim, "max_completion_tokens")
    gw = Gateway.from_settings(api_key=KEY, base_url=sim.base_url, max_retries=0)
    body = build_chat_request("o3-mini", [{"role": "user", "content": "hi"}], max_tokens=10)
    body["model"] = model  # built for a model that wants max_completion_tokens
    assert body["max_completion_tokens"] == 10
    _, first, second = twice(sim, lambda: gw.chat(body))
    assert len(first) == 2 and len(second) == 1 and second[0].body["max_tokens"] == 10


def test_both_names_rejected_is_an_invalid_request_error_after_one_rename(sim) -> None:
    model = model_rejecting(sim, "max_completion_tokens", "max_tokens")
    gw = Gateway.from_settings(api_key=KEY, base_url=sim.base_url, max_retries=0)
    body = build_chat_request("o3-mini", [{"role": "user", "content": "hi"}], max_tokens=10)
    body["model"] = model
    sim.clear_requests()
    with pytest.raises(E.InvalidRequestError) as info:
        gw.chat(body)
    assert info.value.attempts == 2 and len(chat_calls(sim)) == 2  # renamed once, never back again
    assert info.value.code == "unsupported_parameter"


def test_an_unresolvable_rejection_is_an_invalid_request_error(sim) -> None:
    # The code says "parameter" but names none the body sent: nothing to adjust, so no resend.
    gw = Gateway.from_settings(api_key=KEY, base_url=sim.base_url, max_retries=2)
    sim.inject(
        Fault.error("invalid_request", shape="error_object", message="Unsupported parameter: 'foo' is not supported")
    )
    body = build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hi"}])
    sim.clear_requests()
    with pytest.raises(E.InvalidRequestError):
        gw.chat(body)
    assert len(chat_calls(sim)) == 1


@pytest.mark.parametrize("category", ["context_length", "content_filter", "invalid_request"])
def test_other_400s_are_never_resent(sim, category) -> None:
    gw = Gateway.from_settings(api_key=KEY, base_url=sim.base_url, max_retries=2)
    sim.inject(Fault.error(category), times=None)
    body = build_chat_request("gpt-4o-mini", [{"role": "user", "content": "hi"}], temperature=0.5, max_tokens=9)
    sim.clear_requests()
    with pytest.raises(E.InvalidRequestError):
        gw.chat(body)
    assert len(chat_calls(sim)) == 1


def test_the_embeddings_base64_fallback_is_one_case(sim) -> None:
    model = model_rejecting(sim, "encoding_format")
    gw = Gateway.from_settings(api_key=KEY, base_url=sim.base_url)
    sim.clear_requests()
    assert len(gw.embed({"model": model, "input": ["tea"]}).vectors) == 1
    assert [("encoding_format" in r.body) for r in sim.requests] == [True, False]
    sim.clear_requests()
    gw.embed({"model": model, "input": ["tea"]})
    assert len(sim.requests) == 1 and "encoding_format" not in sim.requests[0].body


# -- structured output through json_schema: a forced function call, then JSON mode ------------
# The rules a model has -> what each request of the first call asked for ("function": the forced
# call standing in for json_schema); the next identical call sends only the last.
STEPS = {
    ("json_schema",): ["json_schema", "function"],
    ("json_schema", "tools"): ["json_schema", "function", "json_object"],
}
FORECAST_ASK = [{"role": "user", "content": "Forecast for Paris for 3 days"}]


def asked_for(body: dict[str, Any]) -> str:
    fmt = body.get("response_format") or {}
    if fmt.get("type"):
        return str(fmt["type"])
    return "function" if body.get("tool_choice") else "text"


def chat_once(gw: Gateway, body: dict[str, Any], stream: bool, chunks: list[Any] | None = None) -> Any:
    """One chat call (a stream read to its end; its chunks put in ``chunks``); its result."""
    if not stream:
        return gw.chat(body)
    s = gw.chat_stream(body)
    got = list(s)
    if chunks is not None:
        chunks[:] = got
    return s.result()


def _check_steps(sim: GatewaySimulator, rules: tuple[str, ...], first: list[Any], second: list[Any]) -> None:
    assert [asked_for(r.body) for r in first] == STEPS[rules]
    assert [asked_for(r.body) for r in second] == STEPS[rules][-1:]
    spec, forced = first[0].body["response_format"]["json_schema"], first[1].body
    assert forced["tools"] == [{"type": "function", "function": {"name": spec["name"], "parameters": spec["schema"]}}]
    assert forced["tool_choice"] == {"type": "function", "function": {"name": spec["name"]}}


def _check_answer(result: Any) -> None:
    choice = result.choices[0]
    assert isinstance(Forecast.model_validate_json(choice.content), Forecast)
    assert not choice.tool_calls and choice.finish_reason == "stop"  # no tool call reaches the caller


def _check_warnings(caplog: pytest.LogCaptureFixture, rules: tuple[str, ...]) -> None:
    warned = [r.getMessage() for r in caplog.records if "rejected the parameter" in r.getMessage()]
    # one warning per step learned, each naming the parameter refused
    assert [("'response_format'" in w, "'tools'" in w) for w in warned] == [(True, False), (False, True)][: len(rules)]
    assert KEY not in caplog.text


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
@pytest.mark.parametrize("rules", sorted(STEPS), ids="+".join)
def test_json_schema_falls_back_to_a_function_call_then_json_mode(sim, rules, stream, caplog) -> None:
    model = model_rejecting(sim, *rules)
    gw = Gateway.from_settings(api_key=KEY, base_url=sim.base_url, max_retries=0)
    body = build_chat_request(model, FORECAST_ASK, response_format=SCHEMA_FORMAT, stream=stream)
    chunks: list[Any] = []
    caplog.set_level(logging.WARNING, logger="zzz_core")
    result, first, second = twice(sim, lambda: chat_once(gw, body, stream, chunks))
    _check_steps(sim, rules, first, second)
    _check_answer(result)
    _check_warnings(caplog, rules)
    if stream:  # the JSON arrives as content deltas, as a json_schema stream's would
        assert "".join(c.content for c in chunks) == result.choices[0].content
        assert not any(c.tool_calls for c in chunks)


@pytest.mark.parametrize("stream", [False, True], ids=["ainvoke", "astream"])
@pytest.mark.parametrize("rules", sorted(STEPS), ids="+".join)
async def test_json_schema_fallbacks_async(sim, rules, stream) -> None:
    model = model_rejecting(sim, *rules)
    gw = Gateway.from_settings(api_key=KEY, base_url=sim.base_url, max_retries=0)
    body = build_chat_request(model, FORECAST_ASK, response_format=SCHEMA_FORMAT, stream=stream)

    async def call() -> Any:
        if not stream:
            return await gw.achat(body)
        s = gw.achat_stream(body)
        async for _ in s:
            pass
        return s.result()

    try:
        sim.clear_requests()
        result = await call()
        first = chat_calls(sim)
        sim.clear_requests()
        await call()
        _check_steps(sim, rules, first, chat_calls(sim))
        _check_answer(result)
    finally:
        await gw.aclose()


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_an_answer_without_the_forced_call_falls_back_to_json_mode(sim, stream, caplog) -> None:
    # The model takes tools but answers in text anyway (a relay dropping tool_choice): JSON mode.
    model = model_rejecting(sim, "json_schema", "ignores_tools")
    gw = Gateway.from_settings(api_key=KEY, base_url=sim.base_url, max_retries=0)
    body = build_chat_request(model, FORECAST_ASK, response_format=SCHEMA_FORMAT, stream=stream)
    chunks: list[Any] = []
    caplog.set_level(logging.WARNING, logger="zzz_core")
    result, first, second = twice(sim, lambda: chat_once(gw, body, stream, chunks))
    _check_steps(sim, ("json_schema", "tools"), first, second)  # the same three steps as a refusal
    _check_answer(result)
    if stream:  # the text answered in place of the call never reached the caller
        assert "".join(c.content for c in chunks) == result.choices[0].content
    warned = [r.getMessage() for r in caplog.records if r.getMessage().startswith("zzz: ")]
    assert len(warned) == 2 and "'response_format'" in warned[0] and "'tool_choice'" in warned[1]


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_caller_tools_skip_the_function_call_step(sim, stream) -> None:
    # The caller's tools are never replaced: a rejected json_schema goes straight to JSON mode.
    model = model_rejecting(sim, "json_schema")
    gw = Gateway.from_settings(api_key=KEY, base_url=sim.base_url, max_retries=0)
    body = build_chat_request(model, FORECAST_ASK, tools=[TOOL], response_format=SCHEMA_FORMAT, stream=stream)
    result, first, second = twice(sim, lambda: chat_once(gw, body, stream))
    assert [asked_for(r.body) for r in first] == ["json_schema", "json_object"]
    assert [asked_for(r.body) for r in second] == ["json_object"]
    for sent in (first[1].body, second[0].body):
        assert sent["tools"] == [TOOL] and "tool_choice" not in sent
    assert isinstance(Forecast.model_validate_json(result.choices[0].content), Forecast)


def test_concurrent_first_calls_all_end_in_json_mode(sim) -> None:
    # Calls that start together learn the steps in any order; a json_schema refusal that arrives
    # after another call learned JSON mode must not bring the refused function call back.
    gw = Gateway.from_settings(api_key=KEY, base_url=sim.base_url, max_retries=0)
    for _ in range(3):
        model = model_rejecting(sim, "json_schema", "tools")
        body = build_chat_request(model, FORECAST_ASK, response_format=SCHEMA_FORMAT)
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(gw.chat, [body] * 16))
        assert all(isinstance(Forecast.model_validate_json(r.choices[0].content), Forecast) for r in results)
        sim.clear_requests()
        gw.chat(body)
        assert [asked_for(r.body) for r in chat_calls(sim)] == ["json_object"]


# -- LangChain ---------------------------------------------------------------------------
class Forecast(BaseModel):
    city: str
    days: int


def _lc(sim: GatewaySimulator, model: str, **kw: Any) -> Any:
    from langchain_zzz import ChatZZZ

    return ChatZZZ(model=model, api_key=KEY, base_url=sim.base_url, max_retries=0, **kw)


LC_CASES = {
    "invoke": ("temperature", lambda llm: llm.invoke("hi").content, {"temperature": 0.2}),
    "stream": ("max_tokens", lambda llm: "".join(c.content for c in llm.stream("hi")), {"max_tokens": 30}),
    "tools": (
        "parallel_tool_calls",
        lambda llm: llm.bind_tools([TOOL], parallel_tool_calls=True).invoke("weather in Paris?").tool_calls,
        {},
    ),
    "structured": (
        "json_schema",
        lambda llm: llm.with_structured_output(Forecast, method="json_schema").invoke("Paris for 3 days"),
        {},
    ),
    "structured-stream": (
        "json_schema",
        lambda llm: list(llm.with_structured_output(Forecast, method="json_schema").stream("Paris for 3 days"))[-1],
        {},
    ),
}
LC_STRUCTURED = {
    "invoke": lambda llm: llm.with_structured_output(Forecast, method="json_schema").invoke("Paris for 3 days"),
    "stream": lambda llm: list(llm.with_structured_output(Forecast, method="json_schema").stream("Paris for 3 days")),
}


@pytest.mark.parametrize("case", sorted(LC_CASES))
def test_langchain_negotiates(sim, case) -> None:
    rule, call, kw = LC_CASES[case]
    llm = _lc(sim, model_rejecting(sim, rule), **kw)
    result, first, second = twice(sim, lambda: call(llm))
    assert result
    if case.startswith("structured"):
        assert isinstance(result, Forecast)  # the parsed type is kept through the JSON-mode fallback
    assert len(first) == 2 and len(second) == 1


@pytest.mark.parametrize("case", sorted(LC_STRUCTURED))
@pytest.mark.parametrize("rules", [*sorted(STEPS), ("json_schema", "ignores_tools")], ids="+".join)
def test_langchain_json_schema_falls_back(sim, rules, case) -> None:
    llm = _lc(sim, model_rejecting(sim, *rules))
    result, first, second = twice(sim, lambda: LC_STRUCTURED[case](llm))
    _check_steps(sim, ("json_schema", "tools") if "ignores_tools" in rules else rules, first, second)
    if case == "stream":  # parsed as the JSON grows, as with json_schema itself
        assert len(result) >= 1 and all(isinstance(r, Forecast) for r in result)
        result = result[-1]
    assert isinstance(result, Forecast) and result.city and isinstance(result.days, int)


# -- LlamaIndex --------------------------------------------------------------------------
def _li(sim: GatewaySimulator, model: str, **kw: Any) -> Any:
    from llamaindex_zzz import ZZZ

    return ZZZ(model=model, api_key=KEY, base_url=sim.base_url, max_retries=0, **kw)


def _li_tools(llm: Any) -> Any:
    from llama_index.core.tools import FunctionTool

    def get_weather(city: str) -> str:
        """Weather of a city."""
        return f"sunny in {city}"

    tool = FunctionTool.from_defaults(fn=get_weather)
    response = llm.chat_with_tools(
        [tool], user_msg="weather in Paris?", allow_parallel_tool_calls=True, parallel_tool_calls=True
    )
    return llm.get_tool_calls_from_response(response)


def _li_structured(llm: Any) -> Any:
    from llama_index.core.prompts import PromptTemplate

    return llm.structured_predict(Forecast, PromptTemplate("Forecast for {city} for 3 days"), city="Paris")


def _msgs() -> list:
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role="user", content="hi")]


LI_CASES = {
    "invoke": ("temperature", lambda llm: llm.chat(_msgs()).message.content, {"temperature": 0.2}),
    "stream": ("max_tokens", lambda llm: list(llm.stream_chat(_msgs()))[-1].message.content, {"max_tokens": 30}),
    "tools": ("parallel_tool_calls", _li_tools, {}),
    "structured": (
        "json_schema",
        _li_structured,
        {"profile_overrides": {"json_schema": True, "structured_output_method": "json_schema"}},
    ),
}


@pytest.mark.parametrize("case", sorted(LI_CASES))
def test_llamaindex_negotiates(sim, case) -> None:
    rule, call, kw = LI_CASES[case]
    llm = _li(sim, model_rejecting(sim, rule), **kw)
    result, first, second = twice(sim, lambda: call(llm))
    assert result
    if case == "structured":
        assert isinstance(result, Forecast)
    assert len(first) == 2 and len(second) == 1


_JSON_SCHEMA_PROFILE = {"profile_overrides": {"json_schema": True, "structured_output_method": "json_schema"}}


def _li_stream_structured(llm: Any) -> Any:
    from llama_index.core.prompts import PromptTemplate

    return list(llm.stream_structured_predict(Forecast, PromptTemplate("Forecast for {city} for 3 days"), city="Paris"))


@pytest.mark.parametrize("case", ["structured_predict", "stream_structured_predict"])
@pytest.mark.parametrize("rules", sorted(STEPS), ids="+".join)
def test_llamaindex_json_schema_falls_back(sim, rules, case) -> None:
    llm = _li(sim, model_rejecting(sim, *rules), **_JSON_SCHEMA_PROFILE)
    call = _li_structured if case == "structured_predict" else _li_stream_structured
    result, first, second = twice(sim, lambda: call(llm))
    _check_steps(sim, rules, first, second)
    if isinstance(result, list):
        result = result[-1]
    assert isinstance(result, Forecast) and result.city and isinstance(result.days, int)


# -- disabled_params on every class --------------------------------------------------------
def test_disabled_params_are_never_sent_by_any_class(sim) -> None:
    from langchain_zzz import ZZZ as LCCompletions
    from langchain_zzz import ChatZZZ, ZZZEmbeddings
    from llamaindex_zzz import ZZZ, ZZZEmbedding

    common = {"api_key": KEY, "base_url": sim.base_url}
    off = {"temperature": None, "user": ["u1"]}
    sim.clear_requests()
    ChatZZZ(model="gpt-4o-mini", temperature=0.3, model_kwargs={"user": "u1"}, disabled_params=off, **common).invoke(
        "hi"
    )
    LCCompletions(model="gpt-3.5-turbo-instruct", temperature=0.3, disabled_params=off, **common).invoke("hi")
    ZZZEmbeddings(
        model="text-embedding-3-small", disabled_params={"dimensions": None}, dimensions=8, **common
    ).embed_query("hi")
    ZZZ(model="gpt-4o-mini", temperature=0.3, additional_kwargs={"user": "u1"}, disabled_params=off, **common).chat(
        _msgs()
    )
    ZZZEmbedding(model_name="text-embedding-3-small", dimensions=8, disabled_params={"dimensions": None}, **common
                 ).get_text_embedding("hi")  # fmt: skip
    bodies = [r.body for r in sim.requests]
    assert len(bodies) == 5
    assert all("temperature" not in b and "user" not in b and "dimensions" not in b for b in bodies)
    kept = ChatZZZ(model="gpt-4o-mini", model_kwargs={"user": "u2"}, disabled_params=off, **common)
    sim.clear_requests()
    kept.invoke("hi")
    assert sim.requests[0].body["user"] == "u2"  # only the listed values are left out


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_a_schema_name_no_function_may_have_still_gets_its_function_call(sim, stream) -> None:
    # json_schema names are the caller's; the simulator, as OpenAI, refuses the same name as a function's.
    model = model_rejecting(sim, "json_schema")
    gw = Gateway.from_settings(api_key=KEY, base_url=sim.base_url, max_retries=0)
    named = {"type": "json_schema", "json_schema": {**SCHEMA_FORMAT["json_schema"], "name": "forecast v1.2"}}
    body = build_chat_request(model, FORECAST_ASK, response_format=named, stream=stream)
    result, first, second = twice(sim, lambda: chat_once(gw, body, stream))
    assert [asked_for(r.body) for r in first] == ["json_schema", "function"]
    assert first[1].body["tools"][0]["function"]["name"] == "forecast_v1_2" and len(second) == 1
    _check_answer(result)
