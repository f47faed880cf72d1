"""``thinking=True|False|<budget>`` sent as each family takes it (issue 15, item 3; wire-facts-2 §6).

The request bodies the simulator received are asserted, for zzz_core and both skins.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from zzz_core import Gateway, InvalidInputError, build_chat_request
from zzz_testing import GatewaySimulator

KEY = "sk-SECRETthinking0123456789abcdef0123456789abcd"
MSGS = [{"role": "user", "content": "1+1?"}]

# (model, thinking, what the body must carry, keys it must not carry)
CASES = [
    ("qwen-max", True, {"enable_thinking": True}, ("thinking_budget", "thinking")),
    ("qwen-max", 2048, {"enable_thinking": True, "thinking_budget": 2048}, ("thinking",)),
    ("qwen3-coder-plus", False, {"enable_thinking": False}, ("thinking_budget",)),
    ("glm-4.6", True, {"thinking": {"type": "enabled"}}, ("enable_thinking",)),
    ("glm-4.6", False, {"thinking": {"type": "disabled"}}, ("enable_thinking",)),
    ("deepseek-chat", True, {"thinking": {"type": "enabled"}}, ("enable_thinking",)),
    ("deepseek-reasoner", False, {"thinking": {"type": "disabled"}}, ()),
    ("kimi-k2", False, {"thinking": {"type": "disabled"}}, ()),
    ("gemini-2.5-flash", True, {"model": "gemini-2.5-flash-thinking"}, ("thinking", "enable_thinking")),
    ("gemini-2.5-flash", 1024, {"model": "gemini-2.5-flash-thinking-1024"}, ("thinking",)),
    ("gemini-2.5-flash", False, {"model": "gemini-2.5-flash-nothinking"}, ("thinking",)),
    ("gemini-2.5-flash-thinking", False, {"model": "gemini-2.5-flash-nothinking"}, ()),
]


@pytest.fixture(scope="module")
def sim() -> Iterator[GatewaySimulator]:
    with GatewaySimulator("newapi") as s:
        yield s


def _sent(sim: GatewaySimulator) -> dict[str, Any]:
    chats = [r.body for r in sim.requests if r.path.endswith("/chat/completions")]
    assert len(chats) == 1, chats
    return chats[0]


def _check(body: dict[str, Any], expected: dict[str, Any], absent: tuple[str, ...]) -> None:
    for key, value in expected.items():
        assert body[key] == value, (key, body)
    for key in absent:
        assert key not in body, (key, body)


@pytest.mark.parametrize("model,thinking,expected,absent", CASES)
def test_core_bodies(sim, model, thinking, expected, absent) -> None:
    gw = Gateway.from_settings(api_key=KEY, base_url=sim.base_url)
    sim.clear_requests()
    result = gw.chat(build_chat_request(model, MSGS, thinking=thinking))
    assert result.choices[0].content
    body = _sent(sim)
    _check(body, expected, absent)
    # DashScope takes thinking only on streams: a non-streamed call with it on is streamed inside.
    assert body.get("stream") is (True if body.get("enable_thinking") is True else None)


def test_dashscope_thinking_on_streams_inside_an_invoke_and_off_does_not(sim) -> None:
    from langchain_zzz import ChatZZZ

    sim.clear_requests()
    msg = ChatZZZ(model="qwen-max", api_key=KEY, base_url=sim.base_url, thinking=True).invoke("1+1?")
    assert msg.content and _sent(sim)["stream"] is True
    sim.clear_requests()
    ChatZZZ(model="qwen-max", api_key=KEY, base_url=sim.base_url, thinking=False).invoke("1+1?")
    assert "stream" not in _sent(sim) and _sent(sim)["enable_thinking"] is False


@pytest.mark.parametrize("model,thinking,expected,absent", CASES[::2])
def test_langchain_field_and_per_call(sim, model, thinking, expected, absent) -> None:
    from langchain_zzz import ChatZZZ

    sim.clear_requests()
    ChatZZZ(model=model, api_key=KEY, base_url=sim.base_url, thinking=thinking).invoke("1+1?")
    _check(_sent(sim), expected, absent)
    sim.clear_requests()
    "".join(
        c.content for c in ChatZZZ(model=model, api_key=KEY, base_url=sim.base_url).stream("1+1?", thinking=thinking)
    )
    _check(_sent(sim), expected, absent)


@pytest.mark.parametrize("model,thinking,expected,absent", CASES[1::2])
def test_llamaindex_field_and_per_call(sim, model, thinking, expected, absent) -> None:
    from llama_index.core.llms import ChatMessage

    from llamaindex_zzz import ZZZ

    sim.clear_requests()
    ZZZ(model=model, api_key=KEY, base_url=sim.base_url, thinking=thinking).chat(
        [ChatMessage(role="user", content="x")]
    )
    _check(_sent(sim), expected, absent)
    sim.clear_requests()
    llm = ZZZ(model=model, api_key=KEY, base_url=sim.base_url)
    list(llm.stream_chat([ChatMessage(role="user", content="x")], thinking=thinking))
    _check(_sent(sim), expected, absent)


def test_a_model_without_a_switch_warns_and_sends_nothing() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        body = build_chat_request("gpt-4o-probe-nothink", MSGS, thinking=True)
    assert "thinking" not in body and "enable_thinking" not in body
    assert any("thinking=True was not sent" in str(w.message) for w in caught)


@pytest.mark.parametrize("bad", [0, -5, "on", 1.5])
def test_bad_values_are_rejected_before_sending(bad) -> None:
    with pytest.raises(InvalidInputError, match="thinking must be"):
        build_chat_request("glm-4.6", MSGS, thinking=bad)


def test_a_raw_thinking_object_is_sent_as_it_is(sim) -> None:
    body = build_chat_request("glm-4.6", MSGS, thinking={"type": "disabled", "clear_thinking": True})
    assert body["thinking"] == {"type": "disabled", "clear_thinking": True}
