"""zzz_core.integration: the plumbing both skins share behaves the same from either skin.

Each test reaches the shared code through both frameworks where it can, so a skin that
stops using it (and drifts) fails here.
"""

from __future__ import annotations

import pickle
import warnings

import pytest

from zzz_core import config as C
from zzz_core import integration
from zzz_core.urls import host_of

lc_settings = pytest.importorskip("langchain_zzz._settings")
li_config = pytest.importorskip("llamaindex_zzz._config")

from langchain_zzz import ChatZZZ  # noqa: E402
from llamaindex_zzz import ZZZ, ZZZEmbedding, ZZZRerank  # noqa: E402

KEY = "sk-zk-SECRET-unit-7f3a9c1e5b"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://API.ZhiZengZeng.com/v1", "api.zhizengzeng.com"),
        ("http://127.0.0.1:8080/v1/chat/completions", "127.0.0.1:8080"),
        ("api.example.com/v1", "api.example.com"),
        ("https://[::1]:9/v1", "[::1]:9"),
    ],
)
def test_host_of_is_lower_case_with_port(url, host):
    assert host_of(url) == host


def test_a_preset_host_is_found_whatever_its_case():
    assert C.ZZZConfig.resolve(api_key=KEY, base_url="https://API.ZHIZENGZENG.COM/v1").gateway == "zhizengzeng"


@pytest.mark.parametrize(
    ("name", "fallback", "expected"),
    [
        ("get weather!", None, "get_weather_"),
        ("查询天气", None, "____"),
        ("x" * 80, None, "x" * 80),  # a tool's name is the model's handle on it: not shortened
        ("x" * 80, "response", "x" * 64),
        ("", "response", "response"),
        ("My.Schema", "response", "My_Schema"),
    ],
)
def test_safe_function_name(name, fallback, expected):
    assert integration.safe_function_name(name, fallback=fallback) == expected


@pytest.mark.parametrize("fields_cls", [lc_settings.GatewaySettings, li_config.GatewayFields], ids=["lc", "li"])
def test_both_skins_declare_the_connection_fields_with_core_defaults(fields_cls):
    fields = fields_cls.model_fields
    assert set(integration.CONNECTION_FIELDS) <= set(fields)
    assert fields["timeout"].default == C.DEFAULT_TIMEOUT
    assert fields["max_retries"].default == C.DEFAULT_MAX_RETRIES
    assert fields["failover_cooldown"].default == C.DEFAULT_FAILOVER_COOLDOWN
    assert "async_http_client" not in fields


def test_call_params_are_the_builders_keyword_arguments():
    assert {"tools", "tool_choice", "parallel_tool_calls", "user", "reasoning_effort", "stop"} <= (
        integration.CHAT_CALL_PARAMS
    )
    assert {"suffix", "echo", "best_of", "user"} <= integration.COMPLETION_CALL_PARAMS
    for params in (integration.CHAT_CALL_PARAMS, integration.COMPLETION_CALL_PARAMS):
        assert not params & {"model", "messages", "prompt", "profile", "stream", "extra_body"}


def test_a_call_param_reaches_the_builder_from_both_skins():
    from langchain_core.messages import HumanMessage
    from llama_index.core.base.llms.types import ChatMessage

    lc = ChatZZZ(model="gpt-4o-mini", api_key=KEY)
    lc_body, _ = lc._request([HumanMessage("hi")], None, stream=False, user="u1", foo=1)
    li_body = ZZZ("gpt-4o-mini", api_key=KEY)._chat_body(
        [ChatMessage(role="user", content="hi")], False, {"user": "u1", "foo": 1}
    )
    for body in (lc_body, li_body):
        assert body["user"] == "u1" and body["foo"] == 1


def test_profile_cache_recomputes_only_on_change():
    cache = integration.ProfileCache()
    overrides = {"context_window": 4096}
    first = cache.get("gpt-4o-mini", overrides)
    assert cache.get("gpt-4o-mini", overrides) is first
    overrides["context_window"] = 8192  # edited in place: a new profile
    assert cache.get("gpt-4o-mini", overrides).context_window == 8192
    assert cache.get("deepseek-chat").family != first.family


def test_both_skins_cache_the_profile_and_follow_a_model_change():
    lc = ChatZZZ(model="gpt-4o-mini", api_key=KEY, profile_overrides={"context_window": 4096})
    li = ZZZ("gpt-4o-mini", api_key=KEY, profile_overrides={"context_window": 4096})
    assert lc.zzz_profile is lc.zzz_profile and li.profile is li.profile
    assert lc.zzz_profile.context_window == li.profile.context_window == 4096
    lc.model = li.model = "deepseek-chat"
    assert lc.zzz_profile.family == li.profile.family == "deepseek"


@pytest.mark.parametrize("cls", [ZZZ, ZZZEmbedding, ZZZRerank])
def test_async_http_client_is_a_deprecated_alias(cls):
    client = object()  # not checked: the config resolves only real clients, so use None below
    with pytest.warns(DeprecationWarning, match="use http_async_client") as caught:
        model = cls(api_key=KEY, async_http_client=None, **({"model": "gpt-4o-mini"} if cls is ZZZ else {}))
    assert caught[0].filename == __file__  # points at the caller's line
    assert model.http_async_client is None
    with pytest.warns(DeprecationWarning):
        assert model.async_http_client is None
    with pytest.warns(DeprecationWarning):
        model.async_http_client = client
    assert model.http_async_client is client
    with pytest.raises(ValueError, match="pass only http_async_client"):
        cls(api_key=KEY, async_http_client=None, http_async_client=None)


def test_the_current_name_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        ZZZ("gpt-4o-mini", api_key=KEY, http_async_client=None)


@pytest.mark.parametrize(
    "make",
    [lambda: ChatZZZ(model="gpt-4o-mini", api_key=KEY), lambda: ZZZ("gpt-4o-mini", api_key=KEY)],
    ids=["lc", "li"],
)
def test_both_skins_pickle_without_the_key(make, monkeypatch):
    model = make()
    data = pickle.dumps(model)
    assert KEY.encode() not in data
    monkeypatch.setenv("ZZZ_API_KEY", "sk-zk-other-key-1234567890")
    copy = pickle.loads(data)
    assert copy._config.api_key.get_secret_value() == "sk-zk-other-key-1234567890"
    assert copy._gateway.config == copy._config


def test_both_skins_end_a_stream_with_the_same_tool_call_ids():
    """zzz_core names a call the relay left without an id in its last chunk; neither skin compensates.

    (Before, LangChain added missing ids on its final chunk and LlamaIndex sent a corrected response.)"""
    from langchain_zzz._messages import StreamConverter
    from llamaindex_zzz._responses import ChatStreamState
    from zzz_core.decode import ChatStreamAssembler

    events = [
        {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"name": "f", "arguments": '{"a": 1}'}}]}}]},
        {"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "late", "function": {"arguments": ""}}]}}]},
        {"choices": [{"delta": {"tool_calls": [{"function": {"name": "g", "arguments": "{}"}}]}}]},
        {"choices": [{"delta": {}, "finish_reason": "tool_calls"}]},
    ]
    asm = ChatStreamAssembler()
    chunks = [c for event in events for c in asm.feed(event)] + asm.finish()
    result = asm.result()
    expected = [tc.id for tc in result.choices[0].tool_calls]
    assert expected == ["late", "call_1"]  # an id after the first fragment; none at all

    conv = StreamConverter("m")
    lc = None
    for chunk in chunks:
        gen = conv.chunk(chunk)
        if gen is not None:
            lc = gen.message if lc is None else lc + gen.message
    lc = lc + conv.last(result).message
    assert [tc["id"] for tc in lc.tool_calls] == expected

    state = ChatStreamState()
    li = [r for r in map(state.feed, chunks) if r is not None][-1]
    assert [b.tool_call_id for b in li.message.blocks] == expected
    assert state.finish(result) is None  # what was streamed already matches the aggregate


def test_embedding_row_texts():
    assert integration.embedding_row_texts("embeddings", "a", "X") == ["a"]
    assert integration.embedding_row_texts("embeddings", ("a", "b"), "X") == ["a", "b"]
    with pytest.raises(ValueError, match="X makes embeddings requests, not 'chat'"):
        integration.embedding_row_texts("chat", "a", "X")
