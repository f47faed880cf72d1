"""ZZZ.metadata comes from zzz_core's profiles; any model name works; overrides win."""

from __future__ import annotations

import pytest

from llamaindex_zzz import ZZZ
from zzz_core import ConfigurationError, get_profile

KEY = "sk-zk-SECRET-unit-7f3a9c1e5b"  # the unit conftest's fake key


def make(model: str, **kw) -> ZZZ:
    return ZZZ(model=model, api_key=KEY, **kw)


@pytest.mark.parametrize(
    ("model", "window", "num_output", "chat", "tools"),
    [
        ("deepseek-chat", 128_000, 8192, True, True),
        ("deepseek-reasoner", 128_000, 32_768, True, True),
        ("gpt-4o-mini", 128_000, 16_384, True, True),
        ("glm-4.6", 200_000, 100_000, True, True),  # a 128k output cap is limited to half the window
        ("gpt-4", 8192, 4096, True, True),  # cap == window: half is left for the prompt
        ("o1-mini", 128_000, 64_000, True, False),  # no tool calling
        ("gpt-3.5-turbo-instruct", 4096, 2048, False, False),  # completion-only
    ],
)
def test_metadata_from_profile(model, window, num_output, chat, tools):
    md = make(model).metadata
    assert (md.context_window, md.num_output, md.is_chat_model, md.is_function_calling_model) == (
        window,
        num_output,
        chat,
        tools,
    )
    assert md.model_name == model


def test_unknown_model_works_with_conservative_defaults():
    llm = make("acme-relay-special-v9")
    md = llm.metadata
    assert not llm.profile.known
    assert md.is_chat_model and md.is_function_calling_model
    assert md.context_window == 32_768 and md.num_output == 4096


def test_vendor_prefix_and_suffix_are_read():
    assert make("deepseek-ai/deepseek-chat").metadata.context_window == 128_000
    assert make("deepseek-v3.1-thinking").profile.reasoning


def test_overrides_win():
    md = make(
        "deepseek-chat",
        context_window=64_000,
        num_output=1000,
        is_chat_model=False,
        is_function_calling_model=False,
    ).metadata
    assert (md.context_window, md.num_output, md.is_chat_model, md.is_function_calling_model) == (
        64_000,
        1000,
        False,
        False,
    )
    # max_tokens is what the answer can use, so it is what LlamaIndex reserves
    assert make("deepseek-chat", max_tokens=512).metadata.num_output == 512


def test_profile_overrides():
    llm = make("my-finetune", profile_overrides={"context_window": 65_536, "tool_calling": False})
    assert llm.metadata.context_window == 65_536
    assert not llm.metadata.is_function_calling_model
    assert llm.profile == get_profile("my-finetune", {"context_window": 65_536, "tool_calling": False})


def test_bad_profile_override_fails_at_construction():
    with pytest.raises(ConfigurationError, match="context_windw"):
        make("deepseek-chat", profile_overrides={"context_windw": 1})


def test_only_the_env_key_is_needed(key_env):
    assert ZZZ("deepseek-chat").model == "deepseek-chat"
    llm = ZZZ(model="deepseek-chat")
    assert llm.base_url == "https://api.zhizengzeng.com/v1"
    assert llm.gateway == "zhizengzeng"
    assert llm.mirrors == ["https://flag.smarttrot.com/v1"]


def test_env_base_url_and_gateway(monkeypatch, key_env):
    monkeypatch.setenv("ZZZ_GATEWAY", "4z")
    assert ZZZ(model="gpt-4o").base_url == "https://zzzzapi.com/v1"
    monkeypatch.setenv("ZZZ_BASE_URL", "https://relay.example.com/v1")
    monkeypatch.delenv("ZZZ_GATEWAY")
    llm = ZZZ(model="gpt-4o")
    assert llm.base_url == "https://relay.example.com/v1" and llm.gateway is None


def test_api_base_alias_and_url_repair():
    assert make("gpt-4o", api_base="https://relay.example.com/v1").base_url == "https://relay.example.com/v1"
    with pytest.warns(UserWarning, match="/v1"):
        llm = make("gpt-4o", base_url="https://relay.example.com")
    assert llm.base_url == "https://relay.example.com/v1"


def test_configuration_errors_at_construction():
    with pytest.raises(ConfigurationError, match="ZZZ_API_KEY"):
        ZZZ(model="deepseek-chat")
    with pytest.raises(ConfigurationError, match="personal"):
        ZZZ(model="deepseek-chat", api_key="zp-abcdef123456")
    with pytest.raises(ConfigurationError, match="preset|gateway"):
        make("deepseek-chat", gateway="nonexistent")
    with pytest.raises(ConfigurationError, match="http"):
        make("deepseek-chat", base_url="http://relay.example.com/v1")
    with pytest.raises(ValueError):
        make("deepseek-chat", max_retries=-1)


def test_one_gateway_per_configuration():
    a = make("deepseek-chat", base_url="https://relay.example.com/v1")
    b = make("gpt-4o", base_url="https://relay.example.com/v1")
    c = make("gpt-4o", base_url="https://relay.example.com/v1", timeout=5)
    assert a._gateway is b._gateway
    assert c._gateway is not a._gateway
    assert a._config.max_retries == 2 and c._config.timeout == 5
