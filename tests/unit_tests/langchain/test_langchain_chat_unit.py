"""ChatZZZ offline: construction, configuration, request bodies, tools, structured output,
profile, tracing parameters, serialization and token estimates (no sockets)."""

from __future__ import annotations

import warnings

import pytest
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableBinding
from langchain_core.tools import tool
from pydantic import BaseModel, ValidationError

import zzz_core
from langchain_zzz import ChatZZZ
from langchain_zzz._tokens import estimate_tokens

KEY = "sk-zk-SECRET-lc-unit-4b8d2f6a1c"


def make(**kwargs: object) -> ChatZZZ:
    return ChatZZZ(**{"model": "gpt-4o-mini", "api_key": KEY, **kwargs})


def body(llm: ChatZZZ, text: str = "hi", stop: list[str] | None = None, *, stream: bool = False, **kw: object) -> dict:
    return llm._request([HumanMessage(text)], stop, stream=stream, **kw)[0]


@tool
def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return "sunny"


class Person(BaseModel):
    """A person."""

    name: str
    age: int | None = None


# ------------------------------------------------------------------ construction
def test_only_the_environment_key_is_needed(key_env: str) -> None:
    llm = ChatZZZ(model="gpt-4o-mini")
    assert llm.api_key is not None and llm.api_key.get_secret_value() == key_env
    assert llm.config.base_url == "https://api.zhizengzeng.com/v1"
    assert llm.config.mirrors == ("https://flag.smarttrot.com/v1",)
    assert ChatZZZ(model="gpt-4o-mini")._gateway is llm._gateway  # one shared pool


def test_aliases() -> None:
    llm = ChatZZZ(
        model_name="gpt-4o-mini", api_key=KEY, api_base="https://relay.example.com/v1", max_completion_tokens=9,
        stop_sequences=["x"], request_timeout=5,
    )  # fmt: skip
    assert (llm.model, llm.base_url, llm.max_tokens, llm.stop, llm.timeout) == (
        "gpt-4o-mini",
        "https://relay.example.com/v1",
        9,
        ["x"],
        5.0,
    )
    assert llm.config.timeout == 5.0


def test_bad_configuration_fails_at_construction_with_zzz_core_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="no API key"):
        ChatZZZ(model="gpt-4o-mini")
    with pytest.raises(ValidationError, match="personal-plan keys"):
        make(api_key="zp-0123456789abcdef")
    with pytest.raises(ValidationError, match="refusing plain http"):
        make(base_url="http://10.1.2.3/v1")
    with pytest.raises(ValidationError, match="unknown gateway|preset"):
        make(gateway="no-such-gateway")
    with pytest.raises(ValidationError, match="unknown profile override"):
        make(profile_overrides={"contxt_window": 1})
    with pytest.raises(ValidationError, match="cannot be streamed"):
        make(n=2, streaming=True)


def test_validation_errors_do_not_echo_the_key() -> None:
    secret = "zp-SECRET-do-not-print-42"
    with pytest.raises(ValidationError) as info:
        make(api_key=secret)
    assert secret not in str(info.value) and secret not in repr(info.value)


def test_unknown_arguments_go_to_model_kwargs_and_misspellings_are_errors() -> None:
    with pytest.warns(UserWarning, match="'top_k' is not a ChatZZZ parameter"):
        llm = make(top_k=4)
    assert llm.model_kwargs == {"top_k": 4} and body(llm)["top_k"] == 4
    with pytest.raises(ValidationError, match="unknown argument 'temprature'; did you mean 'temperature'"):
        make(temprature=0.3)
    with pytest.raises(ValidationError, match="did you mean 'max_tokens'"):
        make(max_token=10)
    with pytest.raises(ValidationError, match="pass temperature as an argument"):
        make(model_kwargs={"temperature": 0.1})


def test_base_url_is_normalized_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="has no /v1"):
        llm = make(base_url="https://relay.example.com")
    assert llm.config.base_url == "https://relay.example.com/v1" and llm.config.gateway == "custom"


def test_wrong_http_client_type_is_refused() -> None:
    import importlib

    from zzz_core import _compat

    # the HTTP package the installed openai does NOT send through (httpx with openai 3.x)
    other = "httpx" if _compat.HTTP_PACKAGE == "httpx2" else "httpx2"
    try:
        wrong = importlib.import_module(other).Client()
    except ImportError:
        wrong = object()
    with pytest.raises(TypeError, match=_compat.HTTP_PACKAGE):
        make(http_client=wrong)
    make(http_client=_compat.Client())


# -------------------------------------------------------------------- requests
def test_request_body_uses_the_model_profile() -> None:
    with pytest.warns(UserWarning, match="temperature=0.5 was not sent"):
        b = body(make(model="gpt-5", max_tokens=64, temperature=0.5, seed=1))
    assert b["max_completion_tokens"] == 64 and "max_tokens" not in b
    assert "temperature" not in b and b["seed"] == 1  # gpt-5 answers 400 to temperature
    json_object = {"type": "json_object"}
    b = body(make(max_tokens=64, temperature=0.5, top_p=0.9, presence_penalty=0.1, frequency_penalty=0.2,
                  logit_bias={"50256": -100}, logprobs=True, top_logprobs=2, response_format=json_object))  # fmt: skip
    assert {k: b[k] for k in ("max_tokens", "temperature", "top_p", "presence_penalty", "frequency_penalty",
                              "logit_bias", "logprobs", "top_logprobs", "response_format")} == {
        "max_tokens": 64, "temperature": 0.5, "top_p": 0.9, "presence_penalty": 0.1, "frequency_penalty": 0.2,
        "logit_bias": {"50256": -100}, "logprobs": True, "top_logprobs": 2, "response_format": {"type": "json_object"},
    }  # fmt: skip
    assert set(body(make())) == {"model", "messages"}  # nothing unset is sent


def test_stream_usage_is_on_by_default_even_with_a_custom_base_url() -> None:
    llm = make(base_url="https://relay.example.com/v1")
    assert body(llm, stream=True)["stream_options"] == {"include_usage": True}
    assert "stream_options" not in body(make(stream_usage=False), stream=True)
    assert "stream_options" not in body(llm, stream=True, stream_usage=False)


def test_per_call_arguments_override_and_extra_fields_merge_last() -> None:
    llm = make(temperature=0.1, stop=["a"], model_kwargs={"top_k": 1}, extra_body={"enable_thinking": True})
    b = body(llm, "hi", ["z"], temperature=0.9, extra_body={"top_k": 2}, store=False)
    assert b["temperature"] == 0.9 and b["stop"] == ["z"]
    assert b["top_k"] == 2 and b["enable_thinking"] is True and b["store"] is False
    with pytest.warns(UserWarning, match="was not sent"):
        b = body(llm, model="o3", temperature=0.9)
    assert b["model"] == "o3" and "temperature" not in b  # the per-call model's profile applies
    assert body(llm)["stop"] == ["a"] and body(llm, max_completion_tokens=7)["max_tokens"] == 7


def test_n_greater_than_one_is_not_streamed() -> None:
    with pytest.raises(ValueError, match="cannot be streamed"):
        body(make(n=2), stream=True)


def test_reasoning_content_is_replayed_only_for_models_that_want_it() -> None:
    turn = [
        HumanMessage("weather?"),
        AIMessage("", additional_kwargs={"reasoning_content": "need the tool"},
                  tool_calls=[{"name": "get_weather", "args": {"city": "x"}, "id": "c1", "type": "tool_call"}]),
    ]  # fmt: skip
    for model, kept in [("deepseek-reasoner", True), ("gpt-4o", False), ("glm-4.6", True)]:
        b = make(model=model)._request(turn, None, stream=False)[0]
        assert ("reasoning_content" in b["messages"][1]) is kept, model


# ----------------------------------------------------------------------- tools
def test_bind_tools_formats_and_normalizes() -> None:
    bound = make().bind_tools([get_weather, Person], tool_choice="any", parallel_tool_calls=False, strict=True)
    assert isinstance(bound, RunnableBinding)
    tools = bound.kwargs["tools"]
    assert [t["function"]["name"] for t in tools] == ["get_weather", "Person"]
    assert tools[1]["function"]["strict"] is True
    assert tools[1]["function"]["parameters"]["required"] == ["name", "age"]  # strict: all listed
    assert bound.kwargs["tool_choice"] == "required" and bound.kwargs["parallel_tool_calls"] is False
    named = make().bind_tools([get_weather], tool_choice="get_weather")
    assert named.kwargs["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert "tool_choice" not in make().bind_tools([get_weather]).kwargs
    assert "parallel_tool_calls" not in make().bind_tools([get_weather]).kwargs


def test_bind_tools_refuses_a_tool_choice_naming_no_tool() -> None:
    with pytest.raises(zzz_core.InvalidInputError, match="not one of the tools"):
        make().bind_tools([get_weather], tool_choice="get_time")


def test_bind_tools_accepts_anthropic_and_function_tools() -> None:
    def add(a: int, b: int) -> int:
        """Add two ints."""
        return a + b

    anthropic = {"name": "pick", "description": "Pick.", "input_schema": {"type": "object", "properties": {}}}
    tools = make().bind_tools([add, anthropic]).kwargs["tools"]
    assert [t["function"]["name"] for t in tools] == ["add", "pick"]


def test_with_structured_output_bindings() -> None:
    def binding(runnable: object) -> RunnableBinding:
        first = runnable.first  # type: ignore[attr-defined]
        assert isinstance(first, RunnableBinding)
        return first

    fc = binding(make().with_structured_output(Person, method="function_calling"))
    assert fc.kwargs["tool_choice"] == {"type": "function", "function": {"name": "Person"}}
    assert fc.kwargs["parallel_tool_calls"] is False
    js = binding(make().with_structured_output(Person))  # gpt-4o-mini: json_schema by profile
    assert js.kwargs["response_format"]["type"] == "json_schema"
    ds = binding(make(model="deepseek-chat").with_structured_output(Person))
    assert "tools" in ds.kwargs
    jm = binding(make().with_structured_output(Person, method="json_mode"))
    assert jm.kwargs["response_format"] == {"type": "json_object"}
    with pytest.raises(ValueError, match="strict cannot be used"):
        make().with_structured_output(Person, method="json_mode", strict=True)
    with pytest.raises(ValueError, match="method must be one of"):
        make().with_structured_output(Person, method="xml")  # type: ignore[arg-type]


# ---------------------------------------------------------- profile and tracing
def test_profile_from_zzz_core() -> None:
    p = make(model="deepseek-reasoner").profile
    assert p["reasoning_output"] is True and p["tool_calling"] is True and p["image_inputs"] is False
    assert p["max_input_tokens"] == 128_000
    o = make(model="o4-mini").profile
    assert o["reasoning_effort_levels"] == ["low", "medium", "high"] and o["temperature"] is False
    assert make(model="gpt-4o-mini", profile_overrides={"context_window": 1000}).profile["max_input_tokens"] == 1000
    assert make(model="my-private-model").zzz_profile.known is False


def test_ls_params() -> None:
    llm = make(temperature=0.2, max_tokens=10, stop="END")
    assert llm._get_ls_params() == {
        "ls_provider": "zzz", "ls_model_name": "gpt-4o-mini", "ls_model_type": "chat",
        "ls_temperature": 0.2, "ls_max_tokens": 10, "ls_stop": ["END"],
    }  # fmt: skip
    assert llm._get_ls_params(model="glm-4.6", temperature=0.5)["ls_model_name"] == "glm-4.6"
    assert llm._llm_type == "zzz-chat"


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_serialization_round_trip_without_the_key(key_env: str) -> None:
    llm = make(api_key=key_env, temperature=0.3, base_url="https://relay.example.com/v1")
    text = dumps(llm)
    assert key_env not in text and key_env not in repr(llm) and key_env not in str(llm)
    revived = load(dumpd(llm), valid_namespaces=["langchain_zzz"], allowed_objects=[ChatZZZ], secrets_from_env=True)
    assert isinstance(revived, ChatZZZ) and revived.asdict() == llm.asdict()
    assert revived.api_key is not None and revived.api_key.get_secret_value() == key_env


# --------------------------------------------------------------------- tokens
def test_token_estimates_are_offline_and_documented() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("你好世界") == 4
    assert estimate_tokens("hello world") == 3  # 2 words * 1.3
    assert estimate_tokens("你好 world") == 3
    llm = make()
    assert llm.get_num_tokens("hello world") == 3
    n = llm.get_num_tokens_from_messages([SystemMessage("be brief"), HumanMessage("你好")])
    assert n == 3 + (3 + 1 + 3) + (3 + 1 + 2)  # priming + (overhead + role + text) per message
    assert make(custom_get_token_ids=lambda t: [1] * len(t)).get_num_tokens("abc") == 3


def test_construction_warns_about_nothing_in_the_normal_case() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make(temperature=0, max_tokens=100, timeout=60, stop=[], max_retries=2)


def test_copies_share_the_gateway_and_pickles_drop_the_key(key_env: str) -> None:
    import copy
    import pickle

    llm = make(api_key=key_env, temperature=0.3, model_kwargs={"top_k": 2})
    clone = copy.deepcopy(llm)
    assert clone == llm and clone._gateway is llm._gateway and clone.model_kwargs is not llm.model_kwargs
    data = pickle.dumps(llm)
    assert key_env.encode() not in data
    revived = pickle.loads(data)  # the key comes back from $ZZZ_API_KEY
    assert revived.config.api_key.get_secret_value() == key_env and revived.zzz_profile == llm.zzz_profile
    assert body(revived) == body(llm)
